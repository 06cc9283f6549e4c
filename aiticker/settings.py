"""AI-Ticker settings: every knob comes from the environment (or a ``.env`` file), see ``.env.example``.

A value that cannot be parsed stops start-up with one line naming the variable, instead of a traceback from
deep inside Django.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
_env_file = os.environ.get("AITICKER_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file, overwrite=False)


#: Variables whose values must not be echoed in an error (they hold keys or passwords, e.g. in a URL).
_SECRET_VARIABLES = {"SECRET_KEY", "DATABASE_URL", "CACHE_URL", "AITICKER_SECRETS_KEY"}


def _shown(name: str) -> str:
    return f"{name} (value hidden)" if name in _SECRET_VARIABLES else f"{name}={os.environ.get(name)!r}"


def _setting(name: str, cast, default):
    """Read one variable, naming it in the error when its value is malformed."""
    try:
        return cast(name, default=default)
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # django-environ raises ValueError / TypeError without the variable's name
        detail = "" if name in _SECRET_VARIABLES else f": {exc}"
        raise ImproperlyConfigured(f"Invalid value for {_shown(name)}{detail}") from None


def _strict_bool(name: str, default: bool = False) -> bool:
    """Like ``env.bool``, but a typo is an error: django-environ reads ``SECURE_SSL_REDIRECT=ture`` as False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on", "y", "t"):
        return True
    if value in ("", "0", "false", "no", "off", "n", "f"):
        return False
    raise ImproperlyConfigured(f"Invalid value for {name}={raw!r}: use true or false")


def _bounded(name: str, cast, default, low=None, high=None):
    value = _setting(name, cast, default)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ImproperlyConfigured(f"Invalid value for {name}={value!r}: must be between {low} and {high}")
    return value


