"""What the project declares is what it uses: dependencies, security policy, settings."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# How each runtime dependency is used: the name the code, the settings or the Dockerfile say.
USED_AS = {
    "django": "django",
    "django-crispy-forms": "crispy_forms",
    "crispy-bootstrap5": "crispy_bootstrap5",
    "django-bootstrap-static": '"bootstrap"',
    "whitenoise": "whitenoise",
    "psycopg": "postgres",
    "dj-database-url": "dj_database_url",
    "openpyxl": "openpyxl",
    "orjson": "orjson.loads",
    "unidecode": "unidecode",
    "django-axes": "axes",
    "django-otp": "django_otp",
    "redis": "RedisCache",
    "django-ratelimit": "django_ratelimit",
    "gunicorn": "gunicorn",
    "django-tasks-db": "django_tasks_db",
    "qrcode": "qrcode",
    "tomlkit": "tomlkit",
    "numpy": "import numpy",
    "scipy": "from scipy import stats",
    "django-anymail": "from anymail",
}


def project_text():
    # The project and every app of it (a folder with an apps.py).
    packages = [ROOT / "barometre", *(path.parent for path in ROOT.glob("*/apps.py"))]
    files = [
        ROOT / "Dockerfile",
        *(file for package in packages for file in package.glob("**/*.py")),
    ]
    return "\n".join(path.read_text() for path in files)


def test_every_runtime_dependency_is_used_by_the_project():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    text = project_text()
    for requirement in declared:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group().lower()
        assert name in USED_AS, f"{name} is declared: say how it is used, or drop it"
        assert USED_AS[name] in text, f"{name} is declared but nothing uses it"


def test_the_content_security_policy_allows_the_site_s_scripts_only_without_a_nonce(settings):
    from django.utils.csp import CSP

    # No template has an inline script (tests/test_staff_security.py), so no nonce either.
    assert settings.SECURE_CSP["script-src"] == [CSP.SELF]
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    assert "django.template.context_processors.csp" not in processors
