"""Configuration that refuses mistakes: a typo or a malformed value stops start-up with
one line naming the variable, and `config show` masks the secrets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from referral.core.config import ConfigurationError, effective, from_environment, known_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("REFERRAL_MFA_REQUIRED", "ture", "REFERRAL_MFA_REQUIRED must be true or false"),
    ("REFERRAL_SESION_IDLE_MINUTES", "30",
     "unknown setting REFERRAL_SESION_IDLE_MINUTES (did you mean REFERRAL_SESSION_IDLE_MINUTES?)"),
    ("REFERRAL_SESSION_IDLE_MINUTES", "thirty", "REFERRAL_SESSION_IDLE_MINUTES must be an integer"),
    ("REFERRAL_DATABASE_URL", "postgres//db", "REFERRAL_DATABASE_URL must be a URL"),
    ("REFERRAL_BASE_URL", "https://", "REFERRAL_BASE_URL must name a host"),
    ("REFERRAL_SMTP_SECURITY", "ssl", "REFERRAL_SMTP_SECURITY must be one of"),
    ("REFERRAL_ENV", "prod", "REFERRAL_ENV must be one of"),
])
def test_a_mistake_is_refused_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigurationError) as caught:
        from_environment({variable: value})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("word", ["true", "TRUE", "1", "yes", "on", "false", "0", "no", "Off"])
def test_the_words_for_yes_and_no_are_understood(word):
    assert from_environment({"REFERRAL_MFA_REQUIRED": word})["MFA_REQUIRED"] is (
        word.lower() in {"true", "1", "yes", "on"})


def test_the_start_up_stops_with_one_line_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_MFA_REQUIRED="ture", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "configuration error: REFERRAL_MFA_REQUIRED must be true or false (1/0, yes/no, "
        "on/off), not 'ture'"]


def test_config_show_masks_secrets_and_url_passwords():
    shown = effective({"SECRET_KEY": "s3cret", "SMTP_PASSWORD": "hunter2",
                       "DATABASE_URL": "postgresql://app:pa55@db:5432/livc",
                       "SESSION_IDLE_MINUTES": 30})
    assert shown["SECRET_KEY"] == shown["SMTP_PASSWORD"] == "********"
    assert shown["DATABASE_URL"] == "postgresql://app:********@db:5432/livc"
    assert shown["SESSION_IDLE_MINUTES"] == "30"
    assert "s3cret" not in str(shown)
    assert "pa55" not in str(shown)


def test_every_setting_the_code_reads_is_known():
    """A name read in the code but missing from the known list would be refused at start."""
    pattern = re.compile(r"""(?:config|cfg)(?:\[|\.get\()["']([A-Z][A-Z0-9_]+)["']""")
    read = set()
    for path in (ROOT / "referral").rglob("*.py"):
        read.update(pattern.findall(path.read_text(encoding="utf-8")))
    flask_own = {name for name in read if name.startswith(("BABEL_", "RATELIMIT_", "WTF_",
                                                           "SESSION_COOKIE"))}
    assert read - flask_own - known_settings() == set()


def test_config_show_prints_the_effective_settings(app):
    result = app.test_cli_runner().invoke(args=["config", "show"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.splitlines())
    assert lines["REFERRAL_SECRET_KEY"] == "********"
    assert lines["REFERRAL_SESSION_IDLE_MINUTES"] == str(app.config["SESSION_IDLE_MINUTES"])
