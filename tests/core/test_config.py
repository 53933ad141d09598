"""Configuration: production refuses to start without keys; development makes its own once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from referral.core.config import ConfigurationError, resolve


def test_production_refuses_to_start_without_keys(tmp_path):
    with pytest.raises(ConfigurationError) as exc:
        resolve({"ENV": "production"}, tmp_path)
    message = str(exc.value)
    assert "\n" not in message
    assert "REFERRAL_SECRET_KEY" in message
    assert "REFERRAL_PSEUDONYM_KEY" in message
    assert not (tmp_path / "dev-secrets.json").exists()


def test_production_cli_exits_with_one_line_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_ENV="production", REFERRAL_SECRET_KEY="x" * 40)
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))  # tests/core/ -> the project
    r = subprocess.run([sys.executable, "-c", "import wsgi"], env=env, capture_output=True,
                       text=True, cwd=root, check=False)
    assert r.returncode != 0
    assert "refusing to start in production" in r.stderr
    assert "REFERRAL_MASTER_KEYS" in r.stderr


def test_development_generates_secrets_once(tmp_path):
    first = resolve({"ENV": "development"}, tmp_path)
    second = resolve({"ENV": "development"}, tmp_path)
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["PSEUDONYM_KEY"] == second["PSEUDONYM_KEY"]
    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert stored["SECRET_KEY"] == first["SECRET_KEY"]
    assert oct((tmp_path / "dev-secrets.json").stat().st_mode & 0o777) == "0o600"
    other = resolve({"ENV": "development"}, tmp_path / "elsewhere")
    assert other["SECRET_KEY"] != first["SECRET_KEY"]


def test_explicit_settings_win_and_bad_env_is_refused(tmp_path):
    cfg = resolve({"ENV": "production", "SECRET_KEY": "s", "MASTER_KEYS": "k:v",
                   "PSEUDONYM_KEY": "p", "AUDIT_SIGNING_KEY": "a"}, tmp_path)
    assert cfg["MFA_REQUIRED"] is True
    with pytest.raises(ConfigurationError):
        resolve({"ENV": "staging"}, tmp_path)
