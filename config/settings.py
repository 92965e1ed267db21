"""Settings for wicn, read only from environment variables.

Every value has a default that suits a laptop (SQLite, console email, DEBUG on).
Production sets DEBUG=false and must then provide SECRET_KEY and ALLOWED_HOSTS;
`python manage.py check --deploy` is clean with such an environment.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file beside manage.py is a convenience for laptops; real deployments
# pass variables through their process manager.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105 - only when DEBUG is on
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, used where absolute URLs must not depend on
# the request (feeds, calendar files, emails sent by background jobs).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Women in Cloud Native")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "community.members",
    "community.notifications",
    "community.podcasts",
    "community.workshops",
    "community.chats",
    "community.calendar",
    "community.reports",
    "community.digest",
    "community.announcements",
    "mentorship",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseControlCharactersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "community.members.middleware.TimezoneMiddleware",
    "community.members.middleware.MFAForBuildersMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "community.members.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, scheduler, workers) share the file; WAL and a
    # busy timeout let them take turns instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded media (episode audio). "filesystem": MEDIA_ROOT (a volume on Kubernetes), served by
# config.media with byte ranges; "s3": an S3-compatible bucket that serves the files itself.
# docs/media.md says which to choose.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
MEDIA_ORIGINS: list[str] = []
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    # Feed enclosures are fetched for years by podcast apps: public, unsigned, never-expiring URLs.
    AWS_QUERYSTRING_AUTH = False
    AWS_DEFAULT_ACL = env.str("AWS_DEFAULT_ACL", default="") or None
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=86400"}
    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_ORIGINS = [f"https://{AWS_S3_CUSTOM_DOMAIN}"]
    elif AWS_S3_ENDPOINT_URL:
        MEDIA_ORIGINS = [AWS_S3_ENDPOINT_URL.rstrip("/")]
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(f'MEDIA_STORAGE must be "filesystem" or "s3", not "{MEDIA_STORAGE}".')

SITE_ID = 1

# Email ---------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # The delivery job's output goes to its task log; printed emails belong on the terminal.
    EMAIL_CONFIG["EMAIL_BACKEND"] = "community.notifications.backends.TerminalEmailBackend"
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Accounts (django-allauth) -------------------------------------------------
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "community.members.forms.SignupForm"
ACCOUNT_ADAPTER = "community.notifications.accounts.OutboxAccountAdapter"
SOCIALACCOUNT_ADAPTER = "community.members.adapters.SocialAccountAdapter"
MFA_ADAPTER = "community.members.adapters.MFAAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
for _provider in ("github", "google"):
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    _secret = env.str(f"{_provider.upper()}_CLIENT_SECRET", default="")
    if _client_id and _secret:
        SOCIALACCOUNT_PROVIDERS[_provider] = {"APPS": [{"client_id": _client_id, "secret": _secret}]}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_ONLY = False
# Social sign-ups go through the sign-up form too, so that they accept the code of conduct.
SOCIALACCOUNT_AUTO_SIGNUP = False

# Security ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    # /healthz and /readyz are probed over plain HTTP inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content-Security-Policy (django-csp): no inline script or style anywhere, so an injected
# tag or attribute does nothing. Episode audio may live on another host (an episode's audio URL,
# or the media bucket), hence https: for media only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "https:", *MEDIA_ORIGINS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Celery (the Celery executor's transport) ----------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes the database connection around every task unless this is set; the
# workflow engine's task keeps it instead (see workflows.tasks), as a reconnect costs more than a short try.
CELERY_DB_REUSE_MAX = 1_000_000

# Workflows -----------------------------------------------------------------
# The engine declares its settings with their defaults in workflows/conf.py and
# workflows/kubernetes/conf.py and never reads the environment itself: this is where it is read.
WORKFLOWS_EXECUTORS = env.list("WORKFLOWS_EXECUTORS", default=["local"])
# The project's name on its pods (app.kubernetes.io/managed-by=wicn, wicn/dag-id, …) and Celery task ids.
WORKFLOWS_INSTANCE_NAME = "wicn"
WORKFLOWS_CELERY_APP = "config.celery:app"
WORKFLOWS_BASE_TEMPLATE = "base.html"
WORKFLOWS_KUBERNETES_NAMESPACE = env.str("KUBERNETES_NAMESPACE", default="")
WORKFLOWS_KUBERNETES_WORKER_IMAGE = env.str("WORKER_IMAGE", default="")
WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = env.str(
    "POD_TEMPLATE_FILE", default=str(BASE_DIR / "deploy" / "kubernetes" / "base" / "pod-template.yaml")
)
# Empty: the in-cluster service account.
WORKFLOWS_KUBERNETES_CONFIG_FILE = env.str("KUBECONFIG", default="")
# Any other engine setting may come from an environment variable of its own name; unset, the
# engine's default applies.
_WORKFLOWS_FROM_ENV = {
    "WORKFLOWS_HEARTBEAT_INTERVAL": env.float,
    "WORKFLOWS_ZOMBIE_THRESHOLD": env.float,
    "WORKFLOWS_ZOMBIE_CHECK_INTERVAL": env.float,
    "WORKFLOWS_TIMEOUT_GRACE": env.float,
    "WORKFLOWS_LOCAL_PARALLELISM": env.int,
    "WORKFLOWS_SCHEDULER_MIN_SLEEP": env.float,
    "WORKFLOWS_SCHEDULER_MAX_SLEEP": env.float,
    "WORKFLOWS_SCHEDULER_BATCH_SIZE": env.int,
    "WORKFLOWS_SHUTDOWN_GRACE": env.float,
    "WORKFLOWS_SCHEDULER_LOCK_FILE": env.str,
    "WORKFLOWS_TIME_ZONE": env.str,
    "WORKFLOWS_RESULT_MAX_BYTES": env.int,
    "WORKFLOWS_LOG_MAX_BYTES": env.int,
    "WORKFLOWS_CELERY_QUEUED_TIMEOUT": env.float,
    "WORKFLOWS_WORKER_CONN_MAX_AGE": env.int,
    "WORKFLOWS_CELERY_DEFAULT_QUEUE": env.str,
    "WORKFLOWS_DAG_MODULES": env.list,
    "WORKFLOWS_DAGS_PAUSED_ON_CREATION": env.bool,
    "WORKFLOWS_RETENTION_DAYS": env.int,
}
vars().update({name: read(name) for name, read in _WORKFLOWS_FROM_ENV.items() if name in env.ENVIRON})

# Announcements (incoming webhooks of the community's Slack and Discord channels) ---
ANNOUNCEMENTS_WEBHOOKS = {
    "workshops": env.list("ANNOUNCE_WORKSHOP_WEBHOOKS", default=[]),
    "episodes": env.list("ANNOUNCE_EPISODE_WEBHOOKS", default=[]),
    "batches": env.list("ANNOUNCE_BATCH_WEBHOOKS", default=[]),
}
ANNOUNCEMENTS_LOOKBACK_HOURS = env.float("ANNOUNCE_LOOKBACK_HOURS", default=24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
