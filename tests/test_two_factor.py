"""Staff two-factor authentication: French, one code field, enrolment from the web."""

import base64
import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.typography import typeset

pytestmark = pytest.mark.django_db

PASSWORD = "un mot de passe assez long"
LOGIN = reverse("admin:login")
ENROL = reverse("admin:two_factor_enrol")
INDEX = reverse("admin:index")


@pytest.fixture(autouse=True)
def otp_required(settings):
    settings.ADMIN_OTP_REQUIRED = True


@pytest.fixture
def staff():
    return User.objects.create_user("analyste", password=PASSWORD, is_staff=True)


def login(client, code=""):
    data = {"username": "analyste", "password": PASSWORD, "otp_token": code, "next": INDEX}
    return client.post(LOGIN, data)


def code_for(device, shift=0):
    return f"{totp(device.bin_key, t0=device.t0 - shift):06d}"


def secret_from(page):
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    return secret


def test_the_login_page_is_french_with_one_code_field_and_no_device_choice(client, staff):
    page = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in page and "Code de vérification" in page
    assert 'name="otp_device"' not in page
    for english in ("Please select a device", "Backup Code", "OTP Token", "OTP Device"):
        assert english not in page
    TOTPDevice.objects.create(user=staff, name="téléphone", confirmed=True)
    refused = login(client, code="").content.decode()
    assert "Saisissez le code de vérification" in refused
    assert "Please" not in refused


def open_enrolment_link(client, user):
    from barometre.models import EnrolmentLink

    _, token = EnrolmentLink.issue(user)
    return client.get(reverse("admin:two_factor_enrolment_link", args=[token]))


def test_a_staff_member_without_device_is_sent_to_set_up_an_app(client, staff):
    open_enrolment_link(client, staff)
    assert login(client).status_code == 302
    page = client.get(LOGIN)
    assert page.status_code == 302 and page.url == ENROL
    enrol = client.get(ENROL)
    html = enrol.content.decode()
    assert enrol.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([^\"]+)", html).group(1))
    assert b"<svg" in svg
    assert client.get(INDEX).status_code == 302  # not in before the app is set up


