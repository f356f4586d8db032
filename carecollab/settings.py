"""CareCollab settings: one module, every value from an environment variable.

The defaults give the *embedded* set-up (SQLite file in the project folder, Celery
tasks run eagerly in-process, e-mail printed to the console), so a laptop needs no
services. Production differs only by environment (see README, "Settings").
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

TESTING = env.bool("CARECOLLAB_TESTING", default=False)
# The default is the developer's laptop (the embedded set-up); a server sets DEBUG=false,
# which then demands a real SECRET_KEY and turns on HTTPS-only cookies and redirects.
# ALLOWED_HOSTS defaults to loopback, so a default instance answers no other host.
DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Only good for a developer's laptop or the test run; never for a server.
        SECRET_KEY = "insecure-local-only-key-carecollab-" + "x" * 32  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "csp",
    "notifications",
    "cases",
    "releases",
    "medications",
    "referrals",
    "messaging",
    "assessments",
    "alerts",
    "fhir_exchange",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    "carecollab.middleware.NoStoreForSignedInMiddleware",
    "releases.gate.RequestCacheMiddleware",
    "carecollab.middleware.RejectNulBytesMiddleware",
    "carecollab.middleware.MethodNotAllowedPageMiddleware",
    "carecollab.middleware.AbsoluteSessionLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A device handed to the patient reaches only their scale (assessments/handover.py).
    "assessments.handover.HandoverMiddleware",
    "carecollab.middleware.DuplicateSubmissionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carecollab.urls"
WSGI_APPLICATION = "carecollab.wsgi.application"

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
                "carecollab.context_processors.navigation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must hold a clinic's morning: every read writes audit rows.
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
    # when a transaction starts (no deadlock upgrading a read lock, which SQLite answers
    # with "database is locked" at once); the busy timeout makes a writer wait its turn.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=60),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The bench's reference page (/bench/reference/: a signed-in page that renders the base
# template and nothing else), against which the bench reports every page. Off (404) unless
# the bench turns it on.
BENCH_REFERENCE_PAGE = env.bool("BENCH_REFERENCE_PAGE", default=False)

# --- Authentication and sessions ------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Accounts are made by invitation only (accounts/): a one-time link, valid this long.
INVITATION_HOURS = env.int("INVITATION_HOURS", default=72)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)
# The second factor (django-otp) is required of everyone, except that with DEMO_MODE on
# the users seed_demo made sign in with their password alone. ./scripts/run turns it on;
# `check --deploy` fails while it is on (accounts.checks).
DEMO_MODE = env.bool("DEMO_MODE", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CareCollab")
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the cookie lives SESSION_IDLE_MINUTES and every request renews it.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=15)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Absolute limit, counted from sign-in (carecollab.middleware).
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# A form sent twice within this many seconds is saved once (carecollab.middleware).
DUPLICATE_POST_SECONDS = env.int("DUPLICATE_POST_SECONDS", default=30)

# Lock-out after repeated failed sign-ins (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Lock a username after repeated failures (from anywhere, and from one address), never
# an address alone: a clinic signs in from behind one proxy address, and one person's
# typos must not lock out everyone else there.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# The client's address, for the username + address lock: behind the TLS proxy the
# deployment expects, the address that proxy saw (accounts.lockout.client_ip).
# TRUSTED_PROXY_COUNT is how many proxies stand in front of the app; 0, the default,
# reads REMOTE_ADDR only, so a client cannot choose its address with a header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# guardian: no anonymous user row; a refused logged-in user gets 403/404, never a login
# redirect.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True
GUARDIAN_AUTO_PREFETCH = True

# --- Security (production values come with DEBUG off) ---------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): scripts and styles from this site's own files
# only, never inline (the pages keep theirs in static/css and static/js); no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Static files and the signed documents --------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Signed release documents are PHI: kept outside the static and media web roots and
# only served through releases:document, which checks who asks.
SIGNED_DOCUMENTS_ROOT = Path(
    env.str("SIGNED_DOCUMENTS_ROOT", default=str(BASE_DIR / "var" / "signed-documents"))
)
SIGNED_DOCUMENT_MAX_BYTES = env.int("SIGNED_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# FHIR medication list uploads (fhir_exchange): the largest file, and how long a preview
# waits for its confirmation.
FHIR_IMPORT_MAX_BYTES = env.int("FHIR_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
FHIR_IMPORT_PREVIEW_HOURS = env.int("FHIR_IMPORT_PREVIEW_HOURS", default=24)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "var" / "media", "base_url": None},
    },
    "signed_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": SIGNED_DOCUMENTS_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- E-mail (default: printed to the console) -----------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CareCollab <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery and Redis -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Without Redis (the embedded default) the broker is kombu's filesystem transport: one
# folder under var/ holds the queue, so a worker and beat run beside the web server
# with no service at all (./scripts/run starts them). Its folders are made by
# carecollab/celery.py.
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# Without Redis and without a worker (manage.py run by hand, a cron job) tasks run
# in-process, at once; ./scripts/run sets CELERY_TASK_ALWAYS_EAGER=false because it
# starts a worker on the filesystem broker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# A task Redis hands out and nobody acknowledges comes back after this; tasks never use
# countdowns longer than this (reminders are rows in the database, not delayed tasks).
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
if not REDIS_URL:
    # Producers write into the folder the worker reads: one folder in and out.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(CELERY_BROKER_DIR / "queue"),
        data_folder_out=str(CELERY_BROKER_DIR / "queue"),
        control_folder=str(CELERY_BROKER_DIR / "control"),
        store_processed=False,
    )
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE: dict = {}
# How often beat enqueues each sweep (seconds); a test shortens them.
BEAT_SWEEP_SECONDS = env.int("BEAT_SWEEP_SECONDS", default=15 * 60)
BEAT_REDELIVER_SECONDS = env.int("BEAT_REDELIVER_SECONDS", default=5 * 60)
BEAT_ALERTS_SECONDS = env.int("BEAT_ALERTS_SECONDS", default=5 * 60)

# --- Audit ------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Logging: never PHI (no names, no note text) ---------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
