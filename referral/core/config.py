"""Configuration from the environment (``REFERRAL_*``) with safe defaults.

Secrets never have a fallback in code.  In development they are generated once
into the instance folder (mode 0600) so that a newcomer can run the app; in
production the app refuses to start until they are configured explicitly.
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from referral.core.calendar import DEFAULT_CLOSING_DAYS, parse_closing_days

ENV_PREFIX = "REFERRAL_"

# Keys that must come from configuration in production.  Each maps to a
# generator used only in development.
SECRET_SETTINGS = ("SECRET_KEY", "MASTER_KEYS", "PSEUDONYM_KEY", "AUDIT_SIGNING_KEY")


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration; the message is one line."""


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).decode()


def _new_signing_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.urlsafe_b64encode(raw).decode()


_GENERATORS = {
    "SECRET_KEY": lambda: _b64(32),
    "MASTER_KEYS": lambda: f"dev1:{_b64(32)}",
    "PSEUDONYM_KEY": lambda: _b64(32),
    "AUDIT_SIGNING_KEY": _new_signing_key,
}

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "NOTE_MAX_CHARS": 20_000,
    "PER_PAGE_DEFAULT": 50,
    "PER_PAGE_MAX": 200,
    # Lists over tables that grow without bound (cases, audit events) count at most this
    # many matches (20 pages of 50): beyond, "total" is this number, "total_exact" false.
    "LIST_COUNT_LIMIT": 1_000,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "MFA_REQUIRED": None,  # None: on in production, off in development
    "REIDENTIFY_PER_HOUR": 30,
    "RETENTION_YEARS": 5,
    "ACTIVE_MASTER_KEY": None,  # None: the last key listed in MASTER_KEYS
    "BENCH": False,
    # Where signed checkpoints are published, outside the database (referral.audit.publication)
    "CHECKPOINT_DIR": None,  # None: <instance>/checkpoints/<database>
    "AUDIT_CHECKPOINT_INTERVAL": 60,  # seconds between an instance's signed checkpoints; 0 off
    # Days the services are closed besides the Belgian public holidays, as month-day pairs
    # (referral.core.calendar): 11 July, 2 and 15 November, 26 December.
    "CLOSING_DAYS": DEFAULT_CLOSING_DAYS,
    # An organisation's response times turn amber once an open item has used this share of
    # its deadline's working days (referral.organisations.response_times); red when overdue.
    "RESPONSE_TIME_AMBER_SHARE": 0.75,
    # A case in guidance or aftercare with no transition, note or action for this many days
    # is in the digest (referral.ops.digest): six weeks.
    "DIGEST_STALL_DAYS": 42,
}

_INT_SETTINGS = {
    "MAX_CONTENT_LENGTH",
    "NOTE_MAX_CHARS",
    "PER_PAGE_DEFAULT",
    "PER_PAGE_MAX",
    "LIST_COUNT_LIMIT",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "REIDENTIFY_PER_HOUR",
    "RETENTION_YEARS",
    "AUDIT_ANOMALY_DENIALS",
    "AUDIT_ANOMALY_REIDENTIFICATIONS",
    "PROXY_HOPS",
    "SMTP_PORT",
    "AUDIT_CHECKPOINT_INTERVAL",
    "DIGEST_STALL_DAYS",
}
_BOOL_SETTINGS = {"MFA_REQUIRED", "BENCH"}
_FLOAT_SETTINGS = {"RESPONSE_TIME_AMBER_SHARE"}
_URL_SETTINGS = {"DATABASE_URL": ("sqlite", "postgresql", "postgresql+psycopg"),
                 "BASE_URL": ("http", "https"),
                 "RATE_LIMIT_STORAGE": ("memory", "redis", "rediss", "redis+sentinel")}
_CHOICE_SETTINGS = {"ENV": ("development", "production"),
                    "SMTP_SECURITY": ("starttls", "tls", "none"),
                    "LOG_FORMAT": ("json", "text"),
                    "LOG_LEVEL": ("DEBUG", "INFO", "WARNING", "ERROR", "debug", "info",
                                  "warning", "error")}

# Settings read where they are used, with no default here (the feature has its own, or
# "not set" means "off").  With DEFAULTS and the secrets, every name the application reads:
# an unknown REFERRAL_ name is a typo and stops start-up (tests/core/test_config_strict.py
# checks that every name the code reads is listed).
OPTIONAL_SETTINGS = frozenset({
    "AUDIT_ANOMALY_DENIALS", "AUDIT_ANOMALY_REIDENTIFICATIONS", "AUDIT_PREVIOUS_PUBLIC_KEYS",
    "BASE_URL", "PROXY_HOPS", "SESSION_MAX_CONCURRENT",
    "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_SECURITY",
    "SMTP_CA_FILE", "LOG_FORMAT", "LOG_LEVEL", "METRICS_TOKEN", "METRICS_NETWORKS",
    "RATE_LIMIT_STORAGE", "RATE_LIMIT_LOGIN", "RATE_LIMIT_MFA", "RATE_LIMIT_TOKENS",
    "RATE_LIMIT_REGISTRATIONS", "RATE_LIMIT_FEEDBACK",
})
# Shown masked by `config show`: keys, passwords, and URLs that may carry a password.
MASKED = frozenset({*SECRET_SETTINGS, "SMTP_PASSWORD", "METRICS_TOKEN"})
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_PATTERN_PREFIXES = ("TEST_",)  # REFERRAL_TEST_*: the test suite's own variables


