"""Settings: every knob is an environment variable with a working default.

docs/configuration.md lists each variable; keep the two in step. `crmdp serve`
runs with none of them set: the SQLite file and a generated secret key live in
the data directory.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from crmdp.backends import sqlite
from crmdp.lib.netaddr import parse_networks


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        # Fail closed, and say which setting: a limit that cannot be read must not
        # start a server with some other limit (int()'s own error names no variable).
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("CRMDP_DATA_DIR", "data")).resolve()
# Private when created (0700): it holds the database, the secret key and sent mail.
# An existing directory keeps the mode its operator gave it.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data directory."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.01)  # the other process is between open() and write()
    raise RuntimeError(f"{path} is empty; delete it or set SECRET_KEY")


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback  # all of 127.0.0.0/8
    except ValueError:
        return False


def _loopback_only(hosts: list[str]) -> bool:
    return all(_is_loopback(host) for host in hosts)


# HTTPS only, unless the server answers to loopback names alone (the quick start on
# http://127.0.0.1:8000). Naming a public host in ALLOWED_HOSTS turns it on: plain
# http is redirected, cookies are secure-only, browsers are told to stay on https.
# docs/operations.md ("Security checklist") explains each.
HTTPS = env_bool("CRMDP_HTTPS", not _loopback_only(ALLOWED_HOSTS))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
# Whether every subdomain of the operator's domain serves https, and whether to ask
# browsers to preload it, are the domain owner's calls, not the product's.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def database_from_url(url: str) -> dict[str, object]:
    """Django's DATABASES entry for `sqlite:///path` or `postgres://user:pw@host:port/db`."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db and sqlite:////abs/path.db, as in SQLAlchemy.
        name = path[1:] if path.startswith("/") else path
        return sqlite_database(Path(name).resolve())
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            # Django's, with a health check that costs no round trip (its docstring).
            "ENGINE": "crmdp.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Persistent connections: a web worker keeps its connection between requests.
            "CONN_MAX_AGE": env_int("CRMDP_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": postgres_options(options),
            "TEST": {"NAME": env("CRMDP_TEST_DATABASE_NAME") or None},
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (sqlite or postgres)")


def postgres_options(given: dict[str, str]) -> dict[str, object]:
    """psycopg's options: a postgres URL's query parameters, and by default values
    bound by the server and statements prepared once a connection has run them 5
    times (psycopg's own threshold; Django turns both off unless told). The
    listener's statements are then parsed and planned once per connection, not on
    every request: the PostgreSQL server's CPU per single-action request fell
    by about 40% (bench/README.md, issue 19). `?prepare_threshold=none` turns
    preparing off (PgBouncer before 1.21 in transaction mode cannot keep prepared
    statements), `?server_side_binding=false` both."""
    options: dict[str, object] = {**given, "server_side_binding": True, "prepare_threshold": 5}
    if given.get("server_side_binding", "").strip().lower() in {"0", "false", "no", "off"}:
        options.update(server_side_binding=False, prepare_threshold=None)
    threshold = given.get("prepare_threshold", "").strip().lower()
    if threshold:
        options["prepare_threshold"] = None if threshold in {"none", "off"} else int(threshold)
    return options


def sqlite_synchronous() -> str:
    """CRMDP_SQLITE_SYNCHRONOUS, one of SQLite's levels. A value that is none of
    them stops the start: SQLite would read it as NORMAL, less durable than asked."""
    value = env("CRMDP_SQLITE_SYNCHRONOUS", "FULL").strip().upper() or "FULL"
    if value not in sqlite.LEVELS:
        raise ImproperlyConfigured(
            f"CRMDP_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA, not {value!r}"
        )
    return value


def sqlite_database(path: Path) -> dict[str, object]:
    # FULL: SQLite commits at NORMAL (no sync inside COMMIT, under the write lock)
    # and the backend syncs the WAL after releasing the lock, before the request is
    # answered: as durable, and writers no longer queue behind each other's syncs.
    sqlite_pragma, sync_after_commit = sqlite.commit_durability(sqlite_synchronous())
    return {
        # Django's SQLite backend, with writers queued by flock() (see its docstring).
        "ENGINE": "crmdp.backends.sqlite",
        "NAME": str(path),
        "SYNC_AFTER_COMMIT": sync_after_commit,  # read by crmdp.backends.sqlite
        # Persistent here too: each web thread keeps its connection. With one per
        # request (Django's default for SQLite), several processes on one file
        # failed requests in bursts with "disk I/O error" (SQLITE_IOERR_SHORT_READ,
        # the -shm file gone while others used it): whenever every connection had
        # closed, the WAL and its index were deleted and then rebuilt by the next
        # openers. Kept open, they are not torn down while the server runs (and a
        # request no longer pays for opening a connection). tests/server found it.
        "CONN_MAX_AGE": env_int("CRMDP_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # BEGIN IMMEDIATE takes the write lock when a transaction starts, so two
            # writers never both read "no such contact" and then both insert one.
            "transaction_mode": "IMMEDIATE",
            # Seconds a writer waits for the lock before "database is locked".
            "timeout": env_int("CRMDP_SQLITE_BUSY_TIMEOUT", 20),
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                f"PRAGMA synchronous={sqlite_pragma};"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                # At most 64 MiB of pages per connection, in the process's own memory.
                # No memory-mapped reads (mmap_size=0, SQLite's default): with them,
                # every page of the file a process had read stayed counted in its
                # RSS, up to the map's size (256 MiB then), and a web process peaked
                # at 173-328 MiB in some benchmark runs; reads were no faster with it.
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=0;"
            ),
        },
        # Tests run on an in-memory database unless told otherwise (named here:
        # pytest-django recognises Django's own SQLite engine only).
        "TEST": {"NAME": env("CRMDP_TEST_DATABASE_NAME") or ":memory:"},
    }


