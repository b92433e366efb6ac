"""Every setting of the application, read from ``HIRING_*`` environment variables.

Settings are applied in layers: the defaults below, then the environment, then the
``test_config`` mapping handed to :func:`hiring.create_app`. Each :class:`Setting` documents
itself; the README's configuration table lists the same names.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_KEY_LENGTH = 32
# Keys that are obviously placeholders; production refuses them even when long enough.
_WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "development", "test"}


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_int(raw: str) -> int:
    return int(raw.strip())


def _parse_str(raw: str) -> str:
    return raw.strip()


@dataclass(frozen=True)
class Setting:
    """One configuration key: environment variable, app config key, default and meaning."""

    env: str
    key: str
    default: Any
    doc: str
    parse: Callable[[str], Any] = _parse_str


SETTINGS: tuple[Setting, ...] = (
    Setting("HIRING_ENV", "HIRING_ENV", "development",
            "development, test or production (`make serve` sets production)."),
    Setting("HIRING_SECRET_KEY", "SECRET_KEY", None,
            "Session and CSRF secret. Required (32+ characters) in production; in development "
            "one is generated once per instance and kept in `<instance>/secret_key`."),
    Setting("HIRING_DATABASE_URL", "DATABASE_URL", None,
            "SQLAlchemy URL. `postgresql://` is read as `postgresql+psycopg://` (psycopg 3). "
            "Default: SQLite at `<instance>/hiring.db`."),
    Setting("HIRING_INSTANCE_PATH", "INSTANCE_PATH", "instance",
            "Instance folder (database, generated secret key). Relative paths are resolved "
            "against the current directory."),
    Setting("HIRING_BASE_URL", "BASE_URL", "http://127.0.0.1:5000",
            "External URL for links and QR codes made outside a request (packets, e-mails)."),
    Setting("HIRING_TRUST_PROXY", "TRUST_PROXY", 0,
            "Number of reverse proxies whose X-Forwarded-* headers are trusted (ProxyFix).",
            _parse_int),
    Setting("HIRING_PAPER_SIZE", "PAPER_SIZE", "A4", "Packet paper size: A4 or Letter."),
    Setting("HIRING_OVERDUE_HOURS", "OVERDUE_HOURS", 24,
            "Hours after an interview ends before an unsubmitted scorecard counts as overdue.",
            _parse_int),
    Setting("HIRING_SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES", 60,
            "A session unused this long is logged out.", _parse_int),
    Setting("HIRING_SESSION_ABSOLUTE_HOURS", "SESSION_ABSOLUTE_HOURS", 12,
            "A session older than this is logged out, however active.", _parse_int),
    Setting("HIRING_REAUTH_MINUTES", "REAUTH_MINUTES", 10,
            "Dangerous actions (erasure, exports, role changes, model adoption) need a password "
            "re-entered within this many minutes.", _parse_int),
    Setting("HIRING_LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES", 10,
            "Failed logins for one e-mail address within the window that lock it.", _parse_int),
    Setting("HIRING_LOGIN_WINDOW_MINUTES", "LOGIN_WINDOW_MINUTES", 15,
            "Window (and lock duration) for login throttling, kept in the database.", _parse_int),
    Setting("HIRING_RENDER_TIMEOUT_SECONDS", "RENDER_TIMEOUT_SECONDS", 60,
            "A PDF render running longer is killed and answered with an error.", _parse_int),
    Setting("HIRING_RENDER_CONCURRENCY", "RENDER_CONCURRENCY", 2,
            "PDF renders running at once across all workers; beyond it 503 + Retry-After.",
            _parse_int),
    Setting("HIRING_RENDER_PROCESSES", "RENDER_PROCESSES", 2,
            "Warm PDF render processes per app process, started at the first render (never more "
            "than the concurrency cap).", _parse_int),
    Setting("HIRING_PACKETS_STRICT_FETCH", "PACKETS_STRICT_FETCH", None,
            "A packet asking for any URL besides data: and its own assets fails to render "
            "(on when HIRING_ENV=test); otherwise the fetch is logged and skipped.", _parse_bool),
    Setting("HIRING_MAX_UPLOAD_MB", "MAX_UPLOAD_MB", 10,
            "Largest request body (uploads, imports) in MiB; larger requests get 413.",
            _parse_int),
    Setting("HIRING_MAX_RESUME_MB", "MAX_RESUME_MB", 5,
            "Largest résumé (PDF or DOCX) in MiB; larger files are refused with a message. "
            "Keep it below `HIRING_MAX_UPLOAD_MB`.", _parse_int),
    Setting("HIRING_SMTP_URL", "SMTP_URL", "",
            "smtp://user:pass@host:port for e-mailed invitations; empty keeps them in the "
            "development outbox page."),
    Setting("HIRING_LOG_LEVEL", "LOG_LEVEL", "INFO", "Logging level of the application logger."),
    Setting("HIRING_NOTICE_LINK_DAYS", "NOTICE_LINK_DAYS", 30,
            "Days a candidate notice link (how scores assist the decision, alternative process, "
            "self-identification) stays valid; issuing a new link revokes the older ones.",
            _parse_int),
)


def _resolve_instance_path(raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def normalise_database_url(url: str) -> str:
    """Read ``postgresql://`` (and the old ``postgres://``) as the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key_for_development(instance_path: Path) -> str:
    """Generate a secret key once per instance and keep it in the instance folder."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Exclusive create: two processes starting at once keep whichever key landed first.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_config(
    environ: Mapping[str, str] | None = None, test_config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Build the configuration dict: defaults, then ``HIRING_*`` variables, then ``test_config``.

    Raises :class:`ConfigError` naming the variable when a value cannot be parsed, and when the
    secret key is missing or weak in production.
    """
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if setting.env in environ:
            try:
                value = setting.parse(environ[setting.env])
            except ValueError as exc:
                raise ConfigError(f"{setting.env}: {exc}") from exc
        config[setting.key] = value
    if test_config:
        config.update(test_config)

    env = config["HIRING_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"HIRING_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if str(config["PAPER_SIZE"]).lower() not in {"a4", "letter"}:
        raise ConfigError(f"HIRING_PAPER_SIZE must be A4 or Letter, not {config['PAPER_SIZE']!r}")

    if config.get("PACKETS_STRICT_FETCH") is None:
        config["PACKETS_STRICT_FETCH"] = env == "test"

    instance_path = _resolve_instance_path(str(config["INSTANCE_PATH"]))
    config["INSTANCE_PATH"] = str(instance_path)

    if not config.get("DATABASE_URL"):
        instance_path.mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'hiring.db'}"
    config["DATABASE_URL"] = normalise_database_url(str(config["DATABASE_URL"]))

    secret = config.get("SECRET_KEY")
    if env == "production":
        if not secret:
            raise ConfigError("HIRING_SECRET_KEY is required when HIRING_ENV=production")
        if len(secret) < MIN_SECRET_KEY_LENGTH or secret.lower() in _WEAK_SECRET_KEYS:
            raise ConfigError(
                f"HIRING_SECRET_KEY is too weak for production: use at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters (e.g. `python -c 'import secrets; "
                f"print(secrets.token_urlsafe(48))'`)"
            )
    elif not secret:
        config["SECRET_KEY"] = _secret_key_for_development(instance_path)

    # Flask and extension settings derived from ours.
    config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tokens live as long as the session
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = config["BASE_URL"].startswith("https://")
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["REMEMBER_COOKIE_DURATION"] = 60 * 60 * int(config["SESSION_ABSOLUTE_HOURS"])
    config["TESTING"] = bool(config.get("TESTING", env == "test"))
    config["DEBUG"] = False if env == "production" else bool(config.get("DEBUG", False))
    return config
