import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from barometre.env import env_bool, env_database, env_int

ROOT = Path(__file__).resolve().parent.parent


def test_a_bad_boolean_fails_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "peut-être")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        env_bool("DJANGO_DEBUG")


def test_booleans_accept_the_usual_spellings(monkeypatch):
    for text, expected in [("1", True), ("true", True), ("Oui", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("X_FLAG", text)
        assert env_bool("X_FLAG") is expected


def test_a_bad_integer_fails_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "vingt-cinq")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", 25)


def test_without_database_url_sqlite_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env_database("DATABASE_URL", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"


def test_a_postgres_database_url_uses_postgresql(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://user:secret@db.example:5432/barometre")
    config = env_database("DATABASE_URL", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "barometre"


def test_an_unsupported_database_url_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "mysql://user@host/db")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_database("DATABASE_URL", tmp_path / "db.sqlite3")


def run_check(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = run_check(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_the_project_starts_with_a_secret_key_and_debug_off():
    result = run_check(DJANGO_DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.fr")
    assert result.returncode == 0, result.stderr


def test_a_bare_pytest_runs_without_secret_key_nor_debug_in_the_environment():
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_settings.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SECRET_KEY" not in result.stdout + result.stderr


def test_the_test_settings_use_postgresql_when_database_url_is_set():
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert engine == "django.db.backends.postgresql"
    else:
        assert engine == "django.db.backends.sqlite3"
