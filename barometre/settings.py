"""Settings for Baromètre, read from the environment (see the README's table)."""

import json
from email.utils import parseaddr
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from barometre.env import env_bool, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
# `make demo`: the closed edition reopened on a developer's machine, under a banner saying that
# nothing typed there counts. Never in production: refused unless debug is on.
LOCAL_TRIAL = env_bool("LOCAL_TRIAL", default=False)
if LOCAL_TRIAL and not DEBUG:
    raise ImproperlyConfigured("LOCAL_TRIAL is a local trial: it needs DJANGO_DEBUG=1.")
SECRET_KEY = (
    env_str("SECRET_KEY", required=not DEBUG) or "dev-only-insecure-key-never-in-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "barometre.apps.BarometreAdminConfig",
    "barometre.apps.BarometreConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "survey",
    "results",
    "editions",
    "campaigns",
    "poll",
    "usecases",
    # Every email: the message log, its templates and its delivery (below the survey).
    "outbox",
    # After outbox: its `db_worker` (the worker that recovers what a dead one left) wins.
    "django_tasks_db",
]

MIDDLEWARE = [
    "barometre.request_limits.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "survey.typography.FrenchTypographyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "barometre.urls"
WSGI_APPLICATION = "barometre.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "survey.context_processors.contact",
                "barometre.context_processors.local_trial",
            ],
        },
    },
]

# Seconds a SQLite writer waits for another one (the default embedded database only).
SQLITE_BUSY_TIMEOUT = 60
DATABASES = {"default": env_database("DATABASE_URL", BASE_DIR / "db.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: the browser tests' live server answers from other threads.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    # The web server, the email worker and staff's commands (seed_responses, compute_results)
    # share the file. WAL lets readers go on during a write; writers begin IMMEDIATE, so that
    # they queue for the lock (waiting up to a minute) instead of failing at once on
    # « database is locked » when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    } | DATABASES["default"].get("OPTIONS", {})
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff logins: 5 failures lock that username from that address for an hour.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
AXES_RESET_ON_SUCCESS = True
# Failed attempts record the request's parameters: never a credential (a wrong password next
# to a valid one-time code would otherwise leave that code readable by superusers).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "otp_token",
    "otp_device",
    "otp_challenge",
    "csrfmiddlewaretoken",
]
# Two-factor authentication for the admin (TOTP apps, or static backup codes).
ADMIN_OTP_REQUIRED = env_bool("ADMIN_OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "Baromètre Data Publica"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Dates and times as French readers expect them: « 11 juillet 2025 à 23 h 59 ».
FORMAT_MODULE_PATH = ["barometre.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development and tests, serve static files straight from the apps without collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: Django 6.1's MAILERS: SMTP with EMAIL_HOST, any backend with MAILER_BACKEND; without
# either, mail is printed to the console (development). Every email leaves from the background
# worker (outbox.tasks), never during a request.
_smtp_host = env_str("EMAIL_HOST")
if _smtp_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", default=""),
                "password": env_str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": 10,
            },
        }
    }
elif env_str("MAILER_BACKEND"):
    # Any backend of Django's mail framework, e.g. a provider's through django-anymail
    # ("anymail.backends.postmark.EmailBackend", MAILER_OPTIONS='{"server_token": "…"}').
    try:
        _mailer_options = json.loads(env_str("MAILER_OPTIONS", default="{}"))
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"MAILER_OPTIONS is not JSON: {error}") from None
    if not isinstance(_mailer_options, dict):
        raise ImproperlyConfigured("MAILER_OPTIONS must be a JSON object.")
    MAILERS = {"default": {"BACKEND": env_str("MAILER_BACKEND"), "OPTIONS": _mailer_options}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", default="Observatoire Data Publica <barometre@localhost>"
)
# The public address of the site, for the links of emails sent by the background worker.
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000")
# A provider's webhook (django-anymail) reports bounces and complaints at
# /fournisseur/<provider>/tracking/, authenticated by HTTP basic auth "user:password";
# without this secret the webhook is not served at all.
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", default="")}
# The address respondents can write to (footer, privacy, legal and accessibility pages).
CONTACT_EMAIL = env_str("CONTACT_EMAIL", default=parseaddr(DEFAULT_FROM_EMAIL)[1])
# The host, named on the « Mentions légales » page (name, address, telephone).
LEGAL_HOSTING = env_str("LEGAL_HOSTING", default="")

# Background tasks (Django's django.tasks): emails that must not make a page slower or tell
# anything by their timing. Outside debug, tasks are stored in the database and sent by
# `python manage.py db_worker` (django-tasks-db); in debug and tests they run at once.
_tasks_in_database = env_bool("TASKS_IN_DATABASE", default=not DEBUG)
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if _tasks_in_database
            else "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Cache: Redis when REDIS_URL is set (shared by every worker), local memory otherwise.
_redis_url = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Security headers. HTTPS-only settings follow DJANGO_SECURE (on by default outside debug).
_secure = env_bool("DJANGO_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure and env_bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if _secure else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # journey.js reads the token from the form, never the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Only staff have sessions (respondents are known by their resume cookie, progress is in the
# database): a staff session ends after a working day without any request.
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_SAVE_EVERY_REQUEST = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Every endpoint, multipart included: no body beyond this is read, and no file is accepted.
REQUEST_BODY_MAX_SIZE = 512 * 1024
FILE_UPLOAD_HANDLERS = ["barometre.request_limits.RefuseFiles"]
# …but the contacts' CSV import of the admin (campaigns), which reads its file itself.
REQUEST_BODY_LARGER_PATHS = {"/admin/campaigns/contact/importer/": 11 * 1024 * 1024}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "barometre.logging.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Rate limits (django-ratelimit) count in the cache: Redis when REDIS_URL is set.
RATELIMIT_VIEW = "survey.collection.views.rate_limited"
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
# Behind a reverse proxy, the client's address is in a header (e.g. HTTP_X_FORWARDED_FOR).
if env_str("RATELIMIT_IP_META_KEY"):
    RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY")

# Whether a process keeps an edition's questionnaire structure until it changes (see
# Edition.questionnaire: a change gives the edition a new structure version).
QUESTIONNAIRE_CACHE = env_bool("QUESTIONNAIRE_CACHE", default=True)

# The coverage page flags the strata whose response rate n/N (in %) is below this target.
COVERAGE_TARGET_RATE = env_int("COVERAGE_TARGET_RATE", 10)

# A page left open for days must not lose its typed answers on a CSRF failure.
CSRF_FAILURE_VIEW = "survey.collection.views.csrf_failure"
