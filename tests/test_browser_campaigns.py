"""A campaign in a real browser: staff import, preview, send and follow; a contact opens the
invitation and unsubscribes."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import expect

from campaigns.models import Contact, Message, MessageStatus
from survey.collection.models import Response
from tests.helpers.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"
LINK = re.compile(r"https?://\S+")


def test_staff_import_contacts_preview_send_and_follow_the_invitation(
    browser, live_server, settings, small_survey
):
    settings.ADMIN_OTP_REQUIRED = False
    settings.SITE_URL = live_server.url
    User.objects.create_superuser("chef", password=PASSWORD)
    page = browser.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("chef")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()

    page.goto(f"{live_server.url}/admin/campaigns/contact/")
    page.get_by_role("link", name="Importer un fichier CSV").click()
    csv = "siren;email;nom\n216902641;dsi@villeurbanne.fr;Ada\n216902567;pas-une-adresse;\n"
    page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "contacts.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_test_id("import-errors")).to_contain_text("Ligne 3")
    assert_accessible(page)
    assert not Contact.objects.exists()
    page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "contacts.csv", "mimeType": "text/csv",
                "buffer": csv.replace("pas-une-adresse", "elu@vaulx.fr").encode()}]
    )  # fmt: skip
    page.get_by_role("button", name="Importer").click()
    expect(page.locator(".messagelist")).to_contain_text("2 contact(s) importé(s)")

    page.goto(f"{live_server.url}/admin/campaigns/step/add/")
    page.get_by_label("Édition").select_option(label=str(small_survey))
    page.get_by_label("Type").select_option(label="Invitation")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_role("link", name="Textes et aperçu des destinataires").click()
    expect(page.get_by_test_id("preview-total")).to_have_text("2 destinataires")
    assert_accessible(page)
    assert not Message.objects.exists()
    page.get_by_role("button", name=re.compile("Envoyer cette étape")).click()

    expect(page.get_by_role("heading", name=re.compile("Suivi de la campagne"))).to_be_visible()
    expect(page.get_by_test_id("per-step")).to_contain_text("Invitation")
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 2
    assert_accessible(page)

    # The contact opens the personal link of their invitation.
    invitation = next(m for m in mail.outbox if m.to == ["dsi@villeurbanne.fr"])
    url = next(link for link in LINK.findall(invitation.body) if "/invitation/" in link)
    respondent = browser.new_page()
    respondent.goto(url)
    expect(respondent.get_by_role("heading", level=1)).to_contain_text("Répondre pour Villeurbanne")
    assert_accessible(respondent)
    assert not Response.objects.exists()  # opening the link (or a scanner's fetch) starts nothing
    # The click posts from a page whose address holds the token (Referrer-Policy same-origin:
    # the browser sends its Origin, which Django's CSRF check accepts).
    respondent.get_by_role("button", name="Commencer ou reprendre la réponse").click()
    expect(respondent.get_by_role("heading", level=1)).not_to_have_text(
        "Répondre pour Villeurbanne"
    )
    response = Response.objects.get()
    assert response.collectivite.siren == "216902641"
    assert response.respondents.get().email == "dsi@villeurbanne.fr"
    assert "/questionnaire/" in respondent.url

    # Staff schedule a reminder at J-7: each recipient gets the text that fits.
    page.goto(f"{live_server.url}/admin/campaigns/step/add/")
    page.get_by_label("Édition").select_option(label=str(small_survey))
    page.get_by_label("Type").select_option(label="Relance")
    page.get_by_label("Jours avant la clôture").fill("7")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("Relance J-7"))).to_be_visible()
    page.get_by_role("row", name=re.compile("Relance J-7")).get_by_role(
        "link", name="Textes et aperçu des destinataires"
    ).click()
    expect(page.get_by_test_id("preview-total")).to_have_text("2 destinataires")
    expect(page.get_by_role("row", name=re.compile("Vaulx-en-Velin"))).to_contain_text(
        "invité, pas commencé"
    )
    expect(page.get_by_role("row", name=re.compile("Villeurbanne"))).to_contain_text(
        "brouillon non envoyé"
    )


def test_a_contact_unsubscribes_in_one_click_without_logging_in(browser, live_server, settings,
                                                                small_survey):  # fmt: skip
    from campaigns.audience import queue_step
    from campaigns.models import OptOut, Step, StepKind
    from survey.collectivites.models import Collectivite

    settings.SITE_URL = live_server.url
    Contact.objects.create(
        edition=small_survey,
        collectivite=Collectivite.objects.get(siren="216902641"),
        email="dsi@villeurbanne.fr",
    )
    queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    email = mail.outbox[0]
    url = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in email.body

    page = browser.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Se désinscrire")
    assert_accessible(page)
    page.get_by_role("button", name="Me désinscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes désinscrit")
    assert_accessible(page)
    assert OptOut.objects.filter(edition=small_survey, email="dsi@villeurbanne.fr").exists()
