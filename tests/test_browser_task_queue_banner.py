"""Staff see, on every admin page and on a phone too, that the emails are not leaving."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.tasks import send_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"


@pytest.mark.parametrize("width", [320, 1280])
def test_the_stalled_worker_banner_is_read_whole_on_every_admin_page(
    browser, live_server, settings, width
):
    from django_tasks_db.models import DBTaskResult

    settings.ADMIN_OTP_REQUIRED = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send_message.enqueue(1)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=20))
    User.objects.create_superuser("chef", password=PASSWORD)
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("chef")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()

    for path in ["/admin/", "/admin/survey/response/"]:
        page.goto(live_server.url + path)
        banner = page.get_by_role("alert").filter(has_text="Les envois sont à l’arrêt")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("1 tâche en arrière-plan (courriels) attend depuis le")
        box = banner.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width

    DBTaskResult.objects.update(status="SUCCESSFUL", started_at=timezone.now())
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Administration du baromètre")).to_be_visible()
    expect(page.get_by_text("Les envois sont à l’arrêt")).to_have_count(0)
