"""Servicedesk settings, read from the environment.

With no environment at all this runs the embedded development set-up: SQLite in
WAL mode, a filesystem Celery broker and email written to a folder. Production and
CI set DATABASE_URL, REDIS_URL and the rest (see .env.example).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable's value; unset and empty both mean the default."""
    return os.environ.get(name, "").strip() or str(default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


DEBUG = env_bool("DEBUG")
SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-key-not-for-production"  # nosec B105  # DEBUG only, never served

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "accounts",
    "tickets",
    "knowledge",
    "surveys",
    "portal",
    "workspace",
    "dashboards",
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
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Benchmark runs (`manage.py bench` sets this, see manage.py) install the benchmark app: its
# command, the floor page and a query counter. Production neither installs nor routes them.
BENCH_ENABLED = env_bool("BENCH_ENABLED")
ROOT_URLCONF = "benchmarks.urls" if BENCH_ENABLED else "servicedesk.urls"
if BENCH_ENABLED:
    INSTALLED_APPS.append("benchmarks")
    MIDDLEWARE.insert(0, "benchmarks.middleware.QueryCountMiddleware")
WSGI_APPLICATION = "servicedesk.wsgi.application"

# Every page, email and error page is Jinja2 (servicedesk/jinja2.py); Django's own engine
# renders only what ships with Django templates: the admin, DRF's pages and the benchmark floor.
TEMPLATES = [
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "servicedesk.jinja2.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.context_processors.servicedesk",
            ],
        },
    },
    {
        "NAME": "django",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

CSRF_FAILURE_VIEW = "servicedesk.errors.csrf_failure"
FORM_RENDERER = "servicedesk.forms.WidgetRenderer"

# SQLite (WAL, immediate transactions) unless DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'servicedesk.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Postgres plans a query each time it is sent; a page's joins can cost more to plan than to
# run. Server-side binding lets psycopg prepare the statements a connection repeats (after 5
# runs), so they are planned once. Turn off behind a pooler in transaction mode (PgBouncer).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not shared memory, so browser tests' server thread and the test can both write.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # Covering indexes (INCLUDE) are a Postgres speed-up; SQLite builds them without the extra
    # columns, which is all `make run` needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# A session ends after this many minutes without a request (0: no limit). Staff sessions
# (agents, managers, admins) reach every ticket and internal note, so theirs ends sooner.
# Sessions still end two weeks after they were last saved (SESSION_COOKIE_AGE).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 8 * 60)
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 60)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
MEDIA_ROOT = env("MEDIA_ROOT", str(VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = DEBUG

# Attachments: size and type limits (see tickets/attachments.py).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Security headers. HTTPS-only settings default on when DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a load balancer: trust its X-Forwarded-Proto, and take the client's address from the
# entry it appends to X-Forwarded-For (servicedesk/http.py), for lockouts and reset limits.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# Lock out repeated failed logins per account and address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "servicedesk.http.client_address"
# Tickets one person may log per window (count, seconds), counted in the shared cache; 0 turns
# a window off.
TICKET_SUBMISSION_LIMITS = [
    (env_int("TICKET_LIMIT_PER_10_MINUTES", 10), 10 * 60),
    (env_int("TICKET_LIMIT_PER_DAY", 50), 24 * 60 * 60),
]

# Password reset requests (accounts/password_reset.py), counted per hour in the database;
# past either limit nothing is sent and the page is the same. 0 turns a limit off.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env_int("PASSWORD_RESET_PER_CLIENT_PER_HOUR", 20)

# Email: SMTP in production (Django's backend with a deadline per message, tickets/smtp.py); a folder of .eml files in development (see /dev/mail/).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "tickets.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
# Seconds each wait on the mail server may take (connecting, one reply), and the whole
# conversation of one message (tickets/smtp.py): it ends well before an outbox claim is
# released as stale (a minute), or a slow send could be sent twice (checked by tickets/checks.py).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_CONVERSATION_SECONDS = env_int("EMAIL_CONVERSATION_SECONDS", 40)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Servicedesk <servicedesk@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DEV_MAIL_PAGE = env_bool("DEV_MAIL_PAGE", DEBUG)

# Celery: Redis when configured, otherwise an embedded filesystem broker.
REDIS_URL = env("REDIS_URL", "")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")


def redis_cache_url(broker_url: str) -> str:
    """The cache's Redis: REDIS_CACHE_URL, or REDIS_URL's server on a database of its own.

    Never the broker's database: purging a queue or flushing the cache must not touch the other.
    """
    broker = urlsplit(broker_url)
    broker_db = (broker.path.strip("/") or "0") if broker.scheme.startswith("redis") else None
    url = env("REDIS_CACHE_URL", "")
    if not url:
        default_db = "2" if broker_db == "1" else "1"
        url = urlunsplit(urlsplit(REDIS_URL)._replace(path="/" + env("REDIS_CACHE_DB", default_db)))
    cache = urlsplit(url)
    if (cache.hostname, cache.port, cache.path.strip("/") or "0") == (
        broker.hostname,
        broker.port,
        broker_db,
    ):
        raise RuntimeError(f"The cache ({url}) must not use the broker's Redis database.")
    return url


# One cache every process shares when Redis is there (reference data versions, fragments), so
# web workers and replicas agree; a cache per process otherwise (one `make run` process).
CACHES = {
    "default": {
        "BACKEND": "servicedesk.cache.SharedClientRedisCache",
        "LOCATION": redis_cache_url(CELERY_BROKER_URL),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "servicedesk"),
        # A Redis that is down or hung must not hold a request: each command waits at most
        # half a second, and the code that reads the cache carries on without it.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_URL or env("REDIS_CACHE_URL")
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "servicedesk"),
    }
}
# How long any process waits for the broker to connect or answer one command, in seconds.
BROKER_TIMEOUT_SECONDS = 0.5
if CELERY_BROKER_URL == "filesystem://":
    # kombu's filesystem transport, tuned so a worker stops promptly (see servicedesk/broker.py).
    CELERY_BROKER_TRANSPORT = "servicedesk.broker:FilesystemTransport"
    _queue_dir = VAR_DIR / "broker" / "queue"
    _processed_dir = VAR_DIR / "broker" / "processed"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        # The exchange tables too, not a `control` folder in whatever directory a process runs in.
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
else:
    # A web request publishes one nudge after commit and must never wait on the broker for it:
    # a broker that is down or hung costs a request at most about a second, and the nudge is
    # dropped (the outbox sweep sends its messages). The same bounds suit the worker, which
    # reconnects through Celery's own retry loop rather than waiting on a dead socket.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        # kombu retries a failed connect until broker_connection_timeout runs out; once is enough.
        "max_retries": 0,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "tickets.tasks.sweep_outbox", "schedule": 10.0},
    "close-resolved-tickets": {"task": "tickets.tasks.close_resolved_tickets", "schedule": 3600.0},
    "check-sla": {"task": "tickets.tasks.check_sla", "schedule": 30.0},
    "forget-password-reset-counters": {
        "task": "accounts.tasks.forget_password_reset_counters",
        "schedule": 3600.0,
    },
    "invite-surveys": {"task": "surveys.tasks.invite_due", "schedule": 60.0},
    "keep-survey-invitations-current": {
        "task": "surveys.tasks.keep_invitations_current",
        "schedule": 60.0,
    },
    "remind-surveys": {"task": "surveys.tasks.remind_due", "schedule": 600.0},
    "invite-relationship-surveys": {
        "task": "surveys.tasks.invite_relationship_due",
        "schedule": 3600.0,
    },
    "open-pulse-round": {"task": "surveys.pulse_tasks.open_pulse_round", "schedule": 3600.0},
}
# Resolved tickets close by themselves after this many days without an answer.
AUTO_CLOSE_AFTER_DAYS = env_int("AUTO_CLOSE_AFTER_DAYS", 5)
# A low survey answer's follow-up is due this many business days later (the SLA calendar's).
SURVEY_FOLLOW_UP_BUSINESS_DAYS = env_int("SURVEY_FOLLOW_UP_BUSINESS_DAYS", 1)

# Outbox delivery: retries with exponential backoff, then the row is marked failed.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 6)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Servicedesk API",
    "VERSION": "1",
    "ENUM_NAME_OVERRIDES": {"LevelEnum": "tickets.models.Level"},
    # The schema lists every endpoint and field: for signed-in people only, as the API is.
    # This covers every drf-spectacular view, a documentation page added later included.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
