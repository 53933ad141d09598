"""The deployment files an operator gets: a compose file with every setting from the
environment, an image definition that runs as a non-root user without compilers and checks
/readyz, systemd units that systemd itself accepts, and an .env.example that names only
settings the application knows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from referral.core.config import ENV_PREFIX, known_settings

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def test_compose_runs_the_app_jobs_postgres_and_redis_from_the_environment():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert set(compose["services"]) == {"app", "jobs", "db", "redis"}
    for name in ("app", "jobs"):
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        url = service["environment"]["REFERRAL_DATABASE_URL"]
        assert "${POSTGRES_PASSWORD:?" in url  # no password written in the file
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert "jobs run" in " ".join(compose["services"]["jobs"]["command"])
    # Published on the loopback only: the reverse proxy is the way in.
    assert compose["services"]["app"]["ports"] == ["127.0.0.1:8000:8000"]


def test_the_env_example_names_only_settings_the_application_knows():
    names = re.findall(r"^#?\s*(REFERRAL_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(),
                       re.MULTILINE)
    assert names
    unknown = {n for n in names if n[len(ENV_PREFIX):] not in known_settings()}
    assert unknown == set()


def test_the_image_is_slim_non_root_without_compilers_and_checks_readyz():
    text = (ROOT / "Dockerfile").read_text()
    final = text.rsplit("\nFROM ", 1)[1]  # the last stage is the image that ships
    assert "USER livc" in final
    assert "/readyz" in final
    assert "HEALTHCHECK" in final
    for tool in ("gcc", "build-essential", "apt-get install"):
        assert tool not in final
    assert "slim" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed on this machine")
def test_systemd_accepts_the_units(tmp_path):
    # Verified where they would be installed: the venv path is this test's own virtual
    # environment, so that systemd finds the executables it checks for.
    for unit in (ROOT / "deploy" / "systemd").iterdir():
        text = unit.read_text().replace("/opt/livc-referral/venv/bin", str(VENV_BIN))
        (tmp_path / unit.name).write_text(text)
    env = tmp_path / "env"
    env.write_text("REFERRAL_ENV=production\n")
    for unit in tmp_path.glob("*.service"):
        unit.write_text(unit.read_text().replace("/etc/livc-referral/env", str(env)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, sorted(tmp_path.glob("livc-*")))],
        capture_output=True, text=True, timeout=60, check=False)
    # systemd warns and goes on (exit 0) for a bad key or value: any line about our
    # files is a mistake in them.
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if str(tmp_path) in line]
    assert done.returncode == 0, done.stderr
    assert problems == []
