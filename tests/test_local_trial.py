"""`make demo`: the closed edition reopened on a developer's machine, under a visible banner."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.helpers.browser import assert_accessible

ROOT = Path(__file__).resolve().parent.parent
BANNER = "Essai local — les réponses ne comptent pas"


@pytest.mark.django_db
def test_every_page_shows_the_trial_banner_when_the_local_trial_is_on(
    client, small_survey, settings
):
    settings.LOCAL_TRIAL = True
    for url in (reverse("home"), reverse("resume_by_email"), reverse("privacy")):
        assert BANNER in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_no_page_shows_the_trial_banner_by_default(client, small_survey, settings):
    assert settings.LOCAL_TRIAL is False
    assert "Essai local" not in client.get(reverse("home")).content.decode()


def manage_check(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE", "LOCAL_TRIAL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_the_local_trial():
    production = {"DJANGO_DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.fr"}
    result = manage_check(**production, LOCAL_TRIAL="1")
    assert result.returncode != 0
    assert "LOCAL_TRIAL" in result.stderr


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_trial_banner_is_visible_and_accessible(page, live_server, small_survey, settings):
    settings.LOCAL_TRIAL = True
    page.goto(live_server.url)
    expect(page.get_by_test_id("local-trial")).to_have_text(BANNER)
    assert_accessible(page)