def test_enrolling_with_the_code_of_the_app_lets_staff_in_then_asks_for_a_code(client, staff):
    open_enrolment_link(client, staff)
    login(client)
    secret = secret_from(client.get(ENROL)).replace(" ", "")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert base64.b32encode(device.bin_key).decode().rstrip("=") == secret
    wrong = client.post(ENROL, {"otp_token": f"{(int(code_for(device)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400 and "Ce code ne correspond pas" in wrong.content.decode()
    throttled = client.post(ENROL, {"otp_token": code_for(device)}).content.decode()
    assert typeset("essais : patientez quelques secondes") in throttled
    later = timezone.now() + datetime.timedelta(seconds=5)  # past the slow-down
    with time_machine.travel(later, tick=False):
        page = client.post(ENROL, {"otp_token": code_for(device)})
        assert page.status_code == 302 and page.url == INDEX
        assert client.get(INDEX).status_code == 200
    device.refresh_from_db()
    assert device.confirmed

    client.logout()
    assert login(client).status_code == 200  # a password alone no longer does
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        assert login(client, code=code_for(device)).status_code == 302
        assert client.get(INDEX).status_code == 200


def test_a_backup_code_goes_in_the_same_field(client, staff):
    device = StaticDevice.objects.create(user=staff, name="secours")
    device.token_set.create(token="abcd1234")
    assert login(client, code="abcd1234").status_code == 302
    assert client.get(INDEX).status_code == 200


def test_a_staff_member_with_a_device_cannot_enrol_another_with_a_password_alone(client, staff):
    TOTPDevice.objects.create(user=staff, name="téléphone", confirmed=True)
    client.force_login(staff)
    page = client.get(ENROL)
    assert page.status_code == 302 and page.url.startswith(LOGIN)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_the_readme_says_how_to_create_the_first_staff_account():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "createsuperuser" in readme
    assert "/admin/double-authentification/" in readme


# -- Enrolment links ----------------------------------------------------------------------------


def test_a_password_alone_cannot_set_up_an_app(client, staff):
    assert login(client).status_code == 302
    page = client.get(ENROL)
    assert page.status_code == 403
    assert "ouvrez d'abord le lien d'inscription" in page.content.decode().replace("’", "'")
    assert 'name="otp_token"' not in page.content.decode()
    assert client.post(ENROL, {"otp_token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.exists()
    assert client.get(INDEX).status_code == 302


@pytest.fixture
def superuser_client(client_factory):
    """A superuser signed in with a backup code (so verified)."""
    boss = User.objects.create_superuser("chef", password=PASSWORD)
    device = StaticDevice.objects.create(user=boss, name="secours")
    device.token_set.create(token="chef1234")
    browser = client_factory()
    data = {"username": "chef", "password": PASSWORD, "otp_token": "chef1234", "next": INDEX}
    assert browser.post(LOGIN, data).status_code == 302
    return browser


def issue_through_the_admin(browser, user):
    page = browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_enrolment_links", "_selected_action": [user.pk]},
    )
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    return re.search(r'data-testid="enrolment-link">([^<]+)<', page.content.decode()).group(1)


def test_a_superuser_gives_a_one_time_link_with_which_the_staff_member_sets_up_an_app(
    client, staff, superuser_client
):
    from barometre.models import EnrolmentLink

    url = issue_through_the_admin(superuser_client, staff)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert EnrolmentLink.objects.get().token_hash != token  # only the hash is stored
    opened = client.get(url)
    assert opened.status_code == 302 and opened.url.startswith(LOGIN)
    assert opened.headers["Referrer-Policy"] == "same-origin"
    assert login(client).status_code == 302
    device_page = client.get(ENROL)
    assert device_page.status_code == 200 and 'name="otp_token"' in device_page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post(ENROL, {"otp_token": code_for(device)}).url == INDEX
    assert client.get(INDEX).status_code == 200
    assert EnrolmentLink.objects.get().used_at is not None
    # Used once: the link is spent, even for its owner in another browser.
    from django.test import Client

    assert Client().get(url).status_code == 404


def test_an_enrolment_link_expires_after_three_days_and_a_new_one_replaces_the_old(client, staff):
    from barometre.models import EnrolmentLink

    with time_machine.travel(timezone.now() - datetime.timedelta(days=3, minutes=1)):
        _, old = EnrolmentLink.issue(staff)
    assert client.get(reverse("admin:two_factor_enrolment_link", args=[old])).status_code == 404
    _, first = EnrolmentLink.issue(staff)
    _, second = EnrolmentLink.issue(staff)
    assert client.get(reverse("admin:two_factor_enrolment_link", args=[first])).status_code == 404
    assert client.get(reverse("admin:two_factor_enrolment_link", args=[second])).status_code == 302


def test_a_link_opened_for_one_account_does_not_enrol_another(client, staff):
    other = User.objects.create_user("autre", password=PASSWORD, is_staff=True)
    open_enrolment_link(client, other)
    login(client)  # as « analyste »
    assert client.get(ENROL).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_only_superusers_may_issue_enrolment_links(client_factory, staff):
    from django.contrib.auth.models import Permission

    manager = User.objects.create_user("rh", password=PASSWORD, is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__endswith="_user"))
    device = StaticDevice.objects.create(user=manager, name="secours")
    device.token_set.create(token="rh123456")
    browser = client_factory()
    data = {"username": "rh", "password": PASSWORD, "otp_token": "rh123456", "next": INDEX}
    assert browser.post(LOGIN, data).status_code == 302
    page = browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_enrolment_links", "_selected_action": [staff.pk]},
    )
    from barometre.models import EnrolmentLink

    assert not EnrolmentLink.objects.exists()
    assert page.status_code in (200, 302)


def test_the_first_superuser_gets_a_link_from_the_command_line(staff):
    import io

    from django.core.management import call_command

    output = io.StringIO()
    call_command("enrolment_link", "analyste", stdout=output)
    assert "/admin/double-authentification/lien/" in output.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_browsers_spending_one_enrolment_link_at_once_enrol_one_app_only(staff):
    import threading

    from django.db import connection

    from barometre.models import EnrolmentLink

    if connection.vendor != "postgresql":
        pytest.skip("the race is run on PostgreSQL")
    link, _ = EnrolmentLink.issue(staff)
    start, spent = threading.Barrier(8), []

    def spend():
        try:
            start.wait()
            spent.append(EnrolmentLink.objects.get(pk=link.pk).use())
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(spent) == [False] * 7 + [True]
