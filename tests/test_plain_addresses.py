"""Addresses typed by anyone are plain mailboxes, and an outsider's address never travels as
text in the Observatoire's mail (issue 23, point 8)."""

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse

from campaigns.imports import import_contacts
from survey.addresses import validate_plain_address
from survey.collection.forms import AccessRequestForm, ResumeByEmailForm, StartForm
from survey.collection.models import Response

pytestmark = pytest.mark.django_db

VILLEURBANNE = "216902641"
PHISHING = '"URGENT-votre-compte-expire.Reconnectez-vous-sur-http://evil.example/login"@gmail.com'
REFUSED = [
    PHISHING,
    '"jean dupont"@mairie.fr',
    '"a"@mairie.fr',
    "a@b@mairie.fr",
    "http://evil.example@mairie.fr",
    "prenom..nom@mairie.fr",
    ".nom@mairie.fr",
    "x" * 65 + "@mairie.fr",
    "agent@" + "a" * 250 + ".fr",
    "agent(commentaire)@mairie.fr",
    "agent@mairie",
]
ACCEPTED = [
    "prenom.nom@exemple.fr",
    "jean-pierre+barometre@mairie-lyon.fr",
    "o'brien@ville.ie",
    "dsi_2025@agglo.paris",
    "agent@mairie-évry.fr",
]
FORMS = [StartForm, ResumeByEmailForm, AccessRequestForm]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
@pytest.mark.parametrize("address", REFUSED)
def test_every_form_that_takes_an_address_refuses_anything_but_a_plain_mailbox(form_class, address):
    form = form_class({"email": address})
    assert not form.is_valid()
    assert "adresse électronique simple" in form.errors["email"][0]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
@pytest.mark.parametrize("address", ACCEPTED)
def test_real_addresses_are_accepted_by_every_form(form_class, address):
    assert form_class({"email": address}).is_valid(), address


@pytest.mark.parametrize("address", ['"jean dupont"@mairie.fr', "x" * 65 + "@mairie.fr"])
def test_the_contacts_import_refuses_them_too(small_survey, address):
    lines = io.StringIO()
    csv.writer(lines, delimiter=";").writerows([["siren", "email"], [VILLEURBANNE, address]])
    result = import_contacts(small_survey, lines.getvalue().encode())
    assert result.error_count == 1 and "adresse électronique invalide" in result.errors[0]


def test_the_rule_is_one_validator():
    validate_plain_address("prenom.nom@exemple.fr")
    with pytest.raises(Exception, match="adresse électronique simple"):
        validate_plain_address(PHISHING)


def test_an_access_request_refuses_the_phishing_address_and_its_mail_never_echoes_one(
    client_factory, small_survey
):
    first = client_factory()
    first.post(reverse("start"), {"email": "premiere@villeurbanne.fr"})
    first.post(
        reverse("section", args=["profil"]), {"collectivite": VILLEURBANNE, "action": "later"}
    )
    assert Response.objects.get().collectivite.siren == VILLEURBANNE
    second = client_factory()
    second.post(reverse("start"), {"email": ""})
    mail.outbox.clear()
    url = reverse("request_access", args=[VILLEURBANNE])
    page = second.post(url, {"email": PHISHING})
    assert page.status_code == 400 and mail.outbox == []
    page = second.post(url, {"email": "second.agent@villeurbanne.fr"})
    assert page.status_code == 200
    (message,) = mail.outbox
    assert message.to == ["premiere@villeurbanne.fr"]
    bodies = [message.body, *(content for content, _ in message.alternatives)]
    assert not any("second.agent" in body for body in bodies)
    # The address is read on the grant page, behind the link, as text.
    grant = re.search(r"(http://\S+/acces/\S+/)", message.body).group(1)
    assert "<strong>second.agent@villeurbanne.fr</strong>" in first.get(grant).content.decode()


def test_staff_editing_a_contact_in_the_admin_are_held_to_the_same_rule(client, small_survey):
    from django.contrib.auth.models import User

    from survey.collectivites.models import Collectivite

    client.force_login(User.objects.create_superuser("chef"))
    villeurbanne = Collectivite.objects.get(siren=VILLEURBANNE)
    data = {"edition": small_survey.pk, "collectivite": villeurbanne.pk, "email": PHISHING,
            "name": "", "function": ""}  # fmt: skip
    page = client.post(reverse("admin:campaigns_contact_add"), data)
    assert page.status_code == 200 and "adresse électronique simple" in page.content.decode()
    page = client.post(reverse("admin:campaigns_contact_add"), {**data, "email": "dsi@ville.fr"})
    assert page.status_code == 302