def known_settings() -> frozenset[str]:
    return frozenset(DEFAULTS) | frozenset(SECRET_SETTINGS) | OPTIONAL_SETTINGS


def _parse(name: str, raw: str) -> Any:
    variable = ENV_PREFIX + name
    if name in _INT_SETTINGS:
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{variable} must be an integer") from None
    if name in _BOOL_SETTINGS:
        word = raw.strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        # "ture" must not silently turn MFA off: only the words we know count.
        raise ConfigurationError(f"{variable} must be true or false (1/0, yes/no, on/off), "
                                 f"not {raw!r}")
    if name in _FLOAT_SETTINGS:
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f"{variable} must be a number") from None
    if name in _URL_SETTINGS:
        _check_url(variable, raw, _URL_SETTINGS[name])
    if name in _CHOICE_SETTINGS and raw not in _CHOICE_SETTINGS[name]:
        choices = ", ".join(repr(c) for c in _CHOICE_SETTINGS[name])
        raise ConfigurationError(f"{variable} must be one of {choices}")
    return raw


def _check_url(variable: str, raw: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ConfigurationError(f"{variable} must be a URL starting with "
                                 f"{' or '.join(s + '://' for s in schemes)}")
    # A file-based SQLite URL has no host; a server URL (and an http one) needs one.
    if scheme not in {"sqlite", "memory"} and not parts.hostname:
        raise ConfigurationError(f"{variable} must name a host")


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every ``REFERRAL_X`` variable becomes setting ``X``; an unknown ``X`` or a malformed
    value stops start-up with one line naming the variable."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    known = known_settings()
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :]
        if name.startswith(_PATTERN_PREFIXES):
            continue
        if name not in known:
            guess = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {ENV_PREFIX}{guess[0]}?)" if guess else ""
            raise ConfigurationError(f"unknown setting {key}{hint}")
        settings[name] = _parse(name, raw)
    return settings


def effective(config: Mapping[str, Any]) -> dict[str, str]:
    """The settings as ``config show`` prints them: secrets masked, passwords in URLs too."""
    shown: dict[str, str] = {}
    for name in sorted(known_settings()):
        value = config.get(name)
        if value is None:
            continue
        if name in MASKED:
            shown[name] = "********"
        elif isinstance(value, str) and "://" in value and "@" in value:
            parts = urlsplit(value)
            if parts.password:
                netloc = parts.netloc.replace(f":{parts.password}@", ":********@")
                value = parts._replace(netloc=netloc).geturl()
            shown[name] = str(value)
        else:
            shown[name] = str(value)
    return shown


def _load_or_create_dev_secrets(instance_path: Path) -> dict[str, str]:
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "dev-secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in SECRET_SETTINGS if name not in stored]
    if missing:
        for name in missing:
            stored[name] = _GENERATORS[name]()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
    return stored


def resolve(settings: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Fill defaults, then secrets: explicit, or generated (development only)."""
    merged = {**DEFAULTS, **settings}
    env = merged["ENV"]
    if env not in {"development", "production"}:
        raise ConfigurationError(f"{ENV_PREFIX}ENV must be 'development' or 'production'")
    missing = [name for name in SECRET_SETTINGS if not merged.get(name)]
    if missing:
        if env == "production":
            names = ", ".join(ENV_PREFIX + name for name in missing)
            raise ConfigurationError(f"refusing to start in production: {names} not configured")
        generated = _load_or_create_dev_secrets(instance_path)
        for name in missing:
            merged[name] = generated[name]
    if merged["MFA_REQUIRED"] is None:
        merged["MFA_REQUIRED"] = env == "production"
    if not merged["DATABASE_URL"]:
        merged["DATABASE_URL"] = f"sqlite:///{instance_path / 'referral.sqlite3'}"
    _check_deadline_settings(merged)
    return merged


def _check_deadline_settings(merged: dict[str, Any]) -> None:
    # Refused at start: a typo would otherwise move every deadline silently.
    try:
        parse_closing_days(merged["CLOSING_DAYS"] or "")
    except ValueError as exc:
        raise ConfigurationError(f"{ENV_PREFIX}CLOSING_DAYS: {exc}") from None
    share = merged["RESPONSE_TIME_AMBER_SHARE"]
    if not isinstance(share, int | float) or not 0 < share <= 1:
        raise ConfigurationError(f"{ENV_PREFIX}RESPONSE_TIME_AMBER_SHARE must be a number "
                                 "above 0 and at most 1")
