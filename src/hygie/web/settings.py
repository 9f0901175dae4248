"""Django settings, every deployment choice read from the environment (HYGIE_*).

Embedded defaults run on a laptop: SQLite and local files under HYGIE_HOME (default `./var`), a
secret key generated once into HYGIE_HOME, DEBUG off. Production sets HYGIE_DATABASE_URL
(postgres://...), HYGIE_SECRET_KEY, HYGIE_ALLOWED_HOSTS and, for single sign-on, the HYGIE_OIDC_*
variables. Secrets are read here and never logged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hygie.web import branding
from hygie.web.env import env_bool, env_database, env_int, env_list

WEB_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("HYGIE_HOME", "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)
(HOME / "static").mkdir(exist_ok=True)  # whitenoise serves from the package, wants the folder


def _secret_key() -> str:
    if os.environ.get("HYGIE_SECRET_KEY"):
        return os.environ["HYGIE_SECRET_KEY"]
    path = HOME / "secret_key"  # embedded default: made once, readable by its owner only
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("HYGIE_DEBUG", False)
ALLOWED_HOSTS = env_list("HYGIE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HYGIE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dsfr",  # the State's design system: its static files, components and form templates
    "widget_tweaks",  # needed by django-dsfr's form templates
    "ninja",  # serves the API docs (Swagger UI) from its static files, not a CDN (CSP)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "mozilla_django_oidc",
    "django_tasks",
    "django_tasks_db",
    "hygie.web.accounts",
    "hygie.web.audit",
    "hygie.web.catalogue",
    "hygie.web.feasibility",
    "hygie.web.search",
    "hygie.web.dcat",
    "hygie.web.guichet",
    "hygie.web.objections",
    "hygie.web.workspaces",
    "hygie.web.airlock",
]

MIDDLEWARE = [
    # Outermost: security headers on every response (WhiteNoise's static files and error pages
    # included) and no-store for anything answered to a signed-in person.
    "hygie.web.headers.HeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hygie.web.guards.RefuseNulMiddleware",  # after locale: its message is translated
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hygie.web.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hygie.web.urls"
WSGI_APPLICATION = "hygie.web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [WEB_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {
        "context_processors": [
            "django.template.context_processors.request",
            "django.template.context_processors.i18n",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
            "csp.context_processors.nonce",
            "hygie.web.branding.context",
            "hygie.web.guichet.context.navigation",
            "hygie.web.workspaces.context.navigation",
        ],
        # {% load notify %}: the mail templates' `one_line` filter (hygie.web.notify)
        "libraries": {"notify": "hygie.web.notify"},
        # {% colon %}: a label's colon with the French space before it (hygie.web.typography)
        "builtins": ["hygie.web.typography"],
    },
}]

DATABASES = {"default": env_database("HYGIE_DATABASE_URL", f"sqlite:///{HOME / 'hygie.sqlite3'}",
                                      conn_max_age=env_int("HYGIE_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server read while the worker writes; wait rather than fail on a lock.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;",
                                       "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts
    "django.contrib.auth.backends.ModelBackend",
]
OIDC_ENABLED = bool(os.environ.get("HYGIE_OIDC_ENDPOINT"))
OIDC_CALLBACK_CLASS = "hygie.web.accounts.oidc.HygieOIDCCallbackView"  # states expire
if OIDC_ENABLED:
    _issuer = os.environ["HYGIE_OIDC_ENDPOINT"].rstrip("/")
    AUTHENTICATION_BACKENDS.append("hygie.web.accounts.oidc.HygieOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ.get("HYGIE_OIDC_CLIENT_ID", "")
    if not OIDC_RP_CLIENT_ID:
        raise ImproperlyConfigured("HYGIE_OIDC_ENDPOINT is set: HYGIE_OIDC_CLIENT_ID is needed too")
    OIDC_RP_CLIENT_SECRET = os.environ.get("HYGIE_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("HYGIE_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("HYGIE_OIDC_AUTHORIZATION_ENDPOINT",
                                                    f"{_issuer}/authorize")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("HYGIE_OIDC_TOKEN_ENDPOINT", f"{_issuer}/token")
    OIDC_OP_USER_ENDPOINT = os.environ.get("HYGIE_OIDC_USER_ENDPOINT", f"{_issuer}/userinfo")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("HYGIE_OIDC_JWKS_ENDPOINT", f"{_issuer}/jwks")
    OIDC_TIMEOUT = 10  # seconds: a hung provider must not hold a server thread
    LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?oidc=failed"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
OTP_TOTP_ISSUER = "Hygie"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows another person's TOTP key

# Login throttling: 5 failures lock the username from that address for 15 minutes.
AXES_FAILURE_LIMIT = env_int("HYGIE_AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# Reverse proxies in front of the site (each appends to X-Forwarded-For): the client address
# for lock-outs and the audit trail is read through them (accounts.client_ip).
HYGIE_TRUSTED_PROXIES = env_int("HYGIE_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "hygie.web.accounts.client_ip.client_ip"

# French first, English second; dates and numbers follow the language.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# The look (HYGIE_THEME, HYGIE_SITE_NAME, ...): hygie.web.branding. A bad value stops the start.
try:
    HYGIE_BRAND = branding.from_environment()
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error
# The legal notice's facts about the operator, shown on /mentions-legales/ (empty: "not given").
HYGIE_LEGAL = {key: os.environ.get(f"HYGIE_LEGAL_{key.upper()}", "").strip() for key in (
    "publisher", "address", "director", "host", "contact", "dpo")}

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATICFILES_DIRS = [WEB_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(HOME / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve from the package without a collectstatic step

# Uploads: a schema or a Data Package is small; anything bigger is refused with a clear error.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
HYGIE_MAX_UPLOAD_BYTES = env_int("HYGIE_MAX_UPLOAD_BYTES", 5 * 2**20, minimum=1)
# An application's attachments: kept outside the media root, served after a permission check.
HYGIE_PRIVATE_FILES = Path(os.environ.get("HYGIE_PRIVATE_FILES", str(HOME / "private")))
HYGIE_ATTACHMENT_MAX_BYTES = env_int("HYGIE_ATTACHMENT_MAX_BYTES", 20 * 2**20, minimum=1)

# Rendered parts of pages that no longer change (a published version's tables and diagram), kept
# per process. HYGIE_PAGE_CACHE_SECONDS bounds how long a change made outside the workflow (the
# admin) can take to show.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "OPTIONS": {"MAX_ENTRIES": 1000}}}
HYGIE_PAGE_CACHE_SECONDS = env_int("HYGIE_PAGE_CACHE_SECONDS", 3600)

# Where the lake and the engine's secrets live (feasibility counts, statistics).
HYGIE_LAKE = Path(os.environ.get("HYGIE_LAKE", str(HOME / "lake")))
HYGIE_OPPOSITION_REGISTER = Path(os.environ.get("HYGIE_OPPOSITION_REGISTER",
                                                str(HOME / "oppositions.parquet")))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                     "QUEUES": ["default", "statistics", "feasibility", "mail", "workspaces",
                                "runs"]}}

# Project workspaces (`hygie.web.workspaces`): their folders, how long their data stay after the
# authorisation ends (at most 6 months), and how members' jobs run (bubblewrap by default: see
# hygie.workspace.jobs; "none" only on a machine used by one person).
HYGIE_WORKSPACES = Path(os.environ.get("HYGIE_WORKSPACES", str(HOME / "workspaces")))
HYGIE_WORKSPACE_RETENTION_DAYS = env_int("HYGIE_WORKSPACE_RETENTION_DAYS", 90)
if HYGIE_WORKSPACE_RETENTION_DAYS > 183:
    raise ImproperlyConfigured("HYGIE_WORKSPACE_RETENTION_DAYS: at most 183 days (6 months) after "
                               "an authorisation ends")
HYGIE_JOB_SANDBOX = os.environ.get("HYGIE_JOB_SANDBOX", "bwrap")
if HYGIE_JOB_SANDBOX not in ("bwrap", "none"):
    raise ImproperlyConfigured("HYGIE_JOB_SANDBOX is bwrap or none")
HYGIE_JOB_SECONDS = env_int("HYGIE_JOB_SECONDS", 3600, minimum=1)
HYGIE_JOB_MEMORY_MB = env_int("HYGIE_JOB_MEMORY_MB", 4096, minimum=64)
# The airlock's copies of the files asked for release (`hygie.web.airlock.storage`): private,
# served only to the project's members once approved (and to output checkers while reviewed).
HYGIE_AIRLOCK = Path(os.environ.get("HYGIE_AIRLOCK", str(HYGIE_PRIVATE_FILES / "airlock")))

# E-mail notifications (`hygie.web.notify`): through SMTP when HYGIE_SMTP_HOST is set, otherwise
# written as files under HYGIE_HOME/mail, one per message, for a laptop without a mail server.
# HYGIE_SITE_URL is the address that links in messages start with.
SITE_URL = os.environ.get("HYGIE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("HYGIE_MAIL_FROM", "hygie@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("HYGIE_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["HYGIE_SMTP_HOST"]
    EMAIL_PORT = env_int("HYGIE_SMTP_PORT", 587, minimum=1)
    EMAIL_HOST_USER = os.environ.get("HYGIE_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("HYGIE_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("HYGIE_SMTP_STARTTLS", True)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(HOME / "mail")

# Security headers. HTTPS settings switch on behind TLS (HYGIE_HTTPS=1).
HTTPS = env_bool("HYGIE_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# Content security policy: our own origin only, inline scripts only with the page's nonce.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HYGIE_LOG_LEVEL", "WARNING")},
}

# Feasibility counts (docs/operations.md, "Limits"): how big a definition may be, what one count
# job may use, and each applicant's budget of counts (docs/statistical-secrecy.md, "Budgets").
HYGIE_DEFINITION_LIMITS = {
    "criteria": env_int("HYGIE_DEFINITION_MAX_CRITERIA", 100, minimum=1),
    "codes": env_int("HYGIE_DEFINITION_MAX_CODES", 5_000, minimum=1),
    "codelists": env_int("HYGIE_DEFINITION_MAX_CODELISTS", 100, minimum=1),
    "values": env_int("HYGIE_DEFINITION_MAX_VALUES", 50),
}
HYGIE_COUNT_SECONDS = env_int("HYGIE_COUNT_SECONDS", 300, minimum=5)
HYGIE_COUNT_MEMORY_MB = env_int("HYGIE_COUNT_MEMORY_MB", 2_048, minimum=512)
HYGIE_COUNT_BUDGET_DAY = env_int("HYGIE_COUNT_BUDGET_DAY", 20)
HYGIE_COUNT_BUDGET_TOTAL = env_int("HYGIE_COUNT_BUDGET_TOTAL", 100)
HYGIE_COUNT_VARIANTS = env_int("HYGIE_COUNT_VARIANTS", 10, minimum=1)

# The DCAT-AP import (`hygie manage import_dcat`): how much it reads, and how long it may parse.
HYGIE_DCAT_IMPORT_MAX_BYTES = env_int("HYGIE_DCAT_IMPORT_MAX_BYTES", 20 * 2**20, minimum=1)
HYGIE_DCAT_IMPORT_SECONDS = env_int("HYGIE_DCAT_IMPORT_SECONDS", 120, minimum=1)
