"""Settings, all from the environment (12-factor, as in cookiecutter-django).

The embedded default needs no server: SQLite, files under var/, a filesystem
Celery broker and a file cache. DATABASE_URL, CELERY_BROKER_URL and CACHE_URL
switch to PostgreSQL and Redis (or RabbitMQ) without code changes.
"""

import base64
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("KYC_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _local_secret(variable, filename, generate):
    """The variable's value; in debug only, one generated into var/ so restarts keep it."""
    value = env(variable, default="")
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{variable} must be set when DJANGO_DEBUG is off.")
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _local_secret("DJANGO_SECRET_KEY", "secret-key", lambda: secrets.token_urlsafe(50))
# Keys for applicants' files at rest, base64 of 32 bytes, newest first (see docs/security.md).
KYC_ENCRYPTION_KEYS = [
    k.strip()
    for k in _local_secret(
        "KYC_ENCRYPTION_KEYS", "encryption-key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    ).split(",")
    if k.strip()
]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL of this deployment, used in links we hand out (vendors fetching images, phone handoff).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "onboarding.apps.KycAdminConfig",  # django.contrib.admin with the reviewers' site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "onboarding",
    "vendors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "onboarding.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "kyc.urls"
WSGI_APPLICATION = "kyc.wsgi.application"
ASGI_APPLICATION = "kyc.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onboarding.context_processors.branding",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes write concurrently: WAL plus IMMEDIATE transactions
    # make SQLite queue writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "kyc.cache.RedisCache"  # Django's, without a client per operation

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Applicants' photos never live under a public URL: "private" is only read through
# views that check who asks (onboarding.views.photo_file, the admin).
KYC_PRIVATE_MEDIA_ROOT = Path(env("KYC_PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private-media")))
# Either way every file is encrypted (AES-256-GCM) before it is written.
KYC_STORAGE = env("KYC_STORAGE", default="filesystem")
if KYC_STORAGE == "s3":
    _private = {
        "BACKEND": "onboarding.storage.EncryptedS3Storage",
        "OPTIONS": {
            "bucket_name": env("KYC_S3_BUCKET"),
            "location": env("KYC_S3_PREFIX", default="kyc"),
            "endpoint_url": env("KYC_S3_ENDPOINT_URL", default=None),
            "region_name": env("KYC_S3_REGION", default=None),
            # None: boto3 finds AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an instance role.
            "access_key": env("KYC_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("KYC_S3_SECRET_ACCESS_KEY", default=None),
        },
    }
elif KYC_STORAGE == "filesystem":
    _private = {
        "BACKEND": "onboarding.storage.EncryptedFileSystemStorage",
        "OPTIONS": {
            "location": str(KYC_PRIVATE_MEDIA_ROOT),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
else:
    raise ImproperlyConfigured(f"KYC_STORAGE must be filesystem or s3, not {KYC_STORAGE!r}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": _private,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Uploads larger than this are refused before Django spools them (KYC_MAX_UPLOAD_BYTES is per file).
KYC_MAX_UPLOAD_BYTES = env.int("KYC_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The most files one request carries: a liveness burst's frames and its selfie.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# The whole body of one request (the one-call API's selfie, ID card and liveness file fit).
KYC_MAX_REQUEST_BYTES = env.int("KYC_MAX_REQUEST_BYTES", default=32 * 1024 * 1024)

# Security: strict by default; HTTPS-only cookies and HSTS when not in DEBUG.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("KYC_SESSION_AGE_SECONDS", default=24 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Only our own scripts, styles and images; no inline code, no framing, forms post only here.
# blob:/data: images are the camera previews (and Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)

# REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["onboarding.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["onboarding.api.authentication.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["onboarding.api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "onboarding.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "onboarding.api.errors.handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kyc API",
    "DESCRIPTION": "Onboard applicants from your own systems: create applicants, upload photos (and the LinkFace "
    "SDK liveness file), submit verifications and read their checks and decisions. Errors are "
    "RFC 9457 problem details (application/problem+json) with a stable `code`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The case's and each risk reason's level share one enum.
    "ENUM_NAME_OVERRIDES": {"RiskLevelEnum": ["1", "2", "3", "4"]},
    # Swagger UI's files from the drf-spectacular-sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "onboarding.api.schema.common_error_responses",
    ],
}

# Celery ---------------------------------------------------------------------
# filesystem:// is a broker that needs no server (one machine only); production
# uses redis:// or amqp://. Eager mode exists only in kyc.settings_test.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
    CELERY_BROKER_TRANSPORT = "kyc.broker:FilesystemTransport"  # kombu's, writing each message whole
else:
    # Longer than the slowest task (hard time limit), so Redis never re-delivers a task still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "kyc.broker:Transport"  # kombu's, without a client per message
CELERY_RESULT_BACKEND = None
# One queue for the KYC tasks (a separate name lets several deployments share one broker), and
# "<name>.interactive" for those a person waits for (a photo's checklist, a liveness verdict, a
# reviewer's blocklist request; services.dispatch sends them there), so that they do not queue
# behind a backlog of cases. A worker started without -Q consumes both.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="kyc")
CELERY_TASK_QUEUES = (Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(f"{CELERY_TASK_DEFAULT_QUEUE}.interactive"))
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery closes Django's database connections before and after every task (a new PostgreSQL
# backend per task). Workers keep them as the web process does instead: kyc/celery.py applies
# CONN_MAX_AGE and CONN_HEALTH_CHECKS around each task; this only turns Celery's own closing off.
CELERY_DB_REUSE_MAX = 2**31
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "resume-stalled-verifications": {
        "task": "onboarding.tasks.resume_stalled_verifications",
        "schedule": env.float("KYC_SWEEP_INTERVAL_SECONDS", default=60.0),
    },
    "dispatch-due-webhooks": {
        "task": "onboarding.tasks.dispatch_due_webhooks",
        "schedule": 30.0,
    },
    "seal-audit-trail": {
        "task": "onboarding.tasks.seal_audit_trail",
        "schedule": 60.0,
    },
    "purge-expired-data": {
        "task": "onboarding.tasks.purge_expired_data",
        "schedule": env.float("KYC_RETENTION_INTERVAL_SECONDS", default=3600.0),
    },
}

# KYC ------------------------------------------------------------------------
# Which vendors run each check kind, in fallback order (names from vendors.registry).
KYC_CHECK_VENDORS = {
    "quality": env.list("KYC_QUALITY_VENDORS", default=["local"]),
    "liveness": env.list("KYC_LIVENESS_VENDORS", default=["local"]),
    "compare": env.list("KYC_COMPARE_VENDORS", default=["local"]),
    # Reading the identity document (empty: not read, and not required by the built-in policy).
    "document": env.list("KYC_DOCUMENT_VENDORS", default=["local"]),
    # Sanctions and PEP lists the operator imported (docs/screening.md); without one a case is not screened.
    "screening": env.list("KYC_SCREENING_VENDORS", default=["local"]),
}
# Per-vendor threshold overrides: KYC_THRESHOLD_<VENDOR>_<KIND>=value (e.g. KYC_THRESHOLD_LOCAL_COMPARE=55).
KYC_THRESHOLDS = {
    key[len("KYC_THRESHOLD_") :].lower(): float(value)
    for key, value in env.ENVIRON.items()
    if key.startswith("KYC_THRESHOLD_")
}
# The built-in policy's name, in force until a version is published (admin or kyc_policy; docs/policy.md).
KYC_POLICY_VERSION = env("KYC_POLICY_VERSION", default="default-2026.11")
# Built-in policy: a failed compare this close below its threshold, as a share of the score's scale
# (0.05: 5 points on 0-100, 0.05 on 0-1), goes to a human instead of an automatic reject.
KYC_REVIEW_MARGIN = env.float("KYC_REVIEW_MARGIN", default=0.05)
# The local engine's FAR curve: an evaluate_engine evaluation.json measured on your own photos
# (default: the one shipped in vendors/data/, measured on the project's test photos).
KYC_CALIBRATION_LOCAL_COMPARE = env("KYC_CALIBRATION_LOCAL_COMPARE", default="")
# The review queue: a case in review should be decided within this many hours of entering it;
# a reviewer's assignment lapses after this many minutes without a decision.
KYC_REVIEW_SLA_HOURS = env.float("KYC_REVIEW_SLA_HOURS", default=24.0)
KYC_REVIEW_ASSIGNMENT_MINUTES = env.int("KYC_REVIEW_ASSIGNMENT_MINUTES", default=60)
# The local engine's landmarks: dlib's 5-point model (free to use) unless this opts in to the
# 68-point one, whose licence excludes commercial use (system check kyc.W004; docs/licences.md).
KYC_ENGINE_68_POINT_LANDMARKS = env.bool("KYC_ENGINE_68_POINT_LANDMARKS", default=False)
# Duplicate signals: each case's faces against every other applicant's (local engine embeddings).
# Which fields a document reading keeps (encrypted); the checks are made on all that was read.
KYC_DOCUMENT_FIELDS_KEPT = env.list(
    "KYC_DOCUMENT_FIELDS_KEPT",
    default=[
        "full_name",
        "surname",
        "given_names",
        "document_number",
        "date_of_birth",
        "sex",
        "nationality",
        "expiry_date",
        "issue_date",
        "issuing_authority",
        "issuing_country",
        "address",
        "ethnicity",
    ],
)
# Threads of one document reading (onnxruntime): 1 spends the least CPU per page, with the workers'
# processes using the cores; more shortens one reading's wait where cores sit idle.
KYC_OCR_THREADS = env.int("KYC_OCR_THREADS", default=1)
KYC_DUPLICATE_SCAN = env.bool("KYC_DUPLICATE_SCAN", default=True)
# dlib's same-person tolerance is 0.6; stricter here, since a flag sends a person to look.
KYC_DUPLICATE_FACE_DISTANCE = env.float("KYC_DUPLICATE_FACE_DISTANCE", default=0.45)
# Duplicates found under another API client's applicants (or the web flow's) count in a case's
# decision and risk only when this is on: off, a client learns nothing about other clients' applicants.
# The face index (services.faces.index): a scan waits this long for an index being built, then the
# case goes on with duplicates_not_checked; the sweeper gives up on a scan no index worker took.
KYC_FACE_INDEX_WAIT_SECONDS = env.int("KYC_FACE_INDEX_WAIT_SECONDS", default=120)
# Set on the faces queue's workers: build the index as the process starts, not on the first search.
KYC_FACE_INDEX_PRELOAD = env.bool("KYC_FACE_INDEX_PRELOAD", default=False)
KYC_DUPLICATES_ACROSS_CLIENTS = env.bool("KYC_DUPLICATES_ACROSS_CLIENTS", default=False)
# The built-in notice's version; each consent records it with the notice's parts (services.applicant.consent).
KYC_CONSENT_VERSION = env("KYC_CONSENT_VERSION", default="2026-12-v1")
# Pixel caps per format: baseline JPEGs decode at a reduced scale (draft), so they may be large;
# every other format (and progressive JPEG) is decoded whole, so it is capped by its decoded memory:
# KYC_MAX_FULL_DECODE_PIXELS of 4-byte pixels (a 12-megapixel photo), more for 1- and 2-byte modes.
KYC_MAX_IMAGE_PIXELS = env.int("KYC_MAX_IMAGE_PIXELS", default=50_000_000)
KYC_MAX_FULL_DECODE_PIXELS = env.int("KYC_MAX_FULL_DECODE_PIXELS", default=4096 * 3072)
# Every image of one request together (the one-call API, the liveness burst).
KYC_MAX_REQUEST_PIXELS = env.int("KYC_MAX_REQUEST_PIXELS", default=64_000_000)
KYC_MIN_IMAGE_SIDE = env.int("KYC_MIN_IMAGE_SIDE", default=240)
KYC_MAX_IMAGE_SIDE = env.int("KYC_MAX_IMAGE_SIDE", default=12_000)
# 2000, not 2048: a 12-megapixel phone photo (4000 or 4032 px) then decodes at half scale straight
# from the JPEG's DCT (draft mode), four times fewer pixels than a full decode (bench/normalize_image.py).
KYC_STORED_IMAGE_MAX_SIDE = env.int("KYC_STORED_IMAGE_MAX_SIDE", default=2000)
KYC_VENDOR_MAX_RETRIES = env.int("KYC_VENDOR_MAX_RETRIES", default=5)
# A vendor's answer is paid for: while the database cannot be reached, a worker keeps it and tries
# to store it again for this long (keep it below the task's soft time limit).
KYC_STORE_RETRY_SECONDS = env.float("KYC_STORE_RETRY_SECONDS", default=30.0)
KYC_VENDOR_RETRY_BASE_SECONDS = env.float("KYC_VENDOR_RETRY_BASE_SECONDS", default=2.0)
KYC_VENDOR_RETRY_MAX_SECONDS = env.float("KYC_VENDOR_RETRY_MAX_SECONDS", default=120.0)
# A check claimed by a worker that has shown no progress for this long is taken over.
KYC_CHECK_LEASE_SECONDS = env.int("KYC_CHECK_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
# Verifications nobody has moved for this long are resumed by the sweeper...
KYC_STALLED_AFTER_SECONDS = env.int("KYC_STALLED_AFTER_SECONDS", default=300)
# ...and this long after submission, what is still unfinished is failed so the policy decides (needs review).
KYC_DECISION_DEADLINE_SECONDS = env.int("KYC_DECISION_DEADLINE_SECONDS", default=3600)
# Circuit breaker per vendor, shared through the cache: this many retryable failures within the
# window open it; it stays open this long, then one probe decides whether it closes.
KYC_CIRCUIT_FAILURES = env.int("KYC_CIRCUIT_FAILURES", default=5)
KYC_CIRCUIT_WINDOW_SECONDS = env.int("KYC_CIRCUIT_WINDOW_SECONDS", default=60)
KYC_CIRCUIT_OPEN_SECONDS = env.float("KYC_CIRCUIT_OPEN_SECONDS", default=30.0)
# The applicant's pages: name, colour (#rrggbb, 4.5:1 on white), logo file (PNG/JPEG/WebP) and the
# contact shown to applicants who were not verified. The admin's Branding record overrides each.
KYC_BRAND_NAME = env("KYC_BRAND_NAME", default="kyc")
KYC_BRAND_COLOR = env("KYC_BRAND_COLOR", default="#1f5fa8")
KYC_BRAND_LOGO = env("KYC_BRAND_LOGO", default="")
KYC_SUPPORT_CONTACT = env("KYC_SUPPORT_CONTACT", default="")
# A desktop-to-phone link works once, within this many seconds.
KYC_HANDOFF_TTL_SECONDS = env.int("KYC_HANDOFF_TTL_SECONDS", default=600)
# The capture page's pre-check of each shot (local engine, nothing stored).
KYC_CAPTURE_PRECHECK = env.bool("KYC_CAPTURE_PRECHECK", default=True)
# Webhooks: read timeout per delivery, and attempts before a delivery is marked failed (about a day).
KYC_WEBHOOK_TIMEOUT = env.float("KYC_WEBHOOK_TIMEOUT", default=10.0)
# Webhooks go over https to public addresses only. Plain http is for development; networks listed
# here (CIDR) are allowed on purpose, e.g. an operator's internal receiver.
KYC_WEBHOOK_ALLOW_HTTP = env.bool("KYC_WEBHOOK_ALLOW_HTTP", default=False)
KYC_WEBHOOK_ALLOWED_NETWORKS = env.list("KYC_WEBHOOK_ALLOWED_NETWORKS", default=[])
KYC_WEBHOOK_MAX_ATTEMPTS = env.int("KYC_WEBHOOK_MAX_ATTEMPTS", default=14)
# An active liveness challenge must be answered within this many seconds of being issued.
KYC_CHALLENGE_TTL_SECONDS = env.int("KYC_CHALLENGE_TTL_SECONDS", default=120)
# Attempt limits, "count/seconds" (0 switches one off), per applicant and per IP address; per
# API client for "api". Failed liveness attempts then block for the cool-down.
KYC_LIMITS = {
    "liveness_failures": env("KYC_LIMIT_LIVENESS_FAILURES", default="5/180"),
    "uploads": env("KYC_LIMIT_UPLOADS", default="30/600"),
    # Failed attempts to open a phone link (wrong or used codes), per IP address.
    "handoff_failures": env("KYC_LIMIT_HANDOFF_FAILURES", default="10/600"),
    "submissions": env("KYC_LIMIT_SUBMISSIONS", default="5/3600"),
    "new_applicants": env("KYC_LIMIT_NEW_APPLICANTS", default="30/3600"),
    "api": env("KYC_API_RATE_LIMIT", default="600/60"),
    # Requests with a wrong or revoked API key, per IP address.
    "api_auth_failures": env("KYC_LIMIT_API_AUTH_FAILURES", default="20/600"),
    # Failed staff sign-ins, per address and per user name at that address.
    "staff_login_failures": env("KYC_LIMIT_STAFF_LOGIN_FAILURES", default="5/900"),
}
KYC_LIMIT_COOLDOWNS = {
    "liveness_failures": env.int("KYC_LIMIT_LIVENESS_COOLDOWN_SECONDS", default=300),
    "staff_login_failures": env.int("KYC_LIMIT_STAFF_LOGIN_COOLDOWN_SECONDS", default=900),
}
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use the peer address).
# A stored file no row references is deleted by the purge once it is this old (younger ones may
# belong to a transaction still running).
KYC_ORPHAN_GRACE_SECONDS = env.int("KYC_ORPHAN_GRACE_SECONDS", default=3600)
# Retention in days, per kind of data; 0 keeps that kind forever. The clock starts when a case is
# finally decided (approved or rejected); for data never part of a case, when it was uploaded.
KYC_RETENTION_DAYS = {
    "photos": env.int("KYC_RETAIN_PHOTOS_DAYS", default=30),
    "liveness_files": env.int("KYC_RETAIN_LIVENESS_FILES_DAYS", default=30),
    "vendor_responses": env.int("KYC_RETAIN_VENDOR_RESPONSES_DAYS", default=180),
    "decisions": env.int("KYC_RETAIN_DECISIONS_DAYS", default=5 * 365),
    "audit_trail": env.int("KYC_RETAIN_AUDIT_TRAIL_DAYS", default=7 * 365),
    # A blocklist entry keeps its own template and number after the original case's photos go.
    "blocklist": env.int("KYC_RETAIN_BLOCKLIST_DAYS", default=5 * 365),
}
# Audited commits wake their process's sealer, which waits this long for more and seals them all in
# one transaction (0: each commit seals its own events, in the thread that committed).
KYC_AUDIT_SEAL_DELAY_MS = env.int("KYC_AUDIT_SEAL_DELAY_MS", default=200)
KYC_TRUSTED_PROXIES = env.int("KYC_TRUSTED_PROXIES", default=0)

# Vendors: how they are called (the real hosts by default; the sandbox for demos and tests).
KYC_VENDOR_CONNECT_TIMEOUT = env.float("KYC_VENDOR_CONNECT_TIMEOUT", default=3.05)
# Kept-alive connections per vendor host and worker process: at least the worker's threads.
KYC_VENDOR_HTTP_POOL_SIZE = env.int("KYC_VENDOR_HTTP_POOL_SIZE", default=64)
KYC_VENDOR_READ_TIMEOUT = env.float("KYC_VENDOR_READ_TIMEOUT", default=20.0)
# How long the signed URL handed to vendors that fetch images themselves (AceData) stays valid.
KYC_VENDOR_IMAGE_URL_TTL = env.int("KYC_VENDOR_IMAGE_URL_TTL", default=300)
# Each vendor's own settings (credentials, base URLs, options) are read by its backend through
# vendors.base.vendor_setting: from here, {"baidu": {"API_KEY": ...}}, else from the environment as
# <VENDOR>_<NAME> (BAIDU_API_KEY), else the default in the vendor's module (docs/configuration.md).
KYC_VENDORS = {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "vendors.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # urllib3 logs full URLs at DEBUG, and two vendors put secrets in URLs.
    "loggers": {"PIL": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
