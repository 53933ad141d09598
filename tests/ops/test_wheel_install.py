"""An installable package that deploys itself: the built wheel, installed into a fresh
virtual environment, migrates a database and serves /readyz 200 under gunicorn with the
shipped settings -- templates, translations, static files and migrations all inside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=True,
                          timeout=900, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    try:
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work),
             str(ROOT))
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"the wheel does not build: {exc.stderr[-2000:]}")
    wheel = next(work.glob("livc_referral-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    try:
        # Dependencies from the same index as the project's own environment (pip's cache).
        _run(str(venv / "bin" / "pip"), "install", "-q", str(wheel))
    except subprocess.CalledProcessError as exc:
        if IN_CI:
            raise
        pytest.skip(f"no package index reachable to install the wheel: {exc.stderr[-300:]}")
    return venv


def test_the_installed_wheel_migrates_and_serves(installed, tmp_path):
    venv = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    # Run from an empty directory: nothing may come from the checkout.
    env.update(REFERRAL_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}",
               REFERRAL_CHECKPOINT_DIR=str(tmp_path / "checkpoints"),
               PYTHONPATH="")
    cwd = tmp_path / "empty"
    cwd.mkdir()
    upgraded = _run(str(venv / "bin" / "flask"), "--app", "referral", "db", "upgrade",
                    cwd=cwd, env=env)
    assert upgraded.returncode == 0
    port = _free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    env["GUNICORN_WORKERS"] = "1"
    server = subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), "-c", "python:referral.ops.gunicorn_conf",
         "referral:create_app()"], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status, body = time.monotonic() + 60, None, ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz",
                                            timeout=5) as response:
                    status, body = response.status, response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login",
                                    timeout=5) as response:
            page = response.read().decode()
        # Templates and the compiled Dutch catalogue came with the wheel.
        assert '<html lang="nl-BE">' in page
        assert "Aanmelden" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css",
                                    timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output