# --- Core -------------------------------------------------------------------------------------------------
DEBUG = _setting("DEBUG", _strict_bool, False)
# The default key is only fit for a laptop; `manage.py check --deploy` flags it (security.W009).
SECRET_KEY = _setting("SECRET_KEY", env.str, "django-insecure-aiticker-development-key-change-me")
ALLOWED_HOSTS = _setting("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _setting("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "plugins",
    "providers",
    "aiticker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "aiticker.urls"
WSGI_APPLICATION = "aiticker.wsgi.application"
ASGI_APPLICATION = "aiticker.asgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------
with warnings.catch_warnings():  # django-environ warns about an unknown scheme with the password in the text
    warnings.simplefilter("ignore")
    DATABASES = {
        "default": _setting("DATABASE_URL", env.db_url, f"sqlite:///{VAR_DIR / 'aiticker.sqlite3'}"),
    }
if "." not in DATABASES["default"].get("ENGINE", ""):  # an unknown scheme: no engine, or the bare scheme
    raise ImproperlyConfigured(
        f"Invalid value for {_shown('DATABASE_URL')}: use postgres://USER:PASSWORD@HOST:5432/NAME "
        "or sqlite:////absolute/path.sqlite3"
    )
SQLITE_BUSY_TIMEOUT = _bounded("AITICKER_SQLITE_BUSY_TIMEOUT", env.float, 20.0, 0.1, 600)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets page readers run while the loop writes; IMMEDIATE takes the write lock at BEGIN so two writers
    # queue on the busy timeout instead of failing with "database is locked" half-way through a transaction.
    _sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    _sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite_options.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# Persistent connections: opening one costs more than a whole /api/ticker/ answer; health checks drop dead ones.
DATABASES["default"].setdefault("CONN_MAX_AGE", _setting("DATABASE_CONN_MAX_AGE", env.int, 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": _setting("CACHE_URL", env.cache_url, "locmemcache://aiticker")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = _setting("TIME_ZONE", env.str, "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request until collectstatic made it
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = _setting("WHITENOISE_USE_FINDERS", _strict_bool, DEBUG)

# --- REST framework ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "aiticker.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": _bounded("AITICKER_API_PAGE_SIZE", env.int, 50, 1, 1000),
    "DEFAULT_THROTTLE_RATES": {
        "public": _setting("AITICKER_PUBLIC_THROTTLE_RATE", env.str, "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI-Ticker API",
    "DESCRIPTION": "Plugins, providers, messages and the current ticker message.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from this site (drf-spectacular-sidecar): no CDN, so the strict CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets share a field name ("source", "status"); named here so the schema is stable and
    # `check --deploy --fail-level WARNING` stays clean (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "PluginSourceEnum": "plugins.models.Plugin.Source",
        "PluginStatusEnum": "plugins.models.Plugin.Status",
        "TickSourceEnum": "aiticker.models.Tick.Source",
    },
}
# Request bodies larger than this are refused with 400 before any view code runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = _bounded("AITICKER_MAX_REQUEST_BYTES", env.int, 1_048_576, 1024, 100_000_000)

# --- AI-Ticker ----------------------------------------------------------------------------------------------
# Extra folders searched for plugins, besides plugins/builtin and plugins/custom (comma-separated paths).
AITICKER_PLUGIN_DIRS = _setting("AITICKER_PLUGIN_DIRS", env.list, [])
# The plugin_config.json imported by `make run` (creating missing providers only).
AITICKER_PLUGIN_CONFIG = _setting("AITICKER_PLUGIN_CONFIG", env.str, str(BASE_DIR / "plugin_config.json"))
# Fernet key for API keys at rest. Blank: derived from SECRET_KEY with HKDF (never the raw SECRET_KEY).
AITICKER_SECRETS_KEY = _setting("AITICKER_SECRETS_KEY", env.str, "")
if AITICKER_SECRETS_KEY:  # checked at start-up, not at the first save of a key (which would be a 500)
    from cryptography.fernet import Fernet

    try:
        Fernet(AITICKER_SECRETS_KEY.encode())
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "Invalid value for AITICKER_SECRETS_KEY (value hidden): expected a Fernet key, generate one with "
            '.venv/bin/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from None
# Circuit breaker: failures in a row before a provider is skipped, and for how long.
AITICKER_CIRCUIT_FAILURES = _bounded("AITICKER_CIRCUIT_FAILURES", env.int, 3, 1, 1000)
AITICKER_CIRCUIT_COOLDOWN = _bounded("AITICKER_CIRCUIT_COOLDOWN", env.float, 300.0, 1, 86400)
# How often the loop refreshes every enabled provider's (free) health check, in seconds.
AITICKER_HEALTH_CHECK_INTERVAL = _bounded("AITICKER_HEALTH_CHECK_INTERVAL", env.float, 300.0, 1, 86400)
# Longest message kept; longer answers are cut at a word boundary. Protects the layout and the database.
AITICKER_MAX_MESSAGE_LENGTH = _bounded("AITICKER_MAX_MESSAGE_LENGTH", env.int, 1000, 10, 100_000)
# Largest provider response body read, in bytes; bigger answers are refused without being read whole.
AITICKER_MAX_RESPONSE_BYTES = _bounded("AITICKER_MAX_RESPONSE_BYTES", env.int, 2_000_000, 1024, 100_000_000)
# Origins allowed to frame /embed/ (e.g. "https://obs.example.com"); empty: same origin only.
AITICKER_EMBED_FRAME_ANCESTORS = _setting("AITICKER_EMBED_FRAME_ANCESTORS", env.list, [])
for _origin in AITICKER_EMBED_FRAME_ANCESTORS:
    if _origin not in ("'self'", "*") and urlsplit(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"Invalid value in AITICKER_EMBED_FRAME_ANCESTORS: {_origin!r} is not an origin")

# --- Security -----------------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _setting("SECURE_SSL_REDIRECT", _strict_bool, False)
SECURE_HSTS_SECONDS = _setting("SECURE_HSTS_SECONDS", env.int, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", _strict_bool, False)
SECURE_HSTS_PRELOAD = _setting("SECURE_HSTS_PRELOAD", _strict_bool, False)
SESSION_COOKIE_SECURE = _setting("SESSION_COOKIE_SECURE", _strict_bool, False)
CSRF_COOKIE_SECURE = _setting("CSRF_COOKIE_SECURE", _strict_bool, False)
if _setting("BEHIND_TLS_PROXY", _strict_bool, False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Logging ------------------------------------------------------------------------------------------------
LOG_LEVEL = _setting("LOG_LEVEL", env.str, "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"Invalid value for LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING or ERROR")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {
        # Masks every known API key (and bearer-style credentials) in messages, arguments and tracebacks.
        "redact_secrets": {"()": "providers.redaction.RedactSecretsFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own DEBUG output (every SQL query) drowns the ticker's; opt in with DJANGO_LOG_LEVEL.
        "django": {"level": _setting("DJANGO_LOG_LEVEL", env.str, "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL)},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
