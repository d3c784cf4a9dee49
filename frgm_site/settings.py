"""Settings for FRGM Live, read once from the environment.

``FRGM_ENV`` chooses the mode: ``local`` (default: embedded stand-ins, safe
defaults) or ``prod`` (AWS: no secret defaults, HTTPS behind the ALB).
"""

from __future__ import annotations

import secrets
import ssl
import tempfile
from datetime import timedelta
from pathlib import Path

from frgm_site.channel_layers import channel_layers_config
from frgm_site.connection_parts import database_config, url_from_parts
from frgm_site.env import EnvReader, MalformedValue, MissingValue
from frgm_site.logging_config import LOG_FORMATS, LOG_LEVELS, default_log_format, logging_config

# A bad or missing value never stops this import: each becomes a problem that
# frgm_site.checks reports (manage.py check; every entry point refuses to start
# with one), all at once, while a safe fallback stands in.
_env = EnvReader()
env_bool, env_float, env_int, env_list = _env.env_bool, _env.env_float, _env.env_int, _env.env_list
env_networks, env_secret, env_str = _env.env_networks, _env.env_secret, _env.env_str
env_choice, env_url = _env.env_choice, _env.env_url
REDIS_SCHEMES = ("redis", "rediss")
# Stands in for a missing connection URL in production: TLS (no second, misleading
# frgm.E104) and a host that never resolves (.invalid).
UNSET_REDIS_URL = "rediss://unset.invalid:6379/0"

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"
RUN_DIR.mkdir(exist_ok=True)  # the local SQLite file and private servers live here

# A mistyped mode is taken as prod, the strict one: its missing secrets are reported too.
FRGM_ENV = env_choice("FRGM_ENV", "local", ("local", "prod"), fallback="prod")
PRODUCTION = FRGM_ENV == "prod"

SECRET_KEY = env_secret(
    "DJANGO_SECRET_KEY",
    local_default="local-only-insecure-key-0f3c9a1e7b5d4c2a8e6f0b9d7c5a3e1f-never-in-prod",
    production=PRODUCTION,
    fallback=secrets.token_urlsafe(50),  # a key nobody knows
)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:  # meanwhile no host is served
    _env.problem(MissingValue("DJANGO_ALLOWED_HOSTS is not set: name the portal's host names"))
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "frgm_site.apps.FrgmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # ServeStatic's checks of its settings; it serves from frgm_site.static_files.
    "servestatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "accounts",
    "feeds",
    "ladder",
    "ops",
]

MIDDLEWARE = [
    "frgm_site.request_id.RequestIdMiddleware",
    # Before any Host check: the ALB probes tasks by their private address.
    "frgm_site.health.LivenessMiddleware",
    # JSON errors under /api/ (and Retry-After on its 503s); a dependency that is down
    # escaping a view is a 503, never a 500.
    "frgm_site.errors.ErrorResponsesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless it opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "frgm_site.urls"
WSGI_APPLICATION = "frgm_site.wsgi.application"
ASGI_APPLICATION = "frgm_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frgm_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "frgm_site.context_processors.feed_intervals",
                "ops.context_processors.ops_status",
                "frgm_site.context_processors.state_store_status",
            ],
        },
    },
]

# --- Connections given as parts (AWS: deploy/cdk/stack.py app_secrets) ----------
# RDS's and the MemoryDB ACL user's generated secrets are JSON that ECS injects field
# by field; the messaging Redis has an AUTH token only. So each URL may instead come
# as parts: DATABASE_HOST/_PORT/_NAME/_USER/_PASSWORD, FRGM_STATE_REDIS_HOST/_PORT/
# _USER/_PASSWORD, FRGM_MESSAGING_REDIS_HOST/_PORT/_PASSWORD. The parts win over the
# URL when _HOST is set; both Redis roles are then TLS (rediss://), as AWS serves them.
_DATABASE_FROM_PARTS = _env.read(
    lambda: url_from_parts("DATABASE", scheme="postgres", default_port=5432), None
)
_STATE_REDIS_FROM_PARTS = _env.read(
    lambda: url_from_parts("FRGM_STATE_REDIS", scheme="rediss", default_port=6379), None
)
_MESSAGING_REDIS_FROM_PARTS = _env.read(
    lambda: url_from_parts("FRGM_MESSAGING_REDIS", scheme="rediss", default_port=6379), None
)

