"""PosPro settings: one module, every value from the environment (README.md, Configuration).

Nothing set gives the zero-setup demo: an embedded PostgreSQL (pospro.embedded) and a
local-memory cache. Production sets DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DATABASE_URL and
REDIS_URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from pospro.embedded import embedded_postgres_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_threshold(name: str, default: int) -> int | None:
    """A count from the environment, or None for "off"/"none"."""
    value = os.environ.get(name, "").strip().lower()
    if value in {"off", "none"}:
        return None
    return int(value) if value else default


DEV_SECRET_KEY = "django-insecure-pospro-development-key-never-use-in-production"  # noqa: S105

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of 50+ characters when DJANGO_DEBUG=false."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
if DEBUG:
    ALLOWED_HOSTS += ["testserver", "[::1]"]

INSTALLED_APPS = [
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "catalog",
    "sales",
    "reporting",
    "backoffice",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "pospro.middleware.RequestIdMiddleware",
    "pospro.middleware.ApiNoStoreMiddleware",
    "pospro.middleware.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "backoffice.middleware.HtmlContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "pospro.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backoffice.middleware.BusinessTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "pospro.urls"
WSGI_APPLICATION = "pospro.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False  # the API accepts both forms itself; no redirect on POST

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------


def postgres(url: str) -> dict:
    """A database from its URL, with the options every PosPro connection uses (the URL's win)."""
    config = dj_database_url.parse(
        url,
        # Persistent connections, checked before reuse so a restarted server fails no request.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
    config["OPTIONS"] = {
        "connect_timeout": 5,
        # JIT compiling costs more than it saves on this app's short queries: it took 1.2 s of
        # a 1.8 s report on a million order lines (docs/reporting.md). Plans stay custom: a
        # prepared statement's generic plan cannot see its parameters, and the product search's
        # (pattern unknown) walked the name index for 140-500 ms where a plan made for the
        # pattern reads the trigram indexes in 6-12 ms (100,000 products, bench/README.md).
        # statement_timeout: a runaway query of a web request is cancelled instead of pinning a
        # worker (the API answers 503 `statement_timeout`); manage.py sets 0 (no limit) for
        # commands and migrations unless POSPRO_DB_STATEMENT_TIMEOUT_MS is set.
        "options": "-c jit=off -c plan_cache_mode=force_custom_plan -c statement_timeout="
        f"{env_int('POSPRO_DB_STATEMENT_TIMEOUT_MS', 30000)}",
        # Parameters bound by the server instead of quoted into the SQL by psycopg in Python,
        # and a statement prepared on its DB_PREPARE_THRESHOLD-th run on a connection (Django
        # turns psycopg's preparing off unless asked): PostgreSQL then parses it once, not on
        # every run (bench/README.md). DB_PREPARE_THRESHOLD=off behind a pooler in
        # transaction mode.
        "server_side_binding": env_bool("DB_SERVER_SIDE_BINDING", True),
        "prepare_threshold": env_threshold("DB_PREPARE_THRESHOLD", 5),
        **config.get("OPTIONS", {}),
    }
    return config


# PostgreSQL only. Unset (the demo): an embedded server keeping its data in .demo/pgdata.
if not DEBUG and not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_DEBUG=false.")
DATABASE_URL = os.environ.get("DATABASE_URL") or embedded_postgres_url(
    BASE_DIR / ".demo" / "pgdata"
)
DATABASES = {"default": postgres(DATABASE_URL)}
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = postgres(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["pospro.db_router.ReplicaRouter"]

# --- Cache ------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("POSPRO_CACHE_PREFIX", "pospro")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis outage degrades to the database instead of failing requests.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pospro",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

# --- Auth -------------------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

ACCESS_TOKEN_LIFETIME_SECONDS = 3600
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_LIFETIME_SECONDS),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("POSPRO_REFRESH_TOKEN_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("POSPRO_JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- REST framework ---------------------------------------------------------------------------

POSPRO_THROTTLE_RATES = {
    "user": os.environ.get("POSPRO_THROTTLE_USER", "100/min"),
    "login": os.environ.get("POSPRO_THROTTLE_LOGIN", "10/min"),
    "anon": os.environ.get("POSPRO_THROTTLE_ANON", "60/min"),
}

REST_FRAMEWORK = {
    # simplejwt's, with the user's row served from the cache under a version every committed
    # user write moves (accounts.authentication): a deactivation, role or branch change applies
    # at the next request in every worker; one cache round trip instead of a query.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedUserJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["pospro.api.throttling.UserRateThrottle"],
    # How many proxies in front of the app append to X-Forwarded-For (nginx in the compose
    # stack: 1). 0 trusts no header: the client is the peer address (docs/operations.md).
    "NUM_PROXIES": env_int("POSPRO_TRUSTED_PROXIES", 0),
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["pospro.api.parsers.DecimalJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "pospro.api.pagination.SkipLimitPagination",
    "DEFAULT_SCHEMA_CLASS": "pospro.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "pospro.api.exceptions.problem_exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PosPro API",
    "DESCRIPTION": (
        "Point-of-sale back-end for retail chains. Errors are RFC 9457 problem details "
        "(`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "PaymentMethodEnum": "sales.models.PaymentMethod",
        "AccountPaymentMethodEnum": "sales.models.AccountPaymentMethod",
        "CashMovementTypeEnum": "sales.models.CashMovementType",
        "CashSessionStatusEnum": "sales.models.CashSessionStatus",
    },
}

# --- Internationalisation and time ------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
POSPRO_TIME_ZONE = os.environ.get("POSPRO_TIME_ZONE", "Europe/Istanbul")

# --- Business settings ------------------------------------------------------------------------

POSPRO_PRICES_INCLUDE_VAT = env_bool("POSPRO_PRICES_INCLUDE_VAT", False)
POSPRO_ALLOW_NEGATIVE_STOCK = env_bool("POSPRO_ALLOW_NEGATIVE_STOCK", False)
# Anything that moves cash (sale with a cash tender, cash refund, cancellation, cash account
# payment) must name its register (register_id); 400 register_required otherwise.
POSPRO_REQUIRE_CASH_SESSION = env_bool("POSPRO_REQUIRE_CASH_SESSION", False)
# Read caches (products, reports); 0 turns them off.
POSPRO_CACHE_TTL = env_int("POSPRO_CACHE_TTL", 300)
# The longest period (days) a report or /orders/stats reads; longer ones answer 400.
POSPRO_REPORT_MAX_DAYS = env_int("POSPRO_REPORT_MAX_DAYS", 366)
POSPRO_METRICS_TOKEN = os.environ.get("POSPRO_METRICS_TOKEN", "")
# /metrics without a token: open in development; in production (DJANGO_DEBUG=false) closed
# (403) unless the operator declares it public (a private network only Prometheus reaches).
POSPRO_METRICS_PUBLIC = env_bool("POSPRO_METRICS_PUBLIC", DEBUG)

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

# --- Request limits ---------------------------------------------------------------------------

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("POSPRO_MAX_BODY_BYTES", 1024 * 1024)

# --- CORS -------------------------------------------------------------------------------------

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Idempotent-Replayed", "Retry-After"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
]

# --- Security (production) --------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Probes and scrapers talk plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^ready/?$", r"^metrics/?$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Content-Security-Policy (django-csp 4.x; Django 5.2 has none built in) on every HTML page:
# the admin, the dashboard, /docs and /redoc. Scripts only from this origin (no inline script:
# the dashboard's is a static file, /docs loads Swagger UI's init script from ?script). Inline
# styles stay allowed: Redoc injects its <style> elements at run time and the admin's templates
# carry style attributes. Redoc searches in a blob: worker; Swagger UI and the admin draw data:
# images. Checked in Chromium with zero CSP violations (backoffice/tests/test_csp_browser.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = os.environ.get("POSPRO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "pospro.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "pospro.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # One line per request, pospro.request's (RequestIdMiddleware): Django's own "django" console
    # handler is dropped (everything reaches the root's once) and runserver's access line too.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"handlers": ["null"], "propagate": False},
        "pgserver": {"level": "WARNING", "propagate": True},
    },
}