DATABASE_URL = env("DATABASE_URL")
DATABASES = {
    "default": (
        database_from_url(DATABASE_URL)
        if DATABASE_URL
        else sqlite_database(DATA_DIR / "crmdp.sqlite3")
    )
}
# SQLite: WAL pages waiting that make a committing thread checkpoint, after it has
# released the write lock (crmdp/backends/sqlite/base.py).
CRMDP_SQLITE_CHECKPOINT_PAGES = max(env_int("CRMDP_SQLITE_CHECKPOINT_PAGES", 1000), 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crmdp.orgs",
    "crmdp.customers",
    "crmdp.listeners",
    "crmdp.deals",
    "crmdp.notes",
    "crmdp.tickets",
    "crmdp.messaging",
    "crmdp.history",
    "crmdp.api",
    "crmdp.web",
]

MIDDLEWARE = [
    # One id per request, in the answer's X-Request-Id and in the log (crmdp/lib/request_ids.py).
    "crmdp.lib.request_ids.RequestIdMiddleware",
    # Every answer, whoever makes it, carries the Content-Security-Policy (crmdp/web/csp.py).
    "crmdp.web.csp.ContentSecurityPolicyMiddleware",
    # Health probes first: answered whatever the Host header (see crmdp/web/health.py).
    "crmdp.web.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A lost database answers 503 with Retry-After, not 500 (crmdp/web/outage.py).
    "crmdp.web.outage.DatabaseOutageMiddleware",
    # Serves the UI's CSS and JS from the app itself, so `crmdp serve` needs no web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A GET on a page's POST-only URL goes back instead of a bare 405 (crmdp/web/post_only.py).
    "crmdp.web.post_only.PostOnlyRedirectMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "crmdp.urls"
WSGI_APPLICATION = "crmdp.wsgi.application"
AUTH_USER_MODEL = "orgs.User"

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
    }
]

# A "Forgot password" link works once (it is signed with the password it replaces)
# and for an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# whitenoise finds the files in the apps' static/ folders at start-up: no
# `collectstatic` step before `crmdp serve` (the UI has a handful of files).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at every start if it is missing

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges).
TRUSTED_PROXIES = parse_networks(env_list("TRUSTED_PROXIES"))

