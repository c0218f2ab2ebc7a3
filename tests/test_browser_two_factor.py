import base64
import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.helpers.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"


def code_from_secret(secret):
    """What the phone's app shows: the TOTP of the secret it scanned."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


def sign_in(page, live_server, code=""):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("analyste")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Code de vérification").fill(code)
    page.get_by_role("button", name="Se connecter").click()


def test_staff_set_up_an_authenticator_app_then_sign_in_with_one_code(page, live_server, settings):
    settings.ADMIN_OTP_REQUIRED = True
    from barometre.models import EnrolmentLink

    user = User.objects.create_superuser("analyste", password=PASSWORD)
    _, token = EnrolmentLink.issue(user)  # the link another superuser hands over
    page.goto(f"{live_server.url}/admin/double-authentification/lien/{token}/")
    expect(page.get_by_role("combobox")).to_have_count(0)  # no device to choose
    expect(page.get_by_text("Please")).to_have_count(0)
    sign_in(page, live_server)

    expect(page.get_by_role("heading", name="Configurer votre application")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code de configuration")
    expect(qr_code).to_be_visible()
    assert qr_code.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert qr_code.evaluate("img => img.naturalWidth") > 0  # the CSP let it render
    assert_accessible(page)
    secret = page.get_by_test_id("otp-secret").inner_text()
    page.get_by_label("Code affiché par").fill(code_from_secret(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", name="Administration du baromètre")).to_be_visible()

    page.get_by_role("button", name="Déconnexion").click()
    # The next code: an app never accepts the same one twice.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        sign_in(page, live_server, code=code_from_secret(secret))
        expect(page.get_by_role("heading", name="Administration du baromètre")).to_be_visible()
        responses_link = page.get_by_role("link", name="Réponses").first
        expect(responses_link).to_be_visible()