_DATABASE_URL = _DATABASE_FROM_PARTS or env_secret(
    "DATABASE_URL",
    local_default=f"sqlite:///{RUN_DIR / 'db.sqlite3'}",
    production=PRODUCTION,
    fallback="sqlite://:memory:",
)
_DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
DATABASES = {
    "default": _env.read(
        lambda: database_config(_DATABASE_URL, conn_max_age=_DATABASE_CONN_MAX_AGE),
        database_config("sqlite://:memory:", conn_max_age=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (accounts/login_throttle.py): repeated failures lock one
# username from one address for a while (django-axes); the pair, so wrong
# passwords from elsewhere cannot lock the owner out and a good login resets only
# its own pair. Each recent failure of a username delays its next check a little.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("FRGM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("FRGM_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.login_lockout_response"
AXES_RESET_ON_SUCCESS = True
FRGM_LOGIN_DELAY_STEP_S = env_float("FRGM_LOGIN_DELAY_STEP_S", 0.5)
FRGM_LOGIN_DELAY_MAX_S = env_float("FRGM_LOGIN_DELAY_MAX_S", 3.0)
# Live sockets re-check their session, user and role this often, besides being
# closed at once on logout, deactivation or a role removed (accounts/sockets.py).
FRGM_SOCKET_RECHECK_S = env_float("FRGM_SOCKET_RECHECK_S", 30.0)
# The live hub (ladder/hub/): how it coalesces updates into frames and watches its sockets.
FRGM_LIVE_SETTLE_S = env_float("FRGM_LIVE_SETTLE_S", 0.01)  # a burst's updates, one frame
FRGM_LIVE_INTERVAL_S = env_float("FRGM_LIVE_INTERVAL_S", 0.25)  # at most one frame per view
FRGM_LIVE_FILE_WAIT_S = env_float("FRGM_LIVE_FILE_WAIT_S", 0.1)  # for a file's other parts
# For a spot-risk batch's other chunks after its first (0 turns the wait off).
# A spot-risk batch is held while its chunks keep coming this close together (no chunk
# for the gap: it goes out with what arrived, marked incomplete), never past the wait.
FRGM_LIVE_BATCH_GAP_S = env_float("FRGM_LIVE_BATCH_GAP_S", 0.15)
FRGM_LIVE_BATCH_WAIT_S = env_float("FRGM_LIVE_BATCH_WAIT_S", 1.0)
FRGM_LIVE_QUEUE_SIZE = env_int("FRGM_LIVE_QUEUE_SIZE", 32)  # frames a slow socket may lag
FRGM_LIVE_PING_S = env_float("FRGM_LIVE_PING_S", 15.0)  # every socket is pinged this often
FRGM_LIVE_IDLE_S = env_float("FRGM_LIVE_IDLE_S", 45.0)  # a socket silent this long is closed
FRGM_LIVE_HEALTH_S = env_float("FRGM_LIVE_HEALTH_S", 2.0)  # browsers told each feed's age
# The ladder and risk-slide recomputes run in a process of their own (lib/compute_process.py),
# so they never hold the event loop's GIL while it writes frames; 0 runs them in a thread.
FRGM_LIVE_COMPUTE_PROCESS = env_bool("FRGM_LIVE_COMPUTE_PROCESS", True)
# The address is REMOTE_ADDR (frgm_site/client_address.py): uvicorn believes
# X-Forwarded-For only from FRGM_TRUSTED_PROXIES and takes the rightmost entry
# none of them wrote, so a client cannot choose it.
AXES_CLIENT_IP_CALLABLE = "frgm_site.client_address.client_address"
# The proxies allowed to say who the client is: the ALB's subnets in AWS (the
# Dockerfile hands the same variable to uvicorn's --forwarded-allow-ips).
# Required there: without it every login would come from the ALB's address and
# one address lockout would lock everyone out. None locally: nothing forwards.
FRGM_TRUSTED_PROXIES = env_networks("FRGM_TRUSTED_PROXIES", None if PRODUCTION else [])
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"  # the desk's and the feed server's clock
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frgm_site" / "static"]
# plotly.js for the analytics charts comes from the installed plotly package (no
# CDN); this finder publishes only plotly/plotly.min.js from it.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "ladder.plotly_finder.PlotlyJsFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Redis: two roles (see docs/ and DESIGN.md "Storage layout") ------------
# State store: MemoryDB in AWS, a one-node cluster locally; always reached
# through redis-py's cluster client so the local path is the AWS path.
FRGM_STATE_REDIS_URL = _STATE_REDIS_FROM_PARTS or env_url(
    "FRGM_STATE_REDIS_URL",
    None if PRODUCTION else "redis://127.0.0.1:16379/0",
    schemes=REDIS_SCHEMES,
    fallback=UNSET_REDIS_URL,
)
# Messaging: channel layer and Celery broker; nothing here must survive a restart.
FRGM_MESSAGING_REDIS_URL = _MESSAGING_REDIS_FROM_PARTS or env_url(
    "FRGM_MESSAGING_REDIS_URL",
    None if PRODUCTION else "redis://127.0.0.1:16380/0",
    schemes=REDIS_SCHEMES,
    fallback=UNSET_REDIS_URL,
)
FRGM_REDIS_TIMEOUT_S = env_float("FRGM_REDIS_TIMEOUT_S", 2.0)
# The state store client's connections per node, and how long a call waits for a free
# one before the store counts as unavailable (a bounded pool, not an instant failure).
FRGM_STATE_REDIS_MAX_CONNECTIONS = env_int("FRGM_STATE_REDIS_MAX_CONNECTIONS", 64, minimum=1)
FRGM_STATE_REDIS_POOL_WAIT_S = env_float("FRGM_STATE_REDIS_POOL_WAIT_S", 1.0)

CHANNEL_LAYERS = channel_layers_config(FRGM_MESSAGING_REDIS_URL)

# --- AWS (moto's server stands in locally) --------------------------------
# boto3's standard variable, so one code path talks to the stand-in and to AWS.
AWS_ENDPOINT_URL = env_url(
    "AWS_ENDPOINT_URL",
    "" if PRODUCTION else "http://127.0.0.1:15566",
    schemes=("http", "https"),
    fallback="",
)
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
# Locally the stand-in accepts any key; in AWS the task role provides credentials.
AWS_LOCAL_CREDENTIALS = not PRODUCTION and env_bool("FRGM_AWS_LOCAL_CREDENTIALS", True)
AWS_TIMEOUT_S = env_float("FRGM_AWS_TIMEOUT_S", 5.0)
FRGM_FEED_BUCKET = env_str("FRGM_FEED_BUCKET", "frgm-feed-local")
FRGM_FEED_QUEUE = env_str("FRGM_FEED_QUEUE", "frgm-feed-events")
FRGM_FEED_DLQ = env_str("FRGM_FEED_DLQ", "frgm-feed-events-dlq")
FRGM_FEED_MAX_RECEIVES = env_int("FRGM_FEED_MAX_RECEIVES", 5)
# How a DLQ redrive moves messages (ops/redrive.py): "move-task" is SQS's own redrive
# (StartMessageMoveTask), in AWS; "loop" receives, sends and deletes, for a stand-in
# that lacks move tasks (moto's server). Chosen here, not probed at run time.
_DEFAULT_DLQ_REDRIVE = "loop" if AWS_ENDPOINT_URL else "move-task"
FRGM_DLQ_REDRIVE = env_choice(
    "FRGM_DLQ_REDRIVE", _DEFAULT_DLQ_REDRIVE, ("move-task", "loop"), fallback=_DEFAULT_DLQ_REDRIVE
)
FRGM_DLQ_MOVE_POLL_S = env_float("FRGM_DLQ_MOVE_POLL_S", 2.0)
# A file stamped more than this far ahead of its arrival (S3 event time) is
# quarantined "from the future": one would freeze its feed (feeds/pipeline.py).
FRGM_FEED_FUTURE_TOLERANCE_S = env_int("FRGM_FEED_FUTURE_TOLERANCE_S", 300)
FRGM_HISTORY_TABLE = env_str("FRGM_HISTORY_TABLE", "frgm-history")
# Days a history item lives: the worker writes the table's TTL attribute on every item.
FRGM_HISTORY_RETENTION_DAYS = env_int("FRGM_HISTORY_RETENTION_DAYS", 35)

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", FRGM_MESSAGING_REDIS_URL, schemes=REDIS_SCHEMES, fallback=UNSET_REDIS_URL
)
# Over TLS (AWS), verify the server: given no options kombu would accept any certificate.
CELERY_BROKER_USE_SSL = (
    {"ssl_cert_reqs": ssl.CERT_REQUIRED} if CELERY_BROKER_URL.startswith("rediss://") else None
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The worker's tasks are the long on-call operations (ops/tasks.py: replay a day,
# rebuild the latest state, redrive the DLQ), minutes each. Acknowledged when they
# end, so a worker lost mid-run has its message delivered again (the run's claim
# keeps that from running the work twice); one reserved message per process, so a
# long replay never holds a redrive back behind it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A day's replay (~40 k files at ~40 a second) is the longest: well under two hours.
# The soft limit ends a run as failed, saying so; the hard one kills what ignores it.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("FRGM_OPS_TASK_TIME_LIMIT_S", 2 * 60 * 60, minimum=60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Redis redelivers a message not acknowledged within the visibility timeout, to
# another worker, while the first still runs it: it must outlast the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
# Task events, so `celery events`, Flower and `celery inspect` show the operations.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # TLS ends at the ALB, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The ALB probes over plain HTTP inside the VPC.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if not PRODUCTION or SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Logging -------------------------------------------------------------------
_DEFAULT_LOG_FORMAT = default_log_format(production=PRODUCTION)
FRGM_LOG_FORMAT = env_choice(
    "FRGM_LOG_FORMAT", _DEFAULT_LOG_FORMAT, LOG_FORMATS, fallback=_DEFAULT_LOG_FORMAT
)
FRGM_LOG_LEVEL = env_choice("FRGM_LOG_LEVEL", "INFO", LOG_LEVELS, fallback="INFO")
# uvicorn's access and error lines included (frgm_site/logging_config.py).
LOGGING = logging_config(
    log_format=FRGM_LOG_FORMAT, level=FRGM_LOG_LEVEL, emf=env_bool("FRGM_EMF", PRODUCTION)
)

# Password for the local persona users (create_role_users); generated when empty.
FRGM_ROLE_PASSWORD = env_str("FRGM_ROLE_PASSWORD", "")

# Static files are served at the ASGI layer (frgm_site/static_files.py). Locally
# ServeStatic serves straight from the finders (the apps' static folders); in
# production from the collectstatic output baked into the image, through its
# manifest: hashed names are cached for a year, with gzip variants.
SERVESTATIC_USE_FINDERS = not PRODUCTION

# --- Notification consumer (runs inside the Celery worker) ------------------------
FRGM_CONSUME_NOTIFICATIONS = env_bool("FRGM_CONSUME_NOTIFICATIONS", True)
FRGM_CONSUMER_IN_FLIGHT = env_int("FRGM_CONSUMER_IN_FLIGHT", 4, minimum=1)
FRGM_CONSUMER_WAIT_S = env_int("FRGM_CONSUMER_WAIT_S", 20)
# Short, so a crashed worker's message is redelivered well within the 15 s
# recovery target; the consumer extends it while a file is in flight.
FRGM_CONSUMER_VISIBILITY_S = env_int("FRGM_CONSUMER_VISIBILITY_S", 10)
# Each long-running loop (the consumer's threads, the ops scheduler) stamps its last
# turn in a file here; the container health checks (manage.py worker_health,
# ops_scheduler --check) fail when a stamp is older than FRGM_LIVENESS_STALE_S.
# In the image /app/.run belongs to root (collectstatic made it), so the container's
# own temporary directory holds them there.
FRGM_LIVENESS_DIR = env_str(
    "FRGM_LIVENESS_DIR",
    str(Path(tempfile.gettempdir()) / "frgm-liveness" if PRODUCTION else RUN_DIR / "liveness"),
)
FRGM_LIVENESS_STALE_S = env_float("FRGM_LIVENESS_STALE_S", 60.0)

# --- Ops --------------------------------------------------------------------------
# Slack incoming webhook for alarm changes; a secret: environment only, never stored.
FRGM_SLACK_WEBHOOK_URL = env_url("FRGM_SLACK_WEBHOOK_URL", "", schemes=("https",), fallback="")
# Where people reach the portal, for links in notifications; locally the port
# make run serves on (FRGM_PORT), so a stack on another port links to itself.
FRGM_PUBLIC_URL = env_url(
    "FRGM_PUBLIC_URL",
    f"http://127.0.0.1:{env_int('FRGM_PORT', 8000, minimum=1)}",
    schemes=("http", "https"),
    fallback="http://127.0.0.1:8000",
)
# "local": the ops scheduler (manage.py ops_scheduler, its own process) evaluates
# ops.alarms on local metrics; "cloudwatch": CloudWatch evaluates them and the
# scheduler mirrors their states into the portal.
_DEFAULT_ALARM_SOURCE = "cloudwatch" if PRODUCTION else "local"
FRGM_ALARM_SOURCE = env_choice(
    "FRGM_ALARM_SOURCE",
    _DEFAULT_ALARM_SOURCE,
    ("local", "cloudwatch"),
    fallback=_DEFAULT_ALARM_SOURCE,
)
FRGM_ALARM_EVALUATE_EVERY_S = env_float("FRGM_ALARM_EVALUATE_EVERY_S", 15.0)
# CloudWatch alarm names are "<prefix><alarm id>"; the CDK app gives each environment
# its own (frgm-dev-, frgm-prod-: they may share an account) and sets it on the
# scheduler, which refuses to mirror CloudWatch without one.
FRGM_ALARM_PREFIX = env_str("FRGM_ALARM_PREFIX", "" if PRODUCTION else "frgm-local-")
FRGM_OPS_PUSH_EVERY_S = env_float("FRGM_OPS_PUSH_EVERY_S", 3.0)
# Ops task runs (ops/task_runs.py): a running one stamps itself alive every BEAT_S;
# one silent for STALE_S, or queued for QUEUED_MAX_S with no worker taking it, is
# marked lost. Progress reaches the row and the page at most every PROGRESS_EVERY_S.
FRGM_OPS_TASK_BEAT_S = env_float("FRGM_OPS_TASK_BEAT_S", 10.0, minimum=0.1)
FRGM_OPS_TASK_STALE_S = env_float("FRGM_OPS_TASK_STALE_S", 60.0, minimum=1.0)
FRGM_OPS_TASK_QUEUED_MAX_S = env_float("FRGM_OPS_TASK_QUEUED_MAX_S", 15 * 60.0)
FRGM_OPS_TASK_PROGRESS_EVERY_S = env_float("FRGM_OPS_TASK_PROGRESS_EVERY_S", 0.5)
if FRGM_OPS_TASK_STALE_S <= 2 * FRGM_OPS_TASK_BEAT_S:  # a live run would be marked lost
    _env.problem(
        MalformedValue("FRGM_OPS_TASK_STALE_S must be more than twice FRGM_OPS_TASK_BEAT_S")
    )
# The ops schedule's external dead-man's switch (ops.heartbeat): a healthchecks.io-style
# ping URL the scheduler GETs after each good run; a secret (anyone holding it can
# report "alive"): environment only, never logged or shown. Empty or "off" (what the
# deployed secret frgm-<env>/heartbeat-url holds until a URL is put in): the EMF beat only.
FRGM_HEARTBEAT_URL = (
    ""
    if env_str("FRGM_HEARTBEAT_URL", "").strip().lower() == "off"
    else env_url("FRGM_HEARTBEAT_URL", "", schemes=("http", "https"), fallback="")
)
FRGM_HEARTBEAT_TIMEOUT_S = env_float("FRGM_HEARTBEAT_TIMEOUT_S", 5.0)

# --- make run supervision -------------------------------------------------------
# devstack's supervisor writes each process's restart count here; /readyz shows
# it when the file exists. Unset (nothing shown) outside `make run`.
FRGM_SUPERVISOR_STATE_FILE = env_str("FRGM_SUPERVISOR_STATE_FILE", "")

# --- Content-Security-Policy (django-csp) ------------------------------------------
# Every script and style is a file under /static/: no inline <script>, style= or
# on*= anywhere, so markup that slipped into a page cannot run or restyle it.
# Websockets are same-origin: 'self' covers ws/wss in CSP 3; the explicit
# origins are for browsers before it.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
_CSP_WEBSOCKETS = (
    [f"wss://{'*' + host if host.startswith('.') else host}" for host in ALLOWED_HOSTS]
    if PRODUCTION
    else ["ws://127.0.0.1:*", "ws://localhost:*"]
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_CSP_WEBSOCKETS],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- JSON API load (frgm_site.api_asgi, ladder.api_cache, accounts.api_auth) -------
# /api/ calls served at once by one web process; more get 503 + Retry-After at once.
FRGM_API_MAX_IN_FLIGHT = env_int("FRGM_API_MAX_IN_FLIGHT", 64, minimum=1)
FRGM_API_THREADS = env_int("FRGM_API_THREADS", 8, minimum=1)  # threads running /api/ calls
# How long a web process trusts a bearer token it has looked up (revoking it in
# another process, deactivating its user or changing roles take this long there).
FRGM_API_TOKEN_CACHE_S = env_float("FRGM_API_TOKEN_CACHE_S", 5.0)

# --- Problems with the values above -------------------------------------------------
# Each reported once by frgm_site.checks (frgm.E001-E003) with a hint. Last, so
# every read above is in it.
FRGM_CONFIG_PROBLEMS = _env.problems