# Listener limits (SPEC §3). Each answers a clear 4xx when exceeded.
CRMDP_MAX_BODY_BYTES = env_int("CRMDP_MAX_BODY_BYTES", 1024 * 1024)
CRMDP_MAX_ACTIONS = env_int("CRMDP_MAX_ACTIONS", 500)
CRMDP_MAX_DEPTH = env_int("CRMDP_MAX_DEPTH", 32)
CRMDP_MAX_STRING_LENGTH = env_int("CRMDP_MAX_STRING_LENGTH", 65536)
CRMDP_MAX_LIST_ITEMS = env_int("CRMDP_MAX_LIST_ITEMS", 1000)
# Listener formats (crmdp.listeners.formats): what a tenant's form post or field map
# may hold.
CRMDP_FORM_MAX_FIELDS = env_int("CRMDP_FORM_MAX_FIELDS", 100)
CRMDP_MAP_MAX_ENTRIES = env_int("CRMDP_MAP_MAX_ENTRIES", 50)
CRMDP_MAP_MAX_PATH_DEPTH = env_int("CRMDP_MAP_MAX_PATH_DEPTH", 16)
# Requests to unknown listener tokens a client address may make per minute (each
# web process counts its own) before it gets 429s: scanning for tokens is stopped.
CRMDP_UNKNOWN_TOKEN_LIMIT = env_int("CRMDP_UNKNOWN_TOKEN_LIMIT", 30)
# The same for bad read-API tokens (401s) a client address may send per minute.
CRMDP_API_BAD_TOKEN_LIMIT = env_int("CRMDP_API_BAD_TOKEN_LIMIT", 30)
# Failed web logins: an account (an email) is locked after ACCOUNT failures, a client
# address after CLIENT failures (any emails), each counted within WINDOW seconds;
# the lock lasts LOCKOUT seconds (`crmdp user unlock` lifts it). Shared by all processes.
CRMDP_LOGIN_ACCOUNT_FAILURES = env_int("CRMDP_LOGIN_ACCOUNT_FAILURES", 5)
CRMDP_LOGIN_CLIENT_FAILURES = env_int("CRMDP_LOGIN_CLIENT_FAILURES", 20)
CRMDP_LOGIN_WINDOW_SECONDS = env_int("CRMDP_LOGIN_WINDOW_SECONDS", 900)
CRMDP_LOGIN_LOCKOUT_SECONDS = env_int("CRMDP_LOGIN_LOCKOUT_SECONDS", 900)
# "Forgot password": links sent to one address, and requests taken from one client
# address, in an hour (crmdp.orgs.logins.reset_allowed).
CRMDP_RESET_EMAILS_PER_HOUR = env_int("CRMDP_RESET_EMAILS_PER_HOUR", 3)
CRMDP_RESET_REQUESTS_PER_HOUR = env_int("CRMDP_RESET_REQUESTS_PER_HOUR", 20)

# Bounded cost per request and per sender (issue 13). A new listener's rate limit
# (0: none); the work one request may carry; refused requests' logging; what one
# stored response may weigh; how long deliveries are kept (`crmdp prune`).
CRMDP_LISTENER_RATE_LIMIT = env_int("CRMDP_LISTENER_RATE_LIMIT", 600)
CRMDP_MAX_WORK_ITEMS = env_int("CRMDP_MAX_WORK_ITEMS", 2000)
CRMDP_REFUSED_LOG_BYTES = env_int("CRMDP_REFUSED_LOG_BYTES", 4096)
CRMDP_REFUSED_LOG_LIMIT = env_int("CRMDP_REFUSED_LOG_LIMIT", 60)
CRMDP_MAX_STORED_RESPONSE_BYTES = env_int("CRMDP_MAX_STORED_RESPONSE_BYTES", 65536)
CRMDP_DELIVERY_RETENTION_DAYS = env_int("CRMDP_DELIVERY_RETENTION_DAYS", 30)
# Seconds a client has to send its request's headers, then its body, before `crmdp
# serve` answers 408 (read by its gunicorn worker, crmdp/web/buffering.py, from the
# same variables).
CRMDP_HEADER_TIMEOUT = env_int("CRMDP_HEADER_TIMEOUT", 10)
CRMDP_BODY_TIMEOUT = env_int("CRMDP_BODY_TIMEOUT", 60)
# SMS an org may queue per day (UTC) unless `crmdp sms set --daily-cap` says
# otherwise: a leaked listener URL cannot run up an unbounded bill.
CRMDP_SMS_DAILY_CAP = env_int("CRMDP_SMS_DAILY_CAP", 1000)

