"""What a drill works on (:class:`Target`): a fresh database in the private cluster,
migrated with ``flask db upgrade`` and loaded with ``flask bench seed`` as child
processes (:func:`prepare`), the production-like environment of the processes that use it
(:func:`drill_env`), the seeder's plan (tokens, ids) and a directory for its logs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.drill_support.cluster import PgCluster
from bench.drill_support.common import OUT, ROOT, VENV_BIN, DrillError
from bench.runner.procs import base_env


@dataclass
class Target:
    """A migrated and seeded database, the environment of the processes that use it
    (``REFERRAL_*``), the seeder's plan (tokens, ids) and a directory for logs."""

    name: str
    url: str
    env: dict[str, str]
    plan: dict[str, Any]
    workdir: Path
    cluster: PgCluster | None = None

    @property
    def dialect(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    def engine(self) -> Any:
        from referral.core.db import make_engine

        return make_engine(self.url)

    def app(self, **overrides: Any) -> Any:
        """An in-process app on this database with this environment's settings."""
        from referral import create_app
        from referral.core.config import from_environment

        settings = {**from_environment(self.env), "DATABASE_URL": self.url, **overrides}
        return create_app(settings)

    def flask(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300,
              check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(VENV_BIN / "flask"), "--app", "bench.wsgi", *args]
        proc = subprocess.run(cmd, env=env or self.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, check=False)
        log = self.workdir / f"flask-{'-'.join(args[:2])}.log"
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n{proc.stdout}\n--- stderr ---\n{proc.stderr}\n")
        if check and proc.returncode != 0:
            raise DrillError(f"flask {' '.join(args)} failed ({proc.returncode}): "
                             f"{proc.stderr[-800:]}")
        return proc


def drill_env(database_url: str, secrets: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings with fresh keys (``bench/run.py``'s), or the given ones."""
    env = base_env()
    if secrets is not None:
        env = {k: v for k, v in env.items()
               if k not in {f"REFERRAL_{n}" for n in secrets}}
        env.update({f"REFERRAL_{k}": v for k, v in secrets.items()})
    env["REFERRAL_DATABASE_URL"] = database_url
    return env


def prepare(cluster: PgCluster, name: str, *, cases: int, events: int, offered: int,
            env: dict[str, str] | None = None) -> Target:
    """A fresh database in the private cluster: ``flask db upgrade`` and ``flask bench
    seed`` as child processes."""
    url = cluster.create_database(name)
    env = {**(env or drill_env(url)), "REFERRAL_DATABASE_URL": url}
    workdir = OUT / name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    target = Target(name, url, env, {}, workdir, cluster)
    target.flask("db", "upgrade")
    plan_path = workdir / "plan.json"
    target.flask("bench", "seed", "--cases", str(cases), "--events", str(events),
                 "--offered", str(offered), "--out", str(plan_path))
    target.plan = json.loads(plan_path.read_text())
    finish_seed(target)
    return target


def finish_seed(target: Target) -> None:
    """What the drills add to the seeder's data: the LIVC's id in the plan.  (The first case
    registrations of a year once raced to insert the reference counter and all but one
    answered 409 on PostgreSQL; ``_next_reference`` in ``referral/cases/services.py`` now
    upserts it, and ``tests/ops/test_drills.py`` keeps the race as a regression test.)"""
    from sqlalchemy import select

    from referral.organisations.models import Livc

    engine = target.engine()
    try:
        with engine.begin() as conn:
            livc_id = conn.scalars(select(Livc.id).limit(1)).one()
    finally:
        engine.dispose()
    target.plan["livc_id"] = str(livc_id)


def transition_pool(plan: dict[str, Any]) -> list[str]:
    """Every seeded ``internal_follow_up`` case (suspend/resume moves it back and forth)."""
    return list(plan["profile"]["transition_case_ids"]) + list(plan["transition_case_ids"])
