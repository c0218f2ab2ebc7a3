import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "un mot de passe assez long"


@pytest.fixture
def staff():
    return User.objects.create_user("analyste", password=PASSWORD, is_staff=True)


def login(client, password=PASSWORD, **extra):
    return client.post(
        reverse("admin:login"), {"username": "analyste", "password": password, **extra}
    )


def test_repeated_failed_logins_lock_the_account_for_that_address(client, staff):
    for _ in range(5):
        login(client, password="mauvais")
    page = login(client)
    assert page.status_code == 429
    assert "Connexion bloquée temporairement" in page.content.decode()


def test_without_two_factor_staff_sign_in_with_their_password(client, staff, settings):
    settings.ADMIN_OTP_REQUIRED = False
    assert login(client).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_two_factor_required_a_password_alone_is_not_enough(client, staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 302  # back to the login page


def test_with_two_factor_required_a_totp_code_lets_staff_in(client, staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="téléphone", confirmed=True)
    page = login(client, otp_device=device.persistent_id, otp_token=f"{totp(device.bin_key):06d}")
    assert page.status_code == 302, page.content.decode()[:2000]
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_totp_code_is_refused(client, staff, settings):
    settings.ADMIN_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="téléphone", confirmed=True)
    wrong = f"{(totp(device.bin_key) + 1) % 1000000:06d}"
    page = login(client, otp_device=device.persistent_id, otp_token=wrong)
    assert page.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_check_deploy_with_production_settings_reports_nothing():
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    } | {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "k3y-" + "x7Q!" * 16,
        "ALLOWED_HOSTS": "barometre.example.fr",
        "EMAIL_HOST": "smtp.example.fr",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers_are_sent(client, small_survey):
    page = client.get(reverse("home"))
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_script_nor_a_nonce():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "nonce" not in text, template
        for tag in text.split("<script")[1:]:
            assert "src=" in tag.split(">")[0], template


def test_a_staff_session_ends_after_a_working_day_without_activity(client, staff, settings):
    import datetime

    import time_machine

    settings.ADMIN_OTP_REQUIRED = False
    start = datetime.datetime(2025, 6, 2, 8, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert login(client).status_code == 302
        for hours in (4, 9, 9):  # active all day long, and the next morning
            traveller.shift(datetime.timedelta(hours=hours))
            assert client.get(reverse("admin:index")).status_code == 200
        traveller.shift(datetime.timedelta(hours=11))
        assert client.get(reverse("admin:index")).status_code == 302  # to the login page


def test_a_failed_login_stores_no_credential_and_a_backup_code_works_only_once(
    client, client_factory, staff, settings
):
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_static.models import StaticDevice

    settings.ADMIN_OTP_REQUIRED = True
    device = StaticDevice.objects.create(user=staff, name="secours")
    device.token_set.create(token="code9secours")
    login(client, password="mauvais mot de passe", otp_device=device.persistent_id,
          otp_token="code9secours")  # fmt: skip
    stored = " ".join(AccessAttempt.objects.values_list("post_data", "get_data", flat=False)[0])
    assert "code9secours" not in stored and "mauvais" not in stored
    assert "otp_token" in stored  # the parameter is named, its value masked
    first, second = client_factory(), client_factory()
    page = login(first, otp_device=device.persistent_id, otp_token="code9secours")
    assert page.status_code == 302
    login(second, otp_device=device.persistent_id, otp_token="code9secours")
    assert second.get(reverse("admin:index")).status_code == 302  # refused: already used


def test_staff_without_the_contact_permission_cannot_filter_on_personal_fields(client, staff):
    from django.contrib.auth.models import Group, Permission

    from survey.collection.models import AccessRequest
    from tests.factories import ResponseFactory

    staff.groups.add(Group.objects.get(name="Observatoire"))
    staff.user_permissions.add(Permission.objects.get(codename="view_accessrequest"))
    AccessRequest.create_for(ResponseFactory(), "victime@mairie.fr")
    client.force_login(staff)
    probes = [
        reverse("admin:survey_accessrequest_changelist") + "?email__startswith=v",
        reverse("admin:survey_accessrequest_changelist") + "?email=victime%40mairie.fr",
        reverse("admin:survey_response_changelist") + "?other_structure_name__startswith=J",
    ]
    for url in probes:
        assert client.get(url).status_code in (400, 302), url  # refused, or filter dropped
        assert "victime" not in client.get(url).content.decode()
    staff.user_permissions.add(Permission.objects.get(codename="view_contact_details"))
    allowed = client.get(probes[0])
    assert allowed.status_code == 200 and "1 demande" in allowed.content.decode()


def test_staff_without_the_contact_permission_never_see_an_other_structure_name(client, staff):
    from django.contrib.auth.models import Permission

    from tests.factories import EditionFactory, ResponseFactory

    response = ResponseFactory(
        edition=EditionFactory(),
        other_structure_name="Jean Dupont EI",
        other_structure_siren="123456782",
    )
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_response", "change_response"])
    )
    client.force_login(staff)
    pages = [
        reverse("admin:survey_response_changelist"),
        reverse("admin:survey_response_change", args=[response.pk]),
        reverse("admin:survey_response_reassign", args=[response.pk]),
    ]
    for url in pages:
        content = client.get(url).content.decode()
        assert "123456782" in content and "Dupont" not in content, url
    staff.user_permissions.add(Permission.objects.get(codename="view_contact_details"))
    change = client.get(reverse("admin:survey_response_change", args=[response.pk]))
    assert "Jean Dupont EI" in change.content.decode()