# PostgreSQL: the most advisory locks one request takes, whatever its keys; one with
# more keys takes its org's lock alone (crmdp/customers/locking.py), so one request
# cannot fill the lock table.
CRMDP_LOCK_SLOTS = env_int("CRMDP_LOCK_SLOTS", 256)

# Django reads whole bodies into memory up to this size; the listener checks its own
# (smaller) limit first, so this only has to be at least as large.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(CRMDP_MAX_BODY_BYTES, 2_621_440)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Listener URLs are secrets: "Internal Server Error: /listener/<token>" and any
    # traceback naming one are written with the token redacted.
    "filters": {
        "redact_tokens": {"()": "crmdp.listeners.redaction.RedactListenerTokens"},
        "one_line": {"()": "crmdp.web.logs.OneLine"},
        "request_id": {"()": "crmdp.lib.request_ids.RequestIdInLog"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs every 4xx with its path; listener paths carry the secret token.
        "django.request": {"level": "ERROR", "filters": ["request_id"]},
        "django.server": {"level": "ERROR"},
        # A bad Host header: one short line, no traceback (crmdp/web/logs.py).
        "django.security.DisallowedHost": {"filters": ["one_line"]},
    },
}

# Email (SPEC §8: Django's own variables). With no EMAIL_HOST, sent mail is kept
# as files in the data directory, so a new user can see what would have gone out.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "crm@localhost")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "sent-mail"
CRMDP_MESSAGE_ID_DOMAIN = env("CRMDP_MESSAGE_ID_DOMAIN", "crmdp.invalid")

# SMS: the transport for messages on an org's trial allowance (orgs with their own
# provider use theirs), and the HTTP gateway's timeout.
CRMDP_TRIAL_SMS_PROVIDER = env("CRMDP_TRIAL_SMS_PROVIDER", "log")
CRMDP_TRIAL_SMS_URL = env("CRMDP_TRIAL_SMS_URL")
# The whole exchange with a gateway, connect to last byte (a trickling gateway is cut).
CRMDP_SMS_TIMEOUT = float(env("CRMDP_SMS_TIMEOUT", "10"))
# Org-chosen URLs (SMS gateways) may reach only public addresses unless this is on
# (gateways on the operator's LAN; the tests' loopback gateways). Link-local and cloud
# metadata addresses are refused whatever it says.
CRMDP_OUTBOUND_ALLOW_PRIVATE = env_bool("CRMDP_OUTBOUND_ALLOW_PRIVATE", False)

# Message templates (org admins write them): each rendering's budget of time and output.
CRMDP_TEMPLATE_MAX_SECONDS = float(env("CRMDP_TEMPLATE_MAX_SECONDS", "0.25"))
CRMDP_TEMPLATE_MAX_CHARS = env_int("CRMDP_TEMPLATE_MAX_CHARS", 20000)

# The outbox worker.
CRMDP_WORKER_POLL_SECONDS = float(env("CRMDP_WORKER_POLL_SECONDS", "0.5"))
CRMDP_WORKER_LEASE_SECONDS = float(env("CRMDP_WORKER_LEASE_SECONDS", "60"))
CRMDP_RETRY_BASE_SECONDS = float(env("CRMDP_RETRY_BASE_SECONDS", "2"))
CRMDP_MAX_ATTEMPTS = env_int("CRMDP_MAX_ATTEMPTS", 8)
# Sending threads per worker process; one org's lane may use at most half of them.
CRMDP_WORKER_THREADS = env_int("CRMDP_WORKER_THREADS", 4)
# The whole SMTP conversation for one email, connect to last reply (a watchdog cuts it).
CRMDP_EMAIL_TIMEOUT = float(env("CRMDP_EMAIL_TIMEOUT", "10"))
