"""Settings for Omni Sales, read from the environment.

With no environment at all this is the embedded default: SQLite in the project
folder, the in-process channel layer, one Daphne process. ``REDIS_URL`` and
``DATABASE_URL`` switch to the production components.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OMNI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _secret_key() -> str:
    """Never a committed key: the environment's, or one generated per checkout."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "realtime",
    "orders",
    "inventory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it turns a lockout anywhere in the stack into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes in front of the model backend: AXES_FAILURE_LIMIT wrong passwords for one
# username from one IP lock that pair out for AXES_COOLOFF_TIME (the login page, the
# admin and the token endpoint's Basic auth alike). A username alone would let anyone
# lock anyone out; an IP alone would lock a whole office behind one NAT.
AUTHENTICATION_BACKENDS = [
    "omni_sales.auth_backends.NetworkLoginsAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address the server resolved (--proxy-headers behind a proxy), as the throttles and
# the per-IP cap read it, not a header the client sets.
AXES_CLIENT_IP_CALLABLE = "realtime.logins.client_ip"

ROOT_URLCONF = "omni_sales.urls"

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

ASGI_APPLICATION = "omni_sales.asgi.application"
WSGI_APPLICATION = None

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Reused connections: Daphne runs database work on one thread, which would
        # otherwise open a new connection for every socket's auth and subscribe.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Daphne, the demo simulator and the shell write the same file at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # The test database in a file too: resume reads run on threads of their own
    # (realtime/replay.py), and an in-memory database shared between threads locks
    # whole tables instead of letting WAL readers and one writer work side by side.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000),
                        "socket_connect_timeout": 2,
                        "retry_on_timeout": True,
                    }
                ],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "omni"),
            },
        }
    }
    # One cache for every process: DRF's throttles and anything else that counts.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "omni")}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
