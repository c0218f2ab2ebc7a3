"""What staff see of campaigns and of the published questions, in a real browser, on a phone
(320 px) and a desktop (1,280 px): the steps' links on screen, each email's text, preview and
test, and the choice of published questions by section without JavaScript."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import expect

from campaigns.models import Contact, Message, MessageKind, Step, StepKind, StepText
from results.models import Publication
from survey.collectivites.models import Collectivite
from tests.helpers.browser import assert_accessible
from tests.helpers.html import nu_problems
from tests.sample import make_questionnaire

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "campaign-step.png"


def signed_in(browser, live_server, width, java_script=True):
    User.objects.create_superuser("chef", "chef@observatoire.fr", PASSWORD)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=java_script
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill("chef")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    return page


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= page.evaluate("window.innerWidth"), f"{scroll_width}px at {width}px"


def assert_on_screen(locator, width):
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("width", [320, 1280])
def test_staff_read_edit_preview_and_try_the_emails_of_a_step(
    browser, live_server, settings, small_survey, width, tmp_path
):
    settings.ADMIN_OTP_REQUIRED = False
    Contact.objects.create(
        edition=small_survey,
        collectivite=Collectivite.objects.get(siren="216902641"),
        email="dsi@villeurbanne.fr",
        name="Ada",
    )
    invitation = Step.objects.create(edition=small_survey, kind=StepKind.INVITATION)
    Step.objects.create(edition=small_survey, kind=StepKind.REMINDER, days_before_close=7)
    page = signed_in(browser, live_server, width)
    pages = []

    # The steps list: both links of every row are on screen, not off to the right.
    page.goto(f"{live_server.url}/admin/campaigns/step/")
    for name in ["Invitation", "Relance J-7"]:
        row = page.get_by_role("row", name=re.compile(name))
        assert_on_screen(row.get_by_role("link", name="Textes et aperçu des destinataires"), width)
        assert_on_screen(row.get_by_role("link", name="Suivi de la campagne"), width)
    expect(page.get_by_role("row", name=re.compile("Relance J-7"))).to_contain_text("à 09 h 30")
    assert_accessible(page)
    # Not given to the Nu checker: Django's list wraps its search box in <search>, an element
    # the bundled checker is older than.

    # The invitation as Ada's collectivité will read it, and its text with its placeholders.
    page.get_by_role("row", name=re.compile("Invitation")).get_by_role(
        "link", name="Textes et aperçu des destinataires"
    ).click()
    email = page.get_by_test_id("email-invitation")
    expect(email.get_by_test_id("email-subject")).to_contain_text("votre collectivité est invitée")
    expect(email.get_by_test_id("email-html")).to_contain_text("Bonjour Camille Exemple,")
    expect(email.locator("a[href$='/invitation/exemple/']")).to_be_visible()
    expect(email.get_by_label("Texte", exact=True)).to_have_value(re.compile(r"\{lien\}"))
    assert_fits(page, width)
    assert_accessible(page)
    pages.append((f"step-preview-{width}", page.content()))

    # An unknown placeholder is refused in French; the text saved stays.
    email.get_by_label("Texte", exact=True).fill("Bonjour {prénom}, {lien} {lien_desinscription}")
    email.get_by_role("button", name="Enregistrer le texte").click()
    email = page.get_by_test_id("email-invitation")
    expect(email.locator(".errorlist")).to_contain_text("La balise « {prénom} » n’existe pas")
    assert not StepText.objects.exists()
    assert_fits(page, width)
    assert_accessible(page)
    pages.append((f"step-refused-{width}", page.content()))
    email.get_by_label("Texte", exact=True).fill(
        "Bonjour {nom},\n\nVotre lien pour {collectivite} :\n{lien}\n\n"
        "Se désinscrire : {lien_desinscription}"
    )
    email.get_by_role("button", name="Enregistrer le texte").click()
    expect(page.locator(".messagelist")).to_contain_text("enregistré")
    email = page.get_by_test_id("email-invitation")
    expect(email.get_by_test_id("email-html")).to_contain_text("Votre lien pour Villeurbanne")
    if width == 1280 and os.environ.get("SAVE_SCREENSHOTS"):  # docs/screenshots, on demand
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # A test to oneself: the staff member's address only, never in the campaign's counts.
    email.get_by_role("button", name=re.compile("M’envoyer un essai")).click()
    expect(page.locator(".messagelist")).to_contain_text("Essai du message")
    assert [m.to for m in mail.outbox] == [["chef@observatoire.fr"]]
    assert "Votre lien pour Villeurbanne" in mail.outbox[0].body
    assert Message.objects.get().kind == MessageKind.STEP_TEST
    invitation.refresh_from_db()
    assert invitation.started_at is None
    assert nu_problems(pages, tmp_path) == []


@pytest.mark.parametrize("width", [320, 1280])
def test_staff_publish_a_whole_section_without_javascript(browser, live_server, settings, width,
                                                         tmp_path):  # fmt: skip
    settings.ADMIN_OTP_REQUIRED = False
    edition = make_questionnaire()
    page = signed_in(browser, live_server, width, java_script=False)
    page.goto(f"{live_server.url}/admin/resultats/{edition.year}/publication/")
    usages = page.get_by_test_id("section-usages")
    expect(usages.locator("legend")).to_have_text("Usages")
    expect(usages.get_by_label(re.compile("Utilisez-vous l.IA"))).to_be_visible()
    assert_fits(page, width)
    pages = [(f"publication-{width}", page.content())]
    usages.get_by_role("button", name="Publier toute la section « Usages »").click()
    expect(page.locator(".messagelist")).to_contain_text("publiée")
    published = set(Publication.objects.values_list("question__code", flat=True))
    section = set(edition.questions.filter(section__slug="usages").values_list("code", flat=True))
    free_text = {q.code for q in edition.questions.all() if q.kind_class.free_text}
    assert published == section - free_text and published
    for code in published:
        expect(page.locator(f"#publier-{code}")).to_be_checked()
    assert_fits(page, width)
    pages.append((f"publication-saved-{width}", page.content()))
    # axe runs as a script: the page again, with JavaScript.
    checked = browser.new_context(viewport={"width": width, "height": 900})
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(f"{live_server.url}/admin/resultats/{edition.year}/publication/")
    assert_accessible(axe_page)
    assert nu_problems(pages, tmp_path) == []
