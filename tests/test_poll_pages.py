import datetime

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from poll.models import Outcome, Participation
from tests.helpers.browser import assert_accessible
from tests.helpers.html import nu_problems
from tests.poll_sample import PAGES, answer_pages, poll_edition


def open_now(edition):
    """The poll open around the real time (a live server runs on the real clock)."""
    now = timezone.now()
    edition.opens_at = now - datetime.timedelta(days=1)
    edition.closes_at = now + datetime.timedelta(days=30)
    edition.save()
    return edition


@pytest.mark.django_db
def test_every_poll_page_passes_the_nu_html_checker(client, tmp_path):
    edition = open_now(poll_edition())
    client.get("/sondage/", {"pid": "html1"})
    pages = [
        ("poll-profil", client.get("/sondage/page/profil/")),
        ("poll-profil-errors", client.post("/sondage/page/profil/", {"action": "continue"})),
    ]
    answer_pages(client, ["profil"])
    pages.append(("poll-regard", client.get("/sondage/page/regard/")))
    answer_pages(client, ["regard", "usages", "inquietudes"])
    pages.append(("poll-decision", client.get("/sondage/page/decision/")))
    pages.append(("poll-no-sitting", Client().get("/sondage/page/profil/")))
    pages.append(("poll-bad-link", Client().get("/sondage/", {"pid": "=1"})))
    pages.append(("poll-used-link", Client().get("/sondage/", {"pid": "html1"})))
    edition.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    edition.save()
    pages.append(("poll-closed", Client().get("/sondage/", {"pid": "late"})))
    for name, page in pages:
        assert page.status_code in (200, 400, 403, 409, 422), (name, page.status_code)
    html = [(name, page.content.decode()) for name, page in pages]
    assert nu_problems(html, tmp_path) == []


def fill(page, slug, skip=()):
    for field, answer in PAGES[slug].items():
        if field in skip:
            continue
        for code in answer if isinstance(answer, list) else [answer]:
            page.locator(f'input[name="{field}"][value="{code}"]').check()


def institute(page):
    """The institute's site, answered locally: the test never leaves the machine."""
    page.route(
        "https://panel.example/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Institut</title>Retour"
        ),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_panel_respondent_answers_in_a_real_browser_and_lands_back_at_the_institute(
    page, live_server
):
    open_now(poll_edition())
    institute(page)
    page.goto(f"{live_server.url}/sondage/?pid=BR-1")
    expect(page.get_by_text("Page 1 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("25 à 34 ans").check()
    page.get_by_label("Une femme").check()
    page.get_by_label("Bretagne").check()
    page.get_by_label("Moins de 3 500 habitants").check()
    page.get_by_label("Employé·e").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Page 2 sur 5")).to_be_visible()
    page.get_by_label("Plutôt positif").check()
    # Autosave keeps the answer: a reload shows it again, and the database has it.
    expect(page.locator("#autosave-status")).to_contain_text("Enregistré")
    page.reload()
    expect(page.get_by_label("Plutôt positif")).to_be_checked()
    participation = Participation.objects.get()
    assert participation.response.values_by_code()["ia_sentiment"] == {"choice": "plutot_positif"}
    fill(page, "regard", skip={"q-ia_sentiment"})
    for number, slug in enumerate(["usages", "inquietudes", "decision"], start=3):
        page.get_by_role("button", name="Continuer").click()
        expect(page.get_by_text(f"Page {number} sur 5")).to_be_visible()
        fill(page, slug)
    assert_accessible(page)
    page.get_by_role("button", name="Terminer").click()
    expect(page).to_have_url("https://panel.example/retour?statut=complet&id=BR-1")
    participation.refresh_from_db()
    assert participation.outcome == Outcome.COMPLETE


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_minor_is_sent_back_to_the_institute_as_screened_out_in_a_real_browser(page, live_server):
    open_now(poll_edition())
    institute(page)
    page.goto(f"{live_server.url}/sondage/?pid=BR-2")
    page.get_by_label("Moins de 18 ans").check()
    page.get_by_label("Un homme").check()
    page.get_by_label("Corse").check()
    page.get_by_label("Plus de 100 000 habitants").check()
    page.get_by_label("Étudiant·e, élève").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url("https://panel.example/retour?statut=hors-cible&id=BR-2")
    assert Participation.objects.get().outcome == Outcome.SCREENED_OUT
