"""The drills' paths and the few things every module of them uses: where logs and client
records go (``bench/out/drills/``), the virtualenv's ``bin`` directory (for ``flask`` and
``gunicorn``), the exception of a drill that could not run (:class:`DrillError`), the one
raised on SIGTERM/SIGINT (:class:`Terminated`) and the time-stamped progress line
(:func:`say`).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "drills"
VENV_BIN = Path(sys.executable).parent


class DrillError(RuntimeError):
    """A drill could not be run (setup failed): reported like a failed check."""


class Terminated(BaseException):
    """SIGTERM (``timeout`` in ``make drills``) or SIGINT: clean up and report (a
    BaseException, so that no drill's error handling swallows it)."""


def say(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)
