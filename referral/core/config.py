"""Configuration from the environment (``REFERRAL_*``) with safe defaults.

Secrets never have a fallback in code.  In development they are generated once
into the instance folder (mode 0600) so that a newcomer can run the app; in
production the app refuses to start until they are configured explicitly.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

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
}
_BOOL_SETTINGS = {"MFA_REQUIRED", "BENCH"}


def _parse(name: str, raw: str) -> Any:
    if name in _INT_SETTINGS:
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{ENV_PREFIX}{name} must be an integer") from None
    if name in _BOOL_SETTINGS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every ``REFERRAL_X`` variable becomes setting ``X``."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and not key.startswith(ENV_PREFIX + "TEST_"):
            name = key[len(ENV_PREFIX) :]
            settings[name] = _parse(name, raw)
    return settings


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
    return merged
