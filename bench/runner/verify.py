"""The verification phase: ``flask audit verify`` over the whole log as a child process,
after the server has stopped; its throughput line parsed from the output and its peak
resident set taken from ``wait4`` (:func:`measure_verify`).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from typing import Any

from bench.runner.settings import OUT, ROOT, VENV_BIN, Log


def measure_verify(log: Log, env: dict[str, str], label: str, timeout: float
                   ) -> dict[str, Any]:
    """``flask audit verify`` as a child process: its throughput line and peak RSS."""
    cmd = [str(VENV_BIN / "flask"), "--app", "bench.wsgi", "audit", "verify"]
    log(f"verify {label}")
    out_path = OUT / f"verify-{label}.log"
    with out_path.open("w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError("audit verify took too long")
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text()
    m = re.search(r"throughput: ([\d,]+) events/s \((\d+) events in ([\d.]+) s\)", text)
    ok = proc.returncode == 0 and text.startswith("ok:")
    result: dict[str, Any] = {
        "ok": ok,
        "exit_code": proc.returncode,
        "events": int(m.group(2)) if m else None,
        "seconds": float(m.group(3)) if m else None,
        "events_per_s": int(m.group(1).replace(",", "")) if m else None,
        "wall_s_with_startup": round(wall, 2),
        # ru_maxrss is in KiB on Linux: the child's peak resident set, threads included.
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": text.strip().splitlines()[:3],
    }
    log(f"verify {label}: {result['events']} events, {result['events_per_s']} events/s, "
        f"peak RSS {result['peak_rss_mb']} MB, ok={ok}")
    return result
