"""Processes and ``/proc``, shared by the benchmark and the drills: a fresh set of
production secrets for the child processes' environment (:func:`base_env`), one logged
child step (:func:`run_step`), a free loopback port, a process's children (gunicorn's
workers) and its resident set size.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import tempfile
from pathlib import Path

from bench.runner.settings import OUT, ROOT, Log


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def base_env() -> dict[str, str]:
    """Fresh secrets for this run only: nothing is read from or written to instance/."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    signing = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                         NoEncryption())
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({
        "REFERRAL_ENV": "production",
        "REFERRAL_BENCH": "1",
        "REFERRAL_SECRET_KEY": _b64(secrets.token_bytes(32)),
        "REFERRAL_MASTER_KEYS": f"bench1:{_b64(secrets.token_bytes(32))}",
        "REFERRAL_PSEUDONYM_KEY": _b64(secrets.token_bytes(32)),
        "REFERRAL_AUDIT_SIGNING_KEY": _b64(signing),
        # A load is many requests by a few users: the per-user limits on registrations and
        # feedback drafts (an oracle's bounds) are not what is measured.
        "REFERRAL_RATE_LIMIT_REGISTRATIONS": "1000000 per minute",
        "REFERRAL_RATE_LIMIT_FEEDBACK": "1000000 per minute",
        # This run's signing key, this run's published checkpoints.
        "REFERRAL_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="livc-bench-checkpoints-"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_step(log: Log, name: str, cmd: list[str], env: dict[str, str], timeout: float
             ) -> subprocess.CompletedProcess[str]:
    log(f"{name}: {' '.join(cmd[:6])}{' ...' if len(cmd) > 6 else ''}",
        quiet=name.startswith("load-"))
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    (OUT / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