# The shop's currency (ISO 4217): how pages and widgets show money (orders/money.py).
CURRENCY = os.environ.get("CURRENCY", "USD")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# examples/ (the JS client's example pages) at /static/examples/: same origin as the app.
STATICFILES_DIRS = [BASE_DIR / "static", ("examples", BASE_DIR / "examples")]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Daphne serves /static/ itself unless a proxy in front does (production).
SERVE_STATIC = env_bool("SERVE_STATIC", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first, so an anonymous API caller gets 401 with a challenge; 429 rather
        # than 401 while django-axes has the account locked out.
        "realtime.throttling.LockoutAwareBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # The OpenAPI 3 schema at /api/schema/ (omni_sales/urls.py, docs/protocol.md).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# /api/schema/ and /api/docs/ are public, as GET /api/ws and docs/protocol.md are: they
# describe the API's shape, never its data, and every endpoint still checks the caller.
# The docs page's Swagger UI comes from drf-spectacular-sidecar's static files, no CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Omni Sales API",
    "DESCRIPTION": "Orders, payments, products and stock over REST; the realtime socket's "
                   "HTTP endpoints under /api/ws. The socket's frames are in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No "valid" badge fetched from validator.swagger.io: the page calls this server only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}


def prune_interval(value: str) -> float | str | None:
    """WS_PRUNE_INTERVAL: seconds, "external", or "none"/"off" for no retention. Any
    other text is kept as is, so ``manage.py check`` names it (realtime.E002)."""
    word = value.strip().lower()
    if word in {"none", "off"}:
        return None
    try:
        return float(word)
    except ValueError:
        return word


def optional_seconds(value: str) -> float | str | None:
    """WS_HANDSHAKE_TIMEOUT, WS_IDLE_TIMEOUT: seconds, or "none"/"off" for no limit. Other
    text is kept as is, so ``manage.py check`` names it (realtime.E002)."""
    word = value.strip().lower()
    if word in {"none", "off"}:
        return None
    try:
        return float(word)
    except ValueError:
        return word


# Environment variable -> REALTIME key and how to read it. Unset variables keep the
# defaults of realtime/conf.py (docs/operations.md lists them all).
REALTIME_ENV = {
    "ALLOWED_ORIGINS": ("ALLOWED_ORIGINS", lambda v: [o.strip() for o in v.split(",") if o.strip()]),
    "WS_ALLOW_MISSING_ORIGIN": ("ALLOW_MISSING_ORIGIN", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "WS_MAX_CONNECTIONS": ("MAX_CONNECTIONS", int),
    "WS_MAX_CONNECTIONS_PER_IP": ("MAX_CONNECTIONS_PER_IP", int),
    "WS_RATE_LIMIT": ("RATE_LIMIT", int),
    "WS_RATE_LIMIT_BURST": ("RATE_LIMIT_BURST", int),
    "WS_RATE_LIMIT_CLOSE_AFTER": ("RATE_LIMIT_CLOSE_AFTER", int),
    "WS_MAX_PAYLOAD": ("MAX_PAYLOAD", int),
    "WS_MAX_OUTBOUND_BUFFER": ("MAX_OUTBOUND_BUFFER", int),
    "WS_INBOUND_QUEUE": ("INBOUND_QUEUE", int),
    "WS_SEND_TIMEOUT": ("SEND_TIMEOUT", int),
    "WS_PING_INTERVAL": ("PING_INTERVAL", int),
    "WS_PONG_TIMEOUT": ("PONG_TIMEOUT", int),
    "WS_TOKEN_TTL": ("TOKEN_TTL", int),
    "WS_TOKEN_ATTEMPT_RATE": ("TOKEN_ATTEMPT_RATE", str),
    "WS_TOKEN_RATE": ("TOKEN_RATE", str),
    "WS_REVALIDATE_INTERVAL": ("REVALIDATE_INTERVAL", float),
    "WS_SHUTDOWN_GRACE": ("SHUTDOWN_GRACE", float),
    "WS_HANDSHAKE_TIMEOUT": ("HANDSHAKE_TIMEOUT", optional_seconds),
    "WS_IDLE_TIMEOUT": ("IDLE_TIMEOUT", optional_seconds),
    "WS_EVENT_RETENTION_DAYS": ("EVENT_RETENTION_DAYS", float),
    "WS_PRUNE_INTERVAL": ("PRUNE_INTERVAL", prune_interval),
    "WS_BRIDGE_POLL_INTERVAL": ("BRIDGE_POLL_INTERVAL", float),
    "WS_LOG_CHECK_INTERVAL": ("LOG_CHECK_INTERVAL", float),
    "WS_PRESENCE_GRACE": ("PRESENCE_GRACE", int),
    "WS_GC_THRESHOLD": ("GC_THRESHOLD", int),
    "WS_DEBOUNCE_WINDOW": ("DEBOUNCE_WINDOW", int),
    "WS_BATCH_MAX": ("BATCH_MAX", int),
    "WS_FAN_OUT_SLICE": ("FAN_OUT_SLICE", float),
    "WS_STATS_INTERVAL": ("STATS_INTERVAL", float),
    "WS_METRICS_ALLOW_IPS": ("METRICS_ACCESS", lambda v: [ip.strip() for ip in v.split(",") if ip.strip()]),
}
# The demo's catalogue configuration: its roles and who resolves them (orders/roles.py),
# and the namespaces in the order of docs/protocol.md.
REALTIME = {
    "ROLES": ["admin", "manager", "staff", "customer", "guest"],
    "ANONYMOUS_ROLE": "guest",
    "ROLE_RESOLVER": "orders.roles.omni_role",
    "PROFILE_RESOLVER": "orders.realtime.customer_profile",
    "NAMESPACE_ORDER": ["orders", "customers", "products", "inventory", "payments", "system"],
}
REALTIME.update({key: read(os.environ[name]) for name, (key, read) in REALTIME_ENV.items()
                 if os.environ.get(name)})

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
