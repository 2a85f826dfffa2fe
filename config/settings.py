"""Humble's settings: the one place every setting lives, read from environment variables.

Unset variables give the embedded default (SQLite under var/, in-memory channel layer, no
Firebase). README.md lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config import converters, env, logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HUMBLE_VAR_DIR", BASE_DIR / "var"))

PRODUCTION = env.is_production()
SECRET_KEY = env.kept_secret("SECRET_KEY", var_dir=VAR_DIR, generate=env.new_secret_key)
# Off by default even in development: the technical 500 page shows local variables, and those
# may hold reflection text.
DEBUG = env.flag("DEBUG")
if DEBUG and PRODUCTION:
    raise ImproperlyConfigured("DEBUG cannot be on when DJANGO_ENV=production.")
ALLOWED_HOSTS = env.listing(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
if PRODUCTION and any("*" in host for host in ALLOWED_HOSTS):
    # With a wildcard any Host header is believed, and absolute links and redirects built from it can be forged.
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts when DJANGO_ENV=production, not a wildcard.")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "refresh_tokens",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "administration",
    "teams",
    "exercises",
    "reflections",
    "acknowledgements",
    "nudges",
    "events",
    "group_sessions",
    "pairs",
    "orphans",
    "agreements",
    "commitments",
    "chat",
    "insights",
    "dashboard",
    "privacy",
    "worker",
    "demo",
]

# The last one is synchronous only, so Django runs the whole chain on one thread: under ASGI,
# middleware that can run either way would otherwise each hop between the event loop and a
# thread, twice a request (MEASUREMENTS: about 12 hops a request).
MIDDLEWARE = [
    "config.logs.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.optional_trailing_slash",
]

ROOT_URLCONF = "config.urls"
LOGIN_URL = "dashboard:sign-in"
LOGIN_REDIRECT_URL = "dashboard:home"
ASGI_APPLICATION = "config.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under var/. SQLite runs in WAL mode with immediate
# transactions and a busy timeout, so background writes queue behind requests instead of failing.
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production.")
if DATABASE_URL:
    # PostgreSQL connections are pooled, up to DATABASE_POOL_SIZE per process (config.env.database).
    DATABASES = {"default": env.database(DATABASE_URL, pool_size=env.integer("DATABASE_POOL_SIZE", default=10))}
else:
    env.private_directory(VAR_DIR)
    DATABASES = {
        "default": {
            # Django's SQLite backend, creating database files 0600 (their -wal and -shm follow).
            "ENGINE": "config.sqlite",
            "NAME": VAR_DIR / "humble.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so a test can read the bytes that reach the disk.
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (rate-limit counters): Redis when REDIS_URL is set, so every process shares them.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "humble",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Channel layer: Redis when REDIS_URL is set, else in-process memory, joined to the other server
# processes through config.server when it started several (HUMBLE_PEERS_FD, realtime.layer).
PEERS_FD = os.environ.get("HUMBLE_PEERS_FD", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.RedisChannelLayer",
            # No read timeout: the layer's own blocking reads wait 5 s, which redis-py 8's default
            # socket timeout would cut short, dropping streams while they are quiet.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}], "prefix": "humble"},
        }
    }
elif PEERS_FD:
    CHANNEL_LAYERS = {"default": {"BACKEND": "realtime.layer.PeerChannelLayer", "CONFIG": {"peers_fd": int(PEERS_FD)}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Outside production, static files come straight from the apps: nothing to collect first.
WHITENOISE_USE_FINDERS = not PRODUCTION

# Reflections are encrypted with REFLECTION_KEYS: comma-separated Fernet keys, the first
# encrypts, all decrypt. Put a new key first, run rotate_reflection_keys, then drop the old one.
REFLECTION_KEYS = env.fernet_keys(
    "REFLECTION_KEYS",
    env.kept_secret("REFLECTION_KEYS", var_dir=VAR_DIR, generate=lambda: Fernet.generate_key().decode()),
)

# Firebase: FIREBASE_CREDENTIALS is a service-account JSON file (needed to send pushes);
# FIREBASE_PROJECT_ID alone is enough to verify sign-in ID tokens.
FIREBASE_CREDENTIALS = os.environ.get("FIREBASE_CREDENTIALS", "").strip()
FIREBASE_PROJECT_ID = os.environ.get("FIREBASE_PROJECT_ID", "").strip()
FIREBASE_HTTP_TIMEOUT = env.integer("FIREBASE_HTTP_TIMEOUT", default=10)
# The web pages' "Sign in with your organisation's account" (dashboard.views.FirebaseSignIn):
# the Firebase web app's public config, and the sign-in provider the customer set up in Firebase
# (google.com, microsoft.com, saml.<name> or oidc.<name>). Unset: the option is not shown.
FIREBASE_WEB_API_KEY = os.environ.get("FIREBASE_WEB_API_KEY", "").strip()
FIREBASE_AUTH_DOMAIN = os.environ.get("FIREBASE_AUTH_DOMAIN", "").strip()
FIREBASE_WEB_PROVIDER = os.environ.get("FIREBASE_WEB_PROVIDER", "").strip() or "google.com"
if PRODUCTION and os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
    # With it set, firebase-admin accepts unsigned ID tokens: anyone could sign in as anyone.
    raise ImproperlyConfigured("FIREBASE_AUTH_EMULATOR_HOST must not be set when DJANGO_ENV=production.")

ACKNOWLEDGEMENT_DAILY_LIMIT = env.integer("ACKNOWLEDGEMENT_DAILY_LIMIT", default=10)
SHARE_DAILY_LIMIT = env.integer("SHARE_DAILY_LIMIT", default=100)
# WebSocket frames one connection may send: a burst, refilled at a steady rate per second.
REALTIME_FRAME_BURST = 20
REALTIME_FRAMES_PER_SECOND = 5

# Background work: django-tasks with its database backend (the django-tasks-db worker).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Pushes: FCM when there are credentials, else a console backend that logs what it would send.
PUSH_BACKEND = os.environ.get("PUSH_BACKEND", "").strip() or (
    "nudges.push.FcmBackend" if FIREBASE_CREDENTIALS else "nudges.push.ConsoleBackend"
)

# "Leave it with me": a lead may reopen a claim quiet for this long; the claimant is reminded sooner.
ORPHAN_STALE_DAYS = env.integer("ORPHAN_STALE_DAYS", default=14)
ORPHAN_REMINDER_DAYS = env.integer("ORPHAN_REMINDER_DAYS", default=7)

# Scheduled group sessions: how far ahead one may be scheduled, how late one still opens while
# the team is in another session (after that it is missed), and how many the clock opens a tick.
SESSION_SCHEDULE_HORIZON_DAYS = env.integer("SESSION_SCHEDULE_HORIZON_DAYS", default=365)
SESSION_OPEN_GRACE_MINUTES = env.integer("SESSION_OPEN_GRACE_MINUTES", default=60)
SESSION_OPEN_BATCH = 200
# The calendar feed leaves out series whose last occurrence is longer ago than this.
CALENDAR_PAST_DAYS = env.integer("CALENDAR_PAST_DAYS", default=180)

# Pairs: an invitation stays open this long; one person has at most this many open at once.
PAIR_INVITATION_HOURS = env.integer("PAIR_INVITATION_HOURS", default=72)
PAIR_OPEN_INVITATIONS_MAX = env.integer("PAIR_OPEN_INVITATIONS_MAX", default=3)

# Team invitations (teams.services): a link lives this many days and points at this address
# plus its token. Mail goes through Django's backend: in development the console's, which prints
# it; in production SMTP, as the console would put live invitation links in the logs.
INVITATION_DAYS = env.integer("INVITATION_DAYS", default=7)
INVITATION_LINK_BASE = os.environ.get("INVITATION_LINK_BASE", "http://127.0.0.1:8000/invitations/")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Humble <no-reply@humble.invalid>")
# With EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend, the SMTP server to send through.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", default=25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS")

# A device token registered by someone in another organisation moves only once that
# registration has been idle this long (or its owner signed out on the device).
DEVICE_TAKEOVER_IDLE_DAYS = env.integer("DEVICE_TAKEOVER_IDLE_DAYS", default=30)

# Realtime: event log retention, heartbeats, presence, and the largest frame a client may send.
EVENT_RETENTION_DAYS = env.integer("EVENT_RETENTION_DAYS", default=30)
REALTIME_HEARTBEAT_SECONDS = env.integer("REALTIME_HEARTBEAT_SECONDS", default=10)
PRESENCE_GRACE_SECONDS = env.integer("PRESENCE_GRACE_SECONDS", default=15)
# A connection not heard from for this long is gone (its process died without closing it).
PRESENCE_STALE_SECONDS = 3 * REALTIME_HEARTBEAT_SECONDS
REALTIME_MAX_FRAME_BYTES = 8192
REALTIME_TICKET_SECONDS = 30

# Sign-in limits (accounts.sign_in), for every door: attempts per client address; wrong passwords
# per account from one address; wrong passwords per account from everywhere, past which the
# account is slowed down (never locked).
SIGN_IN_RATES = {
    "address": os.environ.get("SIGN_IN_RATE_PER_ADDRESS", "30/min"),
    "account": os.environ.get("SIGN_IN_RATE_PER_ACCOUNT", "10/hour"),
    "account_everywhere": os.environ.get("SIGN_IN_RATE_PER_ACCOUNT_EVERYWHERE", "100/hour"),
}
# Erasure waits this long, and signing in again meanwhile calls it off (privacy.services).
ERASURE_GRACE_DAYS = env.integer("ERASURE_GRACE_DAYS", default=14)
# How far back a phone that was offline may date what it did (common/offline.py).
OFFLINE_DAYS_MAX = env.integer("OFFLINE_DAYS_MAX", default=14)

# The largest request body (a 10,000-character reflection is under 64 KB); over it: 413, refused
# before it is read whole (config.body_limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirst",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": None,
    # How many proxies add to X-Forwarded-For; 0 trusts only the socket's address.
    "NUM_PROXIES": env.integer("NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.integer("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.integer("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Humble API",
    "DESCRIPTION": 'The phone app\'s API: exercises, private reflections and "I see you" acknowledgements.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": converters.Id.openapi, "device_token": converters.DeviceToken.openapi},
    "ENUM_NAME_OVERRIDES": {
        "ReactionKindEnum": "acknowledgements.models.Reaction.Kind",
        "StepKindEnum": "exercises.models.Step.Kind",
        "NudgeKindEnum": "nudges.models.Kind",
        "AgreementKindEnum": "agreements.models.Agreement.Kind",
        "TeamRoleEnum": "teams.models.Membership.Role",
        "PairStatusEnum": "pairs.frames.SHOWN_STATUSES",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "api.schema.describe_areas",
    ],
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "api.errors.HumbleExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "415", "429", "500", "503"],
    "ERROR_SCHEMAS": {
        status: "api.schema.ErrorResponseSerializer"
        for status in ("400", "401", "403", "404", "405", "406", "409", "415", "429", "500", "503")
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
logs.install()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
