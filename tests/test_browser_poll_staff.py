"""Staff on the poll in a real browser: a flagged response excluded, the crossed table."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from poll.models import Flag, Outcome, Participation
from tests.helpers.browser import assert_accessible
from tests.poll_sample import poll_edition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"


def flagged(edition, panel_id, flags):
    participation, _ = Participation.start(edition, panel_id)
    Participation.objects.filter(pk=participation.pk).update(
        outcome=Outcome.COMPLETE, ended_at=timezone.now(), flags=flags
    )
    return participation


def test_staff_exclude_a_flagged_response_and_read_the_crossed_table(page, live_server, settings):
    settings.ADMIN_OTP_REQUIRED = False
    User.objects.create_superuser("equipe", password=PASSWORD)
    edition = poll_edition()
    quick = flagged(edition, "quick", [Flag.TOO_FAST])
    flagged(edition, "fine", [])

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("equipe")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.goto(f"{live_server.url}/admin/poll/participation/?signalee=oui")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("trop_rapide")
    page.locator("#result_list tbody input[type=checkbox]").check()
    page.locator("select[name=action]").select_option("exclude_from_results")
    page.locator("button[name=index]").click()
    expect(page.get_by_text("1 réponse(s) exclue(s) des résultats.")).to_be_visible()
    quick.refresh_from_db()
    assert quick.excluded
    assert list(Participation.objects.counted().values_list("panel_id", flat=True)) == ["fine"]

    page.goto(f"{live_server.url}/admin/poll/participation/croisement/2025/")
    expect(page.get_by_test_id("no-crossing")).to_be_visible()
    assert_accessible(page)
