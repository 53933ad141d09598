"""``make drills``: the reliability drills, against real processes on 127.0.0.1 only.

    python bench/drills.py                    # every drill (4-6 minutes)
    python bench/drills.py --only crash       # one drill (repeat --only for several)
    python bench/drills.py --list

Every drill runs gunicorn (sync workers, like ``bench/run.py``) on a fresh database of a
private, throwaway PostgreSQL cluster (``initdb`` into a temporary directory, ``pg_ctl``
on a free port, removed at the end, also on failure or Ctrl+C): the machine's shared
PostgreSQL is never stopped.  Databases are migrated with ``flask db upgrade`` and loaded
with ``flask bench seed``; the load comes from separate client processes (HTTP with
bearer tokens); the checks are SQL on the database afterwards, and
``flask --app wsgi audit verify`` (exit code 0).

1. ``conflicts``: 1,000 transitions on 50 cases from 4 processes, every request 200 or
   409; history rows = successful transitions; audit gap-free and verifying.
2. ``crash``: ``kill -9`` of a gunicorn worker, repeatedly, under a mixed write load: no
   partial state (every state change has its history row and its audit event, every
   history row its event, no orphan rows), every acknowledged write present.
3. ``db_restart``: the cluster stopped (``-m immediate``, then ``-m fast``) and started
   under load: 503 problem+json while it is down (no 500, no reset), recovery without
   restarting gunicorn, no acknowledged write lost; the recovery time.
4. ``backup_restore``: ``pg_dump`` while the app writes, ``pg_restore`` into a new
   database, the chain verifies there and every encrypted value decrypts.
5. ``instances_jobs``: two gunicorn masters on two ports, one database, load on both,
   and two ``flask jobs run`` started together (twice): every expiry, review reminder
   and purge happens exactly once.
6. ``key_rotation``: ``flask keys rotate`` under load: no failed request, nothing left
   under the old master key, every value decrypts with the new key alone.

Figures go to ``bench/drills.json`` and a summary per drill to standard output; logs to
``bench/out/drills/``.  The exit code is 1 when any check of any drill fails.
``tests/test_drills.py`` runs the same functions, scaled down, in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.run import base_env, children, free_port  # noqa: E402

OUT = ROOT / "bench" / "out" / "drills"
RESULTS = ROOT / "bench" / "drills.json"
VENV_BIN = Path(sys.executable).parent
PROBLEM = "application/problem+json"
HTTP_TIMEOUT = 30.0
DRILLS = ("conflicts", "crash", "db_restart", "backup_restore", "instances_jobs",
          "key_rotation")
SUSPEND_REASON = "drill: temporarily unreachable"


class DrillError(RuntimeError):
    """A drill could not be run (setup failed): reported like a failed check."""


class Terminated(BaseException):
    """SIGTERM (``timeout`` in ``make drills``) or SIGINT: clean up and report (a
    BaseException, so that no drill's error handling swallows it)."""


def say(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# -- a private PostgreSQL cluster ----------------------------------------------------------------


def pg_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl`` (``DRILL_PG_BIN`` or the newest installed)."""
    candidates = [os.environ.get("DRILL_PG_BIN", "")]
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
                         key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit()
                         else 0, reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def private_cluster_unavailable() -> str | None:
    """Why a private cluster cannot be made here (None: it can)."""
    if pg_bindir() is None:
        return "initdb/pg_ctl not found (set DRILL_PG_BIN to PostgreSQL's bin directory)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


class PgCluster:
    """A throwaway cluster: ``initdb`` into a temporary directory, trust authentication,
    listening on 127.0.0.1:<port> and a socket in that directory only.  Run as the
    ``postgres`` user when we are root (initdb refuses root)."""

    def __init__(self, port: int | None = None) -> None:
        why = private_cluster_unavailable()
        if why:
            raise DrillError(why)
        bindir = pg_bindir()
        assert bindir is not None
        self.bin = bindir
        self.as_postgres = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="livc-drill-pg-"))
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = self.dir / "data"
        self.port = port or _preferred_port(55432)
        self.running = False

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_postgres else cmd

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._cmd(*args), cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            raise DrillError(f"{args[0]} {args[1] if len(args) > 1 else ''} failed "
                             f"({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
        return proc

    def init(self) -> PgCluster:
        # --no-sync: only initdb's own files; the server itself runs with fsync on, so a
        # commit is on disk when it is acknowledged (what "no acknowledged write lost" needs).
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync", "--no-instructions")
        with (self.data / "postgresql.conf").open("a") as fh:
            fh.write("\n# livc drills\nshared_buffers = 64MB\nmax_connections = 60\n"
                     "fsync = on\nsynchronous_commit = on\nlog_min_messages = warning\n")
        return self

    def start(self) -> float:
        """Start and wait until it accepts connections; the seconds it took."""
        t0 = time.monotonic()
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "-o", opts, "start")
        self.running = True
        return time.monotonic() - t0

    def stop(self, mode: str = "fast") -> float:
        t0 = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False
        return time.monotonic() - t0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def cleanup(self) -> None:
        if self.data.exists():
            with contextlib.suppress(Exception):
                subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate",
                                         "-w", "-t", "30", "stop"), cwd=self.dir,
                               capture_output=True, timeout=40, check=False)
        self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)


def _preferred_port(port: int) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the postmaster does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


# -- what a drill works on -----------------------------------------------------------------------


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
    """What the drills add to the seeder's data: the LIVC's id in the plan, and this year's
    case reference counter.  Without that row the first case registrations of a year race
    to insert it and all but one answer 409 on PostgreSQL (``_next_reference`` in
    ``referral/cases/services.py``; ``tests/test_drills.py`` reproduces it): a bug of its
    own that would fail the drills' "no failed request" checks for an unrelated reason."""
    from sqlalchemy import insert, select

    from referral.cases.models import ReferenceCounter
    from referral.organisations.models import Livc

    engine = target.engine()
    try:
        with engine.begin() as conn:
            livc_id = conn.scalars(select(Livc.id).limit(1)).one()
            year = datetime.now(UTC).year
            if conn.scalars(select(ReferenceCounter.year).where(
                    ReferenceCounter.livc_id == livc_id, ReferenceCounter.year == year)
                            ).first() is None:
                conn.execute(insert(ReferenceCounter).values(livc_id=livc_id, year=year,
                                                             last_number=0))
    finally:
        engine.dispose()
    target.plan["livc_id"] = str(livc_id)


def transition_pool(plan: dict[str, Any]) -> list[str]:
    """Every seeded ``internal_follow_up`` case (suspend/resume moves it back and forth)."""
    return list(plan["profile"]["transition_case_ids"]) + list(plan["transition_case_ids"])


# -- gunicorn ------------------------------------------------------------------------------------


class Gunicorn:
    """``gunicorn --worker-class sync`` on 127.0.0.1, as in ``bench/run.py``."""

    def __init__(self, env: dict[str, str], workers: int, log_path: Path,
                 preload: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers_wanted = workers
        self.log = log_path.open("a")
        cmd = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout",
               "10", "--log-level", "warning", *(["--preload"] if preload else []),
               "bench.wsgi:app"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DrillError(f"gunicorn exited ({self.proc.returncode}); see "
                                 f"{self.log.name}")
            if len(self.booted_workers()) >= self.workers_wanted and \
                    http_get(self.url + "/readyz")[0] == 200:
                return
            time.sleep(0.2)
        raise DrillError(f"gunicorn not ready in {timeout:.0f} s; see {self.log.name}")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def booted_workers(self) -> list[int]:
        """Workers that have imported the app (RSS above what a bare fork holds)."""
        return [p for p in self.workers() if (rss_mb(p) or 0) >= BOOTED_RSS_MB]

    def stop(self) -> None:
        if self.proc.poll() is None:
            # Quick shutdown (SIGINT): the load is over; a graceful one waits ~2 s for idle
            # sync workers to notice.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


BOOTED_RSS_MB = 60.0  # a forked worker before importing the app: ~25 MB; after: ~90 MB


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return int(r.status), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.headers.get("Content-Type", "")
    except OSError:
        return 0, ""


@contextlib.contextmanager
def servers(target: Target, count: int = 1, workers: int = 2, preload: bool = False,
            env: dict[str, str] | None = None) -> Iterator[list[Gunicorn]]:
    started: list[Gunicorn] = []
    try:
        for i in range(count):
            started.append(Gunicorn(env or target.env, workers,
                                    target.workdir / f"gunicorn-{i + 1}.log", preload))
        yield started
    finally:
        for s in started:
            s.stop()


# -- the clients ---------------------------------------------------------------------------------


def _http(url: str, method: str, path: str, token: str, body: Any = None
          ) -> tuple[int, str, bytes, str]:
    host_port = url.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    if host not in {"127.0.0.1", "localhost"}:
        raise SystemExit("the drills talk to the loopback interface only")
    conn = http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", "") or "", resp.read(), ""
    except (OSError, http.client.HTTPException) as exc:
        return 0, "", b"", f"{type(exc).__name__}: {exc}"[:200]
    finally:
        conn.close()


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"_list": value}


OP_USER = {"transition": "owner", "note_create": "owner", "case_create": "owner",
           "case_read": "owner", "notes_read": "owner", "accept": "partner"}


def client_main(spec: dict[str, Any], out: str, stop: Any) -> None:
    """One client process: closed loop (send, wait for the answer, send the next) until
    ``count`` requests, ``stop`` or ``max_s``.  Every exchange is recorded with its
    start and end (``time.monotonic``, the same clock in every process on Linux)."""
    # Not the drill script's handlers (inherited by the fork): the script stops us itself.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(spec["seed"])
    names = [op for op, _w in spec["ops"]]
    weights = [w for _op, w in spec["ops"]]
    tokens = spec["tokens"]
    urls = spec["urls"]
    known: dict[str, tuple[str, int]] = {}
    stale: set[str] = set()
    referrals = list(spec.get("referrals", []))
    records: list[dict[str, Any]] = []
    count = spec.get("count")
    deadline = time.monotonic() + spec.get("max_s", 600)
    serial = 0
    sent = 0

    def send(op: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any],
                                                                          dict[str, Any]]:
        url = rng.choice(urls)
        t0 = time.monotonic()
        status, ctype, data, err = _http(url, method, path, tokens[OP_USER.get(op, "owner")],
                                         body)
        rec: dict[str, Any] = {"op": op, "t0": t0, "t1": time.monotonic(), "status": status,
                               "problem": ctype.startswith(PROBLEM), "url": url}
        if err:
            rec["error"] = err
        elif status >= 500:
            rec["body"] = data[:300].decode("utf-8", "replace")
        records.append(rec)
        return status, _json(data), rec

    while True:
        if count is not None and sent >= count:
            break
        if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
            break
        op = rng.choices(names, weights)[0]
        if op == "transition":
            cid = rng.choice(spec["transition_cases"])
            if cid in stale:
                status, data, _rec = send("refresh", "GET", f"/api/v1/cases/{cid}")
                if status == 200:
                    known[cid] = (data["state"], data["version"])
                    stale.discard(cid)
                continue
            state, version = known.get(cid, ("internal_follow_up", 1))
            body: dict[str, Any] = ({"trigger": "resume", "version": version}
                                    if state == "suspended" else
                                    {"trigger": "suspend", "version": version,
                                     "reason": SUSPEND_REASON})
            status, data, rec = send(op, "POST", f"/api/v1/cases/{cid}/transitions", body)
            rec.update(case=cid, trigger=body["trigger"], sent_version=version)
            if status == 200:
                known[cid] = (data["state"], data["version"])
                rec["version"] = data["version"]
            elif status == 409 and isinstance(data.get("current_version"), int):
                known[cid] = (data["state"], data["current_version"])
            else:
                stale.add(cid)
        elif op == "note_create":
            cid = rng.choice(spec["note_cases"])
            status, data, rec = send(op, "POST", f"/api/v1/cases/{cid}/notes",
                                     {"body": f"Drill note {spec['seed']}-{serial}.",
                                      "compartment": "internal"})
            if status == 201:
                rec["id"] = data["id"]
        elif op == "case_create":
            status, data, rec = send(op, "POST", "/api/v1/cases", {
                "livc_id": spec["livc_id"], "consent": "given",
                "identity": {"family_name": f"Drill{spec['seed']}x{serial}",
                             "given_names": "Test", "birth_date": "1990-01-01"}})
            if status == 201:
                rec["id"] = data["id"]
        elif op == "case_read":
            send(op, "GET", f"/api/v1/cases/{rng.choice(spec['note_cases'])}")
        elif op == "notes_read":
            status, data, rec = send(op, "GET",
                                     f"/api/v1/cases/{rng.choice(spec['note_cases'])}/notes")
            if status == 200:
                notes = data.get("_list", [])
                rec["bodies"] = len(notes)
                rec["unreadable"] = sum(1 for n in notes if not n.get("body"))
        elif op == "accept":
            if not referrals:
                send("case_read", "GET", f"/api/v1/cases/{rng.choice(spec['note_cases'])}")
            else:
                rid = referrals.pop()
                status, data, rec = send(op, "POST", f"/api/v1/referrals/{rid}/transitions",
                                         {"trigger": "accept", "version": 1})
                rec["referral"] = rid
        serial += 1
        sent += 1
        if spec.get("pause_s"):
            time.sleep(spec["pause_s"])
    Path(out).write_text(json.dumps(records))


class Load:
    """Client processes (``multiprocessing``, fork), each running :func:`client_main`."""

    def __init__(self, target: Target, urls: list[str], ops: list[tuple[str, float]],
                 clients: int, *, count_per_client: int | None = None, max_s: float = 300,
                 transition_cases: list[str] | None = None, partition: bool = True,
                 referrals: list[str] | None = None, seed: int = 1,
                 pause_s: float = 0.0) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self.stop_event = self.ctx.Event()
        self.files = [target.workdir / f"client-{seed}-{c}.json" for c in range(clients)]
        plan = target.plan
        pool = transition_cases if transition_cases is not None else transition_pool(plan)
        self.procs = []
        for c in range(clients):
            spec = {
                "seed": seed * 100 + c, "ops": ops, "urls": urls, "max_s": max_s,
                "count": count_per_client, "pause_s": pause_s,
                "tokens": {who: plan["users"][who]["token"] for who in ("owner", "partner")},
                "transition_cases": pool[c::clients] if partition else pool,
                "note_cases": plan["case_ids"], "livc_id": plan.get("livc_id"),
                "referrals": (referrals or [])[c::clients],
            }
            self.procs.append(self.ctx.Process(target=client_main,
                                               args=(spec, str(self.files[c]), self.stop_event),
                                               daemon=True))
        self.t_start = 0.0

    def start(self) -> Load:
        for f in self.files:
            f.unlink(missing_ok=True)
        self.t_start = time.monotonic()
        for p in self.procs:
            p.start()
        return self

    def finish(self, stop: bool = True, timeout: float = 600) -> list[dict[str, Any]]:
        if stop:
            self.stop_event.set()
        deadline = time.monotonic() + timeout
        for p in self.procs:
            p.join(timeout=max(1.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
        records: list[dict[str, Any]] = []
        for f in self.files:
            if not f.exists():
                raise DrillError(f"a client process ended without its results ({f.name})")
            records.extend(json.loads(f.read_text()))
        records.sort(key=lambda r: r["t0"])
        return records


def tally(records: list[dict[str, Any]], ops: tuple[str, ...] | None = None
          ) -> dict[str, Any]:
    """Answers by class: 2xx, 409, 503, other 5xx, resets (no answer), other."""
    rows = [r for r in records if ops is None or r["op"] in ops]
    by_status = Counter(r["status"] for r in rows)
    out = {
        "requests": len(rows),
        "2xx": sum(n for s, n in by_status.items() if 200 <= s < 300),
        "409": by_status.get(409, 0),
        "503": by_status.get(503, 0),
        "5xx_other": sum(n for s, n in by_status.items() if s >= 500 and s != 503),
        "reset": by_status.get(0, 0),
    }
    out["other"] = out["requests"] - sum(out[k] for k in ("2xx", "409", "503", "5xx_other",
                                                          "reset"))
    out["by_status"] = {str(k): v for k, v in sorted(by_status.items())}
    out["by_op"] = {op: dict(sorted(Counter(str(r["status"]) for r in rows
                                            if r["op"] == op).items()))
                    for op in sorted({r["op"] for r in rows})}
    if rows:
        span = max(r["t1"] for r in rows) - min(r["t0"] for r in rows)
        out["seconds"] = round(span, 2)
        out["req_per_s"] = round(len(rows) / span, 1) if span > 0 else None
    return out


# -- checks: the database after the drill --------------------------------------------------------


@dataclass
class Checks:
    """Named assertions and figures; a drill passes when every check holds."""

    results: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        self.results[name] = bool(ok)
        if not ok:
            self.failures.append(f"{name}: {detail}" if detail != "" else name)
        return bool(ok)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Snapshot:
    head_seq: int
    history_ids: set[str]
    note_ids: set[str]
    case_ids: set[str]


def snapshot(target: Target) -> Snapshot:
    from sqlalchemy import text

    engine = target.engine()
    try:
        with engine.connect() as conn:
            head = conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
            hist = {_uuid(r[0]) for r in conn.execute(text("SELECT id FROM transition_history"))}
            notes = {_uuid(r[0]) for r in conn.execute(text("SELECT id FROM notes"))}
            cases = {_uuid(r[0]) for r in conn.execute(text("SELECT id FROM cases"))}
    finally:
        engine.dispose()
    return Snapshot(int(head), hist, notes, cases)


def _uuid(value: Any) -> str:
    """A UUID as text whatever the driver returns (SQLite stores 32 hex digits)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def consistency(target: Target, before: Snapshot, checks: Checks,
                records: list[dict[str, Any]] | None = None, exact_transitions: bool = False
                ) -> dict[str, Any]:
    """No partial state, checked in SQL.

    - Every case and referral: its history is one chain (``create`` into the pathway's
      initial state, each row leaving the state the previous one entered) and the last
      ``to_state`` is the row's state.
    - Every history row written during the drill has its audit event (``case:create``,
      ``<type>:transition`` with ``trigger: from -> to``) and every such event its row; the
      same for notes (``note:create``).
    - The transition-pool cases: version = 1 + their transitions (no lost update).
    - No orphans: data keys and subjects without a case, history rows without their row,
      audit events beyond the head; the log is gap-free (1..head).
    - Every write acknowledged with 2xx to a client is in the database.
    """
    from sqlalchemy import text

    import workflows

    figures: dict[str, Any] = {}
    engine = target.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT object_type, object_id, trigger, from_state, to_state, at, id "
                "FROM transition_history WHERE object_type IN ('case', 'referral')")).all()
            objects: dict[tuple[str, str], tuple[str, str, int, int]] = {}
            for kind, table in (("case", "cases"), ("referral", "referrals")):
                for oid, state, pathway, pversion, version in conn.execute(text(
                        f"SELECT id, state, pathway, pathway_version, version FROM {table}")):  # noqa: S608 - fixed names
                    objects[(kind, _uuid(oid))] = (state, pathway, pversion, version)
            head = int(conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one())
            n_events, lo, hi = conn.execute(text(
                "SELECT count(*), min(seq), max(seq) FROM audit_events")).one()
            events = conn.execute(text(
                "SELECT action, object_id, purpose FROM audit_events WHERE seq > :s AND "
                "outcome = 'allowed' AND action IN ('case:transition', 'referral:transition', "
                "'case:create', 'note:create')"), {"s": before.head_seq}).all()
            note_ids = {_uuid(r[0]) for r in conn.execute(text("SELECT id FROM notes"))}
            orphan_keys = conn.execute(text(
                "SELECT count(*) FROM data_keys k WHERE NOT EXISTS (SELECT 1 FROM cases c "
                "WHERE c.data_key_id = k.id) AND NOT EXISTS (SELECT 1 FROM users u WHERE "
                "u.totp_data_key_id = k.id) AND NOT EXISTS (SELECT 1 FROM meetings m WHERE "
                "m.data_key_id = k.id)")).scalar_one()
            orphan_subjects = conn.execute(text(
                "SELECT count(*) FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM cases c "
                "WHERE c.subject_id = s.id)")).scalar_one()
    finally:
        engine.dispose()

    # 1. one history chain per case and referral, ending in the row's state
    by_object: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        by_object.setdefault((r[0], _uuid(r[1])), []).append(r)
    broken: list[str] = []
    for key, (state, pathway, pversion, _v) in objects.items():
        hist = sorted(by_object.get(key, []), key=lambda r: (r[5], r[3] is not None))
        initial = workflows.get(pathway, pversion).initial
        if not hist:
            broken.append(f"{key[0]} {key[1]}: no history")
            continue
        if hist[0][3] is not None or hist[0][4] != initial:
            broken.append(f"{key[0]} {key[1]}: history does not start with the creation")
        for a, b in itertools.pairwise(hist):
            if b[3] != a[4]:
                broken.append(f"{key[0]} {key[1]}: {b[2]} leaves {b[3]}, but {a[2]} "
                              f"entered {a[4]}")
                break
        if hist[-1][4] != state:
            broken.append(f"{key[0]} {key[1]}: state {state}, last history row -> "
                          f"{hist[-1][4]}")
    orphan_history = [k for k in by_object if k not in objects]
    figures["objects_checked"] = len(objects)
    figures["history_rows"] = len(rows)
    checks.check("history chain ends in every row's state", not broken, broken[:5])
    checks.check("no history row without its case/referral", not orphan_history,
                 orphan_history[:5])

    # 2. every new history row has its audit event, and every such event its row
    new_rows = [r for r in rows if _uuid(r[6]) not in before.history_ids]
    expected: Counter[tuple[str, str, str | None]] = Counter()
    for kind, oid, trigger, src, dst, _at, _id in new_rows:
        if trigger == "create":
            expected[(f"{kind}:create", _uuid(oid), None)] += 1
        else:
            expected[(f"{kind}:transition", _uuid(oid), f"{trigger}: {src} -> {dst}")] += 1
    seen: Counter[tuple[str, str, str | None]] = Counter()
    note_events: Counter[str] = Counter()
    for action, oid, purpose in events:
        if action == "note:create":
            note_events[_uuid(oid)] += 1
        elif action == "case:create":
            seen[(action, _uuid(oid), None)] += 1
        else:
            seen[(action, _uuid(oid), purpose)] += 1
    missing_events = expected - seen
    orphan_events = seen - expected
    figures["new_history_rows"] = len(new_rows)
    figures["new_transition_rows"] = sum(1 for r in new_rows if r[2] != "create")
    figures["transition_events"] = sum(n for k, n in seen.items() if k[0].endswith("transition"))
    checks.check("every new history row has its audit event", not missing_events,
                 list(missing_events.items())[:5])
    checks.check("every transition/create event has its history row", not orphan_events,
                 list(orphan_events.items())[:5])
    new_notes = note_ids - before.note_ids
    figures["new_notes"] = len(new_notes)
    checks.check("every new note has its note:create event, every event its note",
                 Counter(dict.fromkeys(new_notes, 1)) == note_events,
                 f"{len(new_notes)} notes, {sum(note_events.values())} events")

    # 3. pool cases: version = 1 + transitions (no lost update, no extra bump)
    per_case = Counter(_uuid(r[1]) for r in new_rows if r[0] == "case" and r[2] != "create")
    bad_versions = [cid for cid in transition_pool(target.plan)
                    if objects[("case", cid)][3] != 1 + per_case.get(cid, 0)]
    checks.check("pool cases: version = 1 + transitions", not bad_versions, bad_versions[:5])

    # 4. orphans and a gap-free log
    figures["audit_events"] = int(n_events)
    figures["audit_head"] = head
    checks.check("audit log gap-free (1..head)",
                 n_events == head and (head == 0 or (lo == 1 and hi == head)),
                 f"{n_events} events, seq {lo}..{hi}, head {head}")
    checks.check("no data key or subject without its case",
                 orphan_keys == 0 and orphan_subjects == 0,
                 f"{orphan_keys} keys, {orphan_subjects} subjects")

    # 5. acknowledged writes
    if records is not None:
        acked_notes = {r["id"] for r in records if r["op"] == "note_create"
                       and r["status"] == 201}
        acked_cases = {r["id"] for r in records if r["op"] == "case_create"
                       and r["status"] == 201}
        acked_transitions = Counter(r["case"] for r in records if r["op"] == "transition"
                                    and r["status"] == 200)
        lost_notes = acked_notes - note_ids
        lost_cases = {c for c in acked_cases if ("case", c) not in objects}
        lost_transitions = {c: n for c, n in acked_transitions.items()
                            if per_case.get(c, 0) < n}
        checks.check("every acknowledged write is in the database",
                     not (lost_notes or lost_cases or lost_transitions),
                     f"notes {sorted(lost_notes)[:3]}, cases {sorted(lost_cases)[:3]}, "
                     f"transitions {list(lost_transitions.items())[:3]}")
        figures["acknowledged_writes"] = (len(acked_notes) + len(acked_cases)
                                          + sum(acked_transitions.values()))
        # Requests that got no answer (or a 503) may still have committed: in doubt.
        figures["unacknowledged_but_committed"] = (
            len(new_notes - acked_notes)
            + len({c for k, c in objects if k == "case"} - before.case_ids - acked_cases)
            + sum(per_case.values()) - sum(acked_transitions.values()))
        if exact_transitions:
            checks.check("history rows = successful transitions",
                         sum(per_case.values()) == sum(acked_transitions.values())
                         and dict(per_case) == dict(acked_transitions),
                         f"{sum(per_case.values())} rows, "
                         f"{sum(acked_transitions.values())} 200s")
    return figures


def verify_audit(target: Target, checks: Checks, cli: bool = True,
                 env: dict[str, str] | None = None) -> dict[str, Any]:
    """``flask --app wsgi audit verify`` (exit code 0), or the same function in process."""
    if cli:
        t0 = time.monotonic()
        proc = target.flask("audit", "verify", env=env, check=False)
        out = proc.stdout.strip().splitlines()
        checks.check("flask audit verify exits 0", proc.returncode == 0,
                     f"exit {proc.returncode}: {out[:1]} {proc.stderr[-300:]}")
        return {"exit_code": proc.returncode, "output": out[0] if out else "",
                "seconds": round(time.monotonic() - t0, 2)}
    from referral.audit.checkpoints import known_public_keys
    from referral.audit.verify import verify_chain

    app = target.app()
    s = app.extensions["referral.db"].sessionmaker()
    try:
        result = verify_chain(s, public_keys=known_public_keys(app.config))
    finally:
        s.close()
        app.extensions["referral.db"].dispose()
    checks.check("audit chain verifies", result.ok, result)
    return {"ok": result.ok, "checked": result.checked, "head_seq": result.head_seq}


def decrypt_all(url: str, master_keys: str, active: str | None) -> dict[str, Any]:
    """Open every encrypted value with the given master keys: identities, notes, decisions,
    feedback sheets, minutes and TOTP secrets, each with its row's data key."""
    from sqlalchemy import text

    from referral.core.db import make_engine
    from referral.identity.vault import KeyRing, decrypt_field

    ring = KeyRing.parse(master_keys, active)
    sources = (
        ("subjects", "identity", "SELECT s.id, s.identity_ciphertext, c.data_key_id FROM "
         "subjects s JOIN cases c ON c.subject_id = s.id WHERE s.identity_ciphertext IS NOT "
         "NULL"),
        ("notes", "body", "SELECT n.id, n.body_ciphertext, c.data_key_id FROM notes n JOIN "
         "cases c ON c.id = n.case_id WHERE n.body_ciphertext IS NOT NULL"),
        ("decisions", "text", "SELECT d.id, d.text_ciphertext, c.data_key_id FROM decisions d "
         "JOIN cases c ON c.id = d.case_id WHERE d.text_ciphertext IS NOT NULL"),
        ("feedback_sheets", "text", "SELECT f.id, f.text_ciphertext, c.data_key_id FROM "
         "feedback_sheets f JOIN cases c ON c.id = f.case_id WHERE f.text_ciphertext IS NOT "
         "NULL"),
        ("meetings", "minutes", "SELECT id, minutes_ciphertext, data_key_id FROM meetings "
         "WHERE minutes_ciphertext IS NOT NULL"),
        ("users", "totp_secret_encrypted", "SELECT id, totp_secret_encrypted, "
         "totp_data_key_id FROM users WHERE totp_secret_encrypted IS NOT NULL"),
        ("users", "totp_pending_encrypted", "SELECT id, totp_pending_encrypted, "
         "totp_data_key_id FROM users WHERE totp_pending_encrypted IS NOT NULL"),
    )
    engine = make_engine(url)
    opened: dict[str, int] = {}
    failed: list[str] = []
    try:
        with engine.connect() as conn:
            keys = {_uuid(k): (bytes(w), m) for k, w, m in conn.execute(text(
                "SELECT id, wrapped_key, master_key_id FROM data_keys "
                "WHERE wrapped_key IS NOT NULL"))}
            by_master = Counter(m for _w, m in keys.values())
            plain: dict[str, bytes] = {}
            for table, column, sql in sources:
                n = 0
                for row_id, blob, key_id in conn.execute(text(sql)):
                    kid = _uuid(key_id)
                    try:
                        if kid not in plain:
                            wrapped, master = keys[kid]
                            plain[kid] = ring.unwrap(wrapped, master)
                        decrypt_field(plain[kid], bytes(blob), table=table, column=column,
                                      row_id=uuid.UUID(_uuid(row_id)))
                        n += 1
                    except Exception as exc:  # every failure is a finding, not a crash
                        if len(failed) < 5:
                            failed.append(f"{table}.{column} {row_id}: {type(exc).__name__}")
                        else:
                            failed.append("")
                opened[f"{table}.{column}"] = n
    finally:
        engine.dispose()
    return {"opened": opened, "opened_total": sum(opened.values()), "failed": len(failed),
            "failures": [f for f in failed if f][:5], "data_keys_by_master": dict(by_master)}


def _wall(value: Any) -> float:
    """A database timestamp as a Unix time (SQLite hands back naive UTC text)."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- the drills ----------------------------------------------------------------------------------


def drill_conflicts(target: Target, *, transitions: int = 1000, clients: int = 4,
                    workers: int = 4, cases: int = 50, cli_verify: bool = True,
                    preload: bool = False) -> dict[str, Any]:
    """``transitions`` attempts from ``clients`` processes, all on the same ``cases``
    cases, each client sending the version it last saw: stale versions and races on the
    row lock answer 409; nothing else is allowed."""
    checks = Checks()
    pool = transition_pool(target.plan)[:cases]
    if len(pool) < cases:
        raise DrillError(f"the seed has {len(pool)} transition cases, {cases} wanted")
    before = snapshot(target)
    with servers(target, 1, workers, preload) as (server,):
        per_client = transitions // clients
        t0 = time.monotonic()
        records = Load(target, [server.url], [("transition", 1)], clients,
                       count_per_client=per_client, transition_cases=pool,
                       partition=False, seed=11).start().finish(stop=False)
        wall = time.monotonic() - t0
    moves = [r for r in records if r["op"] == "transition"]
    t = tally(moves)
    checks.check(f"{transitions} transitions sent", len(moves) == per_client * clients,
                 len(moves))
    checks.check("every transition answered 200 or 409", t["2xx"] + t["409"] == len(moves),
                 t["by_status"])
    figures = consistency(target, before, checks, records, exact_transitions=True)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "refresh_reads": len(records) - len(moves),
            "cases": cases, "clients": clients, "workers": workers,
            "successful_transitions": t["2xx"], "history_rows_added": figures[
                "new_transition_rows"], "transition_events_added": figures["transition_events"],
            "wall_s": round(wall, 2), "database": figures, "verify": verify,
            "checks": checks}


def _age_s(pid: int) -> float:
    try:
        start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return uptime - start / os.sysconf("SC_CLK_TCK")


def drill_crash(target: Target, *, kills: int = 40, clients: int = 4, workers: int = 2,
                max_s: float = 90, settle_s: float = 0.2, cli_verify: bool = True,
                preload: bool = True, seed: int = 7) -> dict[str, Any]:
    """``kill -9`` of a worker, ``kills`` times, each some random moment into a mixed
    write load (transitions, notes, new cases with their data keys and subjects): whatever
    a killed worker was doing is committed whole or not at all.

    gunicorn runs with ``--preload`` here: a replacement worker is a fork of the loaded
    master and serves within milliseconds, so nearly every kill lands in a request
    (without it each replacement spends ~3 s of CPU importing the app and most kills
    would hit a worker still booting)."""
    checks = Checks()
    rng = random.Random(seed)
    before = snapshot(target)
    ops = [("transition", 4), ("note_create", 3), ("case_create", 1), ("case_read", 2)]
    killed: list[dict[str, Any]] = []
    with servers(target, 1, workers, preload) as (server,):
        master = server.proc.pid
        load = Load(target, [server.url], ops, clients, max_s=max_s + 30, seed=seed).start()
        deadline = time.monotonic() + max_s
        time.sleep(1.0)
        while len(killed) < kills and time.monotonic() < deadline:
            booted = [p for p in server.booted_workers() if _age_s(p) > settle_s]
            if len(booted) < workers:
                time.sleep(0.1)
                continue
            time.sleep(rng.uniform(0.1, 0.6))  # a random moment into whatever it serves
            pid = rng.choice(booted)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append({"t": time.monotonic() - load.t_start, "pid": pid})
        time.sleep(1.0)  # the last kill's replacement serves a little
        records = load.finish()
        checks.check("gunicorn master survived", server.proc.poll() is None and
                     server.proc.pid == master)
        try:
            server.wait_ready(60)
            respawned = True
        except DrillError:
            respawned = False
        checks.check("every killed worker was replaced", respawned)
    t = tally(records)
    checks.check(f"{kills} workers killed", len(killed) == kills, len(killed))
    checks.check("no 5xx (a killed request is a reset, never a 500)",
                 t["5xx_other"] == 0 and t["503"] == 0, t["by_status"])
    checks.check("every answer is 2xx or 409 (or no answer from a killed worker)",
                 t["other"] == 0, t["by_status"])
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "kills": len(killed), "killed_at_s": [round(k["t"], 2)
                                                                 for k in killed],
            "resets_seen_by_clients": t["reset"], "database": figures, "verify": verify,
            "checks": checks}


def drill_db_restart(target: Target, *, cycles: tuple[tuple[str, float], ...] = (
        ("immediate", 5.0), ("fast", 5.0)), clients: int = 4, workers: int = 2,
        lead_s: float = 4.0, after_s: float = 4.0, cli_verify: bool = True,
        preload: bool = False) -> dict[str, Any]:
    """The private cluster is stopped under load (``pg_ctl stop -m immediate``: a crash;
    ``-m fast``: an orderly restart), kept down, and started again; gunicorn is left
    alone.  While it is down every request must answer 503 problem+json; afterwards the
    same workers must serve again (``pool_pre_ping``), and nothing acknowledged is lost."""
    cluster = target.cluster
    if cluster is None:
        raise DrillError("db_restart needs the private cluster")
    checks = Checks()
    before = snapshot(target)
    ops = [("transition", 3), ("note_create", 3), ("case_read", 2), ("case_create", 1)]
    outages: list[dict[str, Any]] = []
    probes: list[tuple[float, int, str]] = []
    with servers(target, 1, workers, preload) as (server,):
        pids_before = sorted(server.workers())
        load = Load(target, [server.url], ops, clients, max_s=600, seed=23).start()
        stop_probe = threading.Event()

        def probe() -> None:  # /readyz every 50 ms, from this process
            while not stop_probe.is_set():
                t = time.monotonic()
                status, ctype = http_get(server.url + "/readyz", timeout=10)
                probes.append((t, status, ctype))
                time.sleep(0.05)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        time.sleep(lead_s)
        for mode, down_s in cycles:
            o: dict[str, Any] = {"mode": mode, "t_stop": time.monotonic()}
            o["stop_s"] = round(cluster.stop(mode), 3)
            o["t_down"] = time.monotonic()
            time.sleep(down_s)
            o["t_start"] = time.monotonic()
            o["start_s"] = round(cluster.start(), 3)
            o["t_up"] = time.monotonic()
            outages.append(o)
            time.sleep(after_s)
        records = load.finish()
        stop_probe.set()
        prober.join(timeout=15)
        pids_after = sorted(server.workers())
        checks.check("the same gunicorn workers serve after the restarts (no restart, no "
                     "crash)", pids_before == pids_after and server.proc.poll() is None,
                     f"{pids_before} -> {pids_after}")
    t = tally(records)
    checks.check("no 500 and no other 5xx", t["5xx_other"] == 0, t["by_status"])
    checks.check("no connection reset or timeout", t["reset"] == 0,
                 [r.get("error") for r in records if r["status"] == 0][:3])
    checks.check("every answer is 2xx, 409 or 503", t["other"] == 0, t["by_status"])
    checks.check("every 503 is problem+json",
                 all(r["problem"] for r in records if r["status"] == 503))
    cycles_out = []
    for o in outages:
        down = [r for r in records if r["t0"] >= o["t_down"] and r["t1"] <= o["t_start"]]
        around = [r for r in records if r["t1"] >= o["t_stop"] and r["t0"] <= o["t_up"]]
        first_ok = min((r["t1"] for r in records if r["t0"] >= o["t_up"]
                        and 200 <= r["status"] < 300), default=None)
        first_ok_any = min((r["t1"] for r in records if r["t1"] >= o["t_start"]
                            and 200 <= r["status"] < 300), default=None)
        ready = min((p[0] for p in probes if p[0] >= o["t_up"] and p[1] == 200), default=None)
        probes_down = [p for p in probes if o["t_down"] <= p[0] <= o["t_start"]]
        c = {
            "mode": o["mode"], "stop_s": o["stop_s"], "down_s": round(
                o["t_start"] - o["t_down"], 2), "start_s": o["start_s"],
            "requests_while_down": len(down),
            "answers_while_down": dict(Counter(str(r["status"]) for r in down)),
            "answers_around_outage": dict(Counter(str(r["status"]) for r in around)),
            "max_latency_while_down_ms": _ms(max((r["t1"] - r["t0"] for r in down),
                                                 default=None)),
            "recovery_s_first_2xx_after_up": round(first_ok - o["t_up"], 3)
            if first_ok else None,
            "recovery_s_first_2xx_after_start": round(first_ok_any - o["t_start"], 3)
            if first_ok_any else None,
            "readyz_recovery_s": round(ready - o["t_up"], 3) if ready else None,
            "readyz_while_down": dict(Counter(str(p[1]) for p in probes_down)),
        }
        cycles_out.append(c)
        checks.check(f"{o['mode']}: requests while down", len(down) > 0, 0)
        checks.check(f"{o['mode']}: every request while down answered 503 problem+json",
                     all(r["status"] == 503 and r["problem"] for r in down),
                     c["answers_while_down"])
        checks.check(f"{o['mode']}: /readyz 503 while down",
                     bool(probes_down) and all(p[1] == 503 for p in probes_down),
                     c["readyz_while_down"])
        checks.check(f"{o['mode']}: serves again after the start", first_ok is not None)
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    return {"answers": t, "cycles": cycles_out, "database": figures, "verify": verify,
            "checks": checks}


def drill_backup_restore(target: Target, *, load_s: float = 6.0, clients: int = 4,
                         workers: int = 2, cli_verify: bool = True,
                         preload: bool = False) -> dict[str, Any]:
    """``pg_dump --format=custom`` while the app writes, ``pg_restore`` into a new
    database, then on the copy: ``flask audit verify`` and every encrypted value
    decrypted with the production keys (docs/OPERATIONS.md, "Backup and restore")."""
    if target.dialect != "postgresql" or target.cluster is None:
        raise DrillError("backup_restore needs PostgreSQL (the private cluster)")
    checks = Checks()
    cluster = target.cluster
    dump = target.workdir / "livc.dump"
    target.flask("audit", "checkpoint")
    ops = [("transition", 2), ("note_create", 3), ("case_create", 1), ("notes_read", 1)]
    with servers(target, 1, workers, preload) as (server,):
        load = Load(target, [server.url], ops, clients, max_s=load_s + 120, seed=31).start()
        time.sleep(load_s / 2)
        t0 = time.monotonic()
        proc = subprocess.run([str(cluster.bin / "pg_dump"),
                               "--format=custom", "--no-owner", "--file",
                               str(dump), target.url], capture_output=True, text=True,
                              check=False, timeout=300)
        dump_s = time.monotonic() - t0
        time.sleep(load_s / 2)
        records = load.finish()
    t = tally(records)
    checks.check("pg_dump under load exits 0", proc.returncode == 0, proc.stderr[-300:])
    checks.check("the load ran without errors", t["2xx"] + t["409"] == t["requests"],
                 t["by_status"])
    restored = f"{target.name}_restored"
    url = cluster.create_database(restored)
    t0 = time.monotonic()
    rproc = subprocess.run([str(cluster.bin / "pg_restore"),
                            "--no-owner", "--exit-on-error", "--dbname", url,
                            str(dump)], capture_output=True, text=True, check=False,
                           timeout=600)
    restore_s = time.monotonic() - t0
    checks.check("pg_restore exits 0", rproc.returncode == 0, rproc.stderr[-300:])
    copy = Target(restored, url, {**target.env, "REFERRAL_DATABASE_URL": url}, target.plan,
                  target.workdir, cluster)
    verify = verify_audit(copy, checks, cli_verify)
    env = target.env
    decrypted = decrypt_all(url, env["REFERRAL_MASTER_KEYS"],
                            env.get("REFERRAL_ACTIVE_MASTER_KEY"))
    checks.check("every encrypted value of the copy decrypts",
                 decrypted["failed"] == 0 and decrypted["opened_total"] > 0,
                 decrypted["failures"])
    from sqlalchemy import text

    counts: dict[str, Any] = {}
    for label, u in (("source", target.url), ("copy", url)):
        engine = Target(label, u, env, {}, target.workdir).engine()
        try:
            with engine.connect() as conn:
                counts[label] = {tbl: int(conn.execute(text(
                    f"SELECT count(*) FROM {tbl}")).scalar_one())  # noqa: S608 - fixed names
                    for tbl in ("cases", "notes", "transition_history", "audit_events",
                                "data_keys")}
        finally:
            engine.dispose()
    checks.check("the copy holds the data of the dump's moment (no more than the source)",
                 all(counts["copy"][k] <= counts["source"][k] for k in counts["copy"])
                 and counts["copy"]["audit_events"] > 0, counts)
    # The restored database serves: one audited read through the app on the copy.
    with servers(copy, 1, 1, preload) as (srv,):
        cid = target.plan["case_ids"][0]
        status, _ctype, _data, _err = _http(srv.url, "GET", f"/api/v1/cases/{cid}/notes",
                                            target.plan["users"]["owner"]["token"])
    checks.check("the app serves the copy (notes decrypt through the API)", status == 200,
                 status)
    verify_after = verify_audit(copy, Checks(), cli=False)
    checks.check("the chain goes on verifying on the copy after new appends",
                 verify_after["ok"] and verify_after["checked"] > verify.get(
                     "checked", 0), verify_after)
    cluster.execute(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
    return {"answers": t, "dump_s": round(dump_s, 2), "dump_mb": round(
        dump.stat().st_size / 2**20, 2) if dump.exists() else None,
        "restore_s": round(restore_s, 2), "counts": counts, "verify": verify,
        "decrypted": decrypted, "checks": checks}


def _arrange_jobs(target: Target, *, expire: int, purge: int) -> dict[str, Any]:
    """Make work for the jobs: ``expire`` offered referrals past their deadline,
    ``purge`` closed cases past retention (review reminders fall due by themselves: the
    seeded guidance/aftercare cases have reviews due within the past year)."""
    from sqlalchemy import select, update

    from referral.cases.models import Case
    from referral.cases.referrals.models import Referral

    now = datetime.now(UTC)
    engine = target.engine()
    try:
        with engine.begin() as conn:
            to_expire = list(conn.scalars(select(Referral.id).where(
                Referral._state == "offered").order_by(Referral.id).limit(expire)))
            to_purge = list(conn.scalars(select(Case.id).where(
                Case._state == "closed").order_by(Case.id).limit(purge)))
            conn.execute(update(Referral).where(Referral.id.in_(to_expire))
                         .values(expires_at=now - timedelta(days=30)))
            conn.execute(update(Case).where(Case.id.in_(to_purge))
                         .values(retention_until=(now - timedelta(days=30)).date()))
            due = list(conn.scalars(select(Case.id).where(
                Case._state.in_(("guidance", "aftercare")),
                Case.next_review_due <= now.date())))
    finally:
        engine.dispose()
    return {"to_expire": [str(i) for i in to_expire], "to_purge": [str(i) for i in to_purge],
            "review_due": [str(i) for i in due]}


def drill_instances_jobs(target: Target, *, instances: int = 2, workers: int = 2,
                         clients: int = 4, expire: int = 100, purge: int = 50,
                         rounds: int = 2, accept_s: float = 8.0, cli_verify: bool = True,
                         preload: bool = False) -> dict[str, Any]:
    """Two app instances on one database with load on both, and two ``flask jobs run``
    started together, ``rounds`` times.  During the first round the partner organisation
    accepts the referrals the job is about to expire, paced over ``accept_s`` seconds from
    the runners' start: some are accepted before the expiry job runs, the rest answer 409
    (expired first), a few wait on the job's row locks: a race between requests and the
    job.  Each referral must leave 'offered' exactly once."""
    from sqlalchemy import text

    checks = Checks()
    work = _arrange_jobs(target, expire=expire, purge=purge)
    before = snapshot(target)
    runs: list[dict[str, Any]] = []
    accept_records: list[dict[str, Any]] = []
    with servers(target, instances, workers, preload) as srvs:
        urls = [s.url for s in srvs]
        load = Load(target, urls, [("case_read", 1), ("transition", 1)], clients, max_s=300,
                    seed=41, pause_s=0.02).start()
        time.sleep(0.5)
        for rnd in range(1, rounds + 1):
            cmd = [str(VENV_BIN / "flask"), "--app", "bench.wsgi", "jobs", "run"]
            t0 = time.monotonic()
            procs = [subprocess.Popen(cmd, env=target.env, cwd=ROOT, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
            accepts = None
            if rnd == 1 and work["to_expire"]:
                n = len(work["to_expire"])
                accepts = Load(target, urls, [("accept", 1)], 2,
                               count_per_client=(n + 1) // 2, referrals=work["to_expire"],
                               seed=43, pause_s=max(0.0, accept_s * 2 / n - 0.03)).start()
            outs = [p.communicate(timeout=300) for p in procs]
            runs.append({"round": rnd, "seconds": round(time.monotonic() - t0, 2),
                         "exit_codes": [p.returncode for p in procs],
                         "output": [o[0].strip().splitlines() for o in outs]})
            for p, (_out, err) in zip(procs, outs, strict=True):
                checks.check(f"round {rnd}: jobs run exits 0", p.returncode == 0, err[-300:])
            if accepts is not None:
                accept_records = accepts.finish(stop=False)
        time.sleep(0.5)
        records = load.finish() + accept_records
    t = tally(records)
    checks.check("every request answered 2xx or 409 (409: the referral expired first)",
                 t["2xx"] + t["409"] == t["requests"], t["by_status"])
    engine = target.engine()
    try:
        with engine.connect() as conn:
            hist = Counter((_uuid(r[0]), r[1]) for r in conn.execute(text(
                "SELECT object_id, trigger FROM transition_history WHERE "
                "object_type = 'referral' AND from_state = 'offered'")))
            states = {_uuid(r[0]): r[1] for r in conn.execute(text(
                "SELECT id, state FROM referrals"))}
            expire_events = Counter(_uuid(r[0]) for r in conn.execute(text(
                "SELECT object_id FROM audit_events WHERE action = 'referral:transition' "
                "AND purpose = 'expire: offered -> expired' AND seq > :s"),
                {"s": before.head_seq}))
            purge_events = Counter(_uuid(r[0]) for r in conn.execute(text(
                "SELECT object_id FROM audit_events WHERE action = 'case:purge' AND seq > :s"),
                {"s": before.head_seq}))
            purged = {_uuid(r[0]) for r in conn.execute(text(
                "SELECT id FROM cases WHERE purged_at IS NOT NULL"))}
            notes = conn.execute(text(
                "SELECT user_id, kind, link, message, count(*) FROM notifications "
                "WHERE kind IN ('review_due', 'screening_overdue', 'referral_expired') "
                "GROUP BY user_id, kind, link, message")).all()
            job_runs = Counter((r[0], r[1]) for r in conn.execute(text(
                "SELECT object_id, outcome FROM audit_events WHERE action = 'job:run' "
                "AND seq > :s"), {"s": before.head_seq}))
    finally:
        engine.dispose()
    to_expire = set(work["to_expire"])
    left_offered = sum(1 for r in to_expire if states[r] == "offered")
    expired = [r for r in to_expire if states[r] == "expired"]
    accepted = [r for r in to_expire if states[r] == "accepted"]
    checks.check("every referral past its deadline left 'offered' exactly once",
                 left_offered == 0 and all(sum(n for (oid, _t), n in hist.items()
                                               if oid == r) == 1 for r in to_expire),
                 f"{left_offered} still offered")
    checks.check("each expiry once: one history row, one audit event per expired referral",
                 all(hist[(r, "expire")] == 1 and expire_events[r] == 1 for r in expired)
                 and set(expire_events) <= to_expire,
                 {r: (hist[(r, "expire")], expire_events[r]) for r in expired
                  if hist[(r, "expire")] != 1 or expire_events[r] != 1})
    others_expired = [oid for (oid, trig) in hist if trig == "expire" and oid not in to_expire]
    checks.check("no referral within its deadline expired", not others_expired,
                 others_expired[:3])
    dup_notes = [(str(u), k, link, n) for u, k, link, _m, n in notes if n != 1]
    checks.check("each notification once (per user, kind, link, message)", not dup_notes,
                 dup_notes[:3])
    review_links = {link for _u, k, link, _m, _n in notes if k == "review_due"}
    reminded = {link.split("/")[-1].split("?")[0] for link in review_links}
    checks.check("every due review reminded", set(work["review_due"]) <= reminded,
                 f"{len(set(work['review_due']) - reminded)} missing")
    checks.check("each purge once: purged, one case:purge event",
                 set(work["to_purge"]) <= purged and all(
                     purge_events[c] == 1 for c in work["to_purge"])
                 and set(purge_events) == set(work["to_purge"]),
                 f"{len(set(work['to_purge']) - purged)} not purged, events "
                 f"{sum(purge_events.values())}")
    job_table = {f"{name} {outcome}": n for (name, outcome), n in sorted(job_runs.items())}
    checks.check("no job failed", not any(o != "allowed" for (_n, o) in job_runs), job_table)
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify)
    skipped = sum(1 for r in runs for out in r["output"] for line in out if "skipped" in line)
    return {"answers": t, "instances": instances, "runners_per_round": 2, "rounds": rounds,
            "runs": runs, "job_runs_audited": job_table, "job_skips_seen": skipped,
            "referrals_past_deadline": len(to_expire), "expired_by_job": len(expired),
            "accepted_first_by_partner": len(accepted),
            "accepts": tally(accept_records),
            "review_due_cases": len(work["review_due"]),
            "review_notifications": sum(n for _u, k, _l, _m, n in notes if k == "review_due"),
            "screening_notifications": sum(n for _u, k, _l, _m, n in notes
                                           if k == "screening_overdue"),
            "purged": len(set(work["to_purge"]) & purged), "purge_events": sum(
                purge_events.values()), "database": figures, "verify": verify,
            "checks": checks}


def drill_key_rotation(target: Target, *, clients: int = 4, workers: int = 2,
                       lead_s: float = 1.5, tail_s: float = 1.5, batch_size: int = 100,
                       cli_verify: bool = True, preload: bool = False,
                       restart_check: bool = True) -> dict[str, Any]:
    """The runbook of docs/OPERATIONS.md: the new master key added and made active, the
    instances restarted with it, ``flask keys rotate`` while requests run, then the old
    key removed: every request succeeded and every value opens with the new key alone."""
    import base64
    import secrets as pysecrets

    checks = Checks()
    before = snapshot(target)
    old = target.env["REFERRAL_MASTER_KEYS"]
    old_id = old.split(":", 1)[0]
    new_id = "rot2"
    new = f"{new_id}:{base64.urlsafe_b64encode(pysecrets.token_bytes(32)).decode()}"
    both = {**target.env, "REFERRAL_MASTER_KEYS": f"{old},{new}",
            "REFERRAL_ACTIVE_MASTER_KEY": new_id}
    ops = [("notes_read", 3), ("note_create", 2), ("case_create", 1), ("case_read", 1)]
    with servers(target, 1, workers, preload, env=both) as (server,):
        load = Load(target, [server.url], ops, clients, max_s=600, seed=53).start()
        time.sleep(lead_s)
        t0 = time.monotonic()
        rot = target.flask("keys", "rotate", "--batch-size", str(batch_size), env=both,
                           check=False)
        rotate_s = time.monotonic() - t0
        time.sleep(tail_s)
        records = load.finish()
    t = tally(records)
    during = [r for r in records if r["t1"] >= t0 and r["t0"] <= t0 + rotate_s]
    # The re-wrapping itself (the process's start-up excluded): from the first batch's
    # commit to the last one's, from their keys:rotate events (wall clock -> monotonic).
    from sqlalchemy import text

    engine = target.engine()
    try:
        with engine.connect() as conn:
            batch_times = [r[0] for r in conn.execute(text(
                "SELECT at FROM audit_events WHERE action = 'keys:rotate' AND seq > :s "
                "ORDER BY seq"), {"s": before.head_seq})]
    finally:
        engine.dispose()
    shift = time.time() - time.monotonic()
    stamps = [_wall(b) - shift for b in batch_times]
    rewrap = [r for r in records if stamps and r["t1"] >= stamps[0] and r["t0"] <= stamps[-1]]
    checks.check("keys rotate exits 0", rot.returncode == 0, rot.stderr[-300:])
    checks.check("no failed request", t["2xx"] == t["requests"], t["by_status"])
    checks.check("requests ran during the rotation", len(during) > 0, 0)
    unreadable = sum(r.get("unreadable", 0) for r in records)
    checks.check("every note read had its body", unreadable == 0, unreadable)
    status_new_only = None
    if restart_check:  # what the operator looks at before removing the old key
        status_new_only = target.flask("keys", "status", env={
            **target.env, "REFERRAL_MASTER_KEYS": new, "REFERRAL_ACTIVE_MASTER_KEY": new_id},
            check=False).stdout.strip().splitlines()
    decrypted = decrypt_all(target.url, new, new_id)
    checks.check("nothing left under the old master key",
                 set(decrypted["data_keys_by_master"]) == {new_id},
                 decrypted["data_keys_by_master"])
    checks.check("every value decrypts with the new master key alone",
                 decrypted["failed"] == 0 and decrypted["opened_total"] > 0,
                 decrypted["failures"])
    served_new_only = None
    if restart_check:  # the last step: the old key removed from the instances
        only_new = {**target.env, "REFERRAL_MASTER_KEYS": new,
                    "REFERRAL_ACTIVE_MASTER_KEY": new_id}
        with servers(target, 1, 1, preload, env=only_new) as (srv,):
            recs = Load(target, [srv.url], [("notes_read", 1)], 1, count_per_client=20,
                        seed=59).start().finish(stop=False)
        served_new_only = tally(recs)
        checks.check("the app serves with the new key alone (notes decrypt)",
                     served_new_only["2xx"] == 20 and not any(r.get("unreadable")
                                                              for r in recs),
                     served_new_only["by_status"])
    figures = consistency(target, before, checks, records)
    verify = verify_audit(target, checks, cli_verify, env=both)
    rotated = [line for line in rot.stdout.splitlines() if line.startswith("done")]
    return {"answers": t, "requests_during_rotation": len(during),
            "rotation_batches": len(stamps), "rewrap_window_s": round(
                stamps[-1] - stamps[0], 2) if stamps else None,
            "requests_between_first_and_last_batch": len(rewrap),
            "rotate_s": round(rotate_s, 2), "rotate_output": rotated[0] if rotated else
            rot.stdout[-200:], "old_key": old_id, "new_key": new_id,
            "keys_status_new_only": status_new_only,
            "decrypted": decrypted, "served_with_new_key_only": served_new_only,
            "database": figures, "verify": verify, "checks": checks}


# -- the script ----------------------------------------------------------------------------------

# name -> (seed size: cases, events, offered), drill function
PLANS: dict[str, tuple[tuple[int, int, int], Callable[..., dict[str, Any]]]] = {
    "conflicts": ((250, 5_000, 100), drill_conflicts),
    "crash": ((1_000, 20_000, 300), drill_crash),
    "db_restart": ((1_000, 20_000, 300), drill_db_restart),
    "backup_restore": ((1_000, 20_000, 300), drill_backup_restore),
    "instances_jobs": ((1_000, 20_000, 600), drill_instances_jobs),
    "key_rotation": ((2_000, 20_000, 300), drill_key_rotation),
}


def run_drill(name: str, cluster: PgCluster) -> dict[str, Any]:
    (cases, events, offered), fn = PLANS[name]
    t0 = time.monotonic()
    say(f"{name}: preparing a database ({cases} cases, {events} events)")
    try:
        target = prepare(cluster, f"drill_{name}", cases=cases, events=events,
                         offered=offered)
        say(f"{name}: running")
        result = fn(target)
    except (DrillError, subprocess.TimeoutExpired, OSError) as exc:
        result = {"checks": Checks(failures=[f"setup: {type(exc).__name__}: {exc}"])}
    except Exception as exc:  # a bug in a drill is reported with the others
        result = {"checks": Checks(failures=[f"error: {type(exc).__name__}: {exc}"]),
                  "traceback": traceback.format_exc()[-2000:]}
    checks: Checks = result.pop("checks")
    result = {"ok": checks.ok, "failures": checks.failures, "checks": checks.results,
              "seed": {"cases": cases, "events": events, "offered": offered},
              "seconds": round(time.monotonic() - t0, 1),
              # The machine may be shared: its load average at the end of the drill.
              "loadavg_1_5": [round(x, 2) for x in os.getloadavg()[:2]], **result}
    with contextlib.suppress(Exception):
        cluster.execute(f"DROP DATABASE IF EXISTS drill_{name} WITH (FORCE)")
    return result


def summary(name: str, r: dict[str, Any]) -> str:
    lines = [f"== {name}: {'PASS' if r['ok'] else 'FAIL'} ({r['seconds']} s, load average "
             f"{r.get('loadavg_1_5')})"]
    a = r.get("answers")
    if a:
        lines.append(f"   requests {a['requests']}: 2xx {a['2xx']}, 409 {a['409']}, "
                     f"503 {a['503']}, other 5xx {a['5xx_other']}, resets {a['reset']}, "
                     f"other {a['other']}  ({a.get('req_per_s')} req/s over "
                     f"{a.get('seconds')} s)")
    d = r.get("database") or {}
    if d:
        lines.append(f"   history rows added {d.get('new_transition_rows')} (transition "
                     f"events {d.get('transition_events')}), notes added {d.get('new_notes')},"
                     f" acknowledged writes {d.get('acknowledged_writes', '-')}, committed "
                     f"without an answer {d.get('unacknowledged_but_committed', '-')}; audit "
                     f"{d.get('audit_events')} events, head {d.get('audit_head')}")
    v = r.get("verify")
    if v:
        lines.append(f"   audit verify: {v.get('output') or v}")
    if name == "conflicts" and "successful_transitions" in r:
        lines.append(f"   {r['cases']} cases, {r['clients']} processes, {r['workers']} "
                     f"workers: {r['successful_transitions']} successful transitions = "
                     f"{r['history_rows_added']} history rows = "
                     f"{r['transition_events_added']} audit events; {r['wall_s']} s")
    if name == "crash" and "kills" in r:
        lines.append(f"   kill -9 x{r['kills']} at {r['killed_at_s']} s; requests without "
                     f"an answer {r['resets_seen_by_clients']}")
    for c in r.get("cycles", []):
        lines.append(f"   stop -m {c['mode']}: down {c['down_s']} s, {c['requests_while_down']}"
                     f" requests while down -> {c['answers_while_down']} (max "
                     f"{c['max_latency_while_down_ms']} ms), readyz {c['readyz_while_down']};"
                     f" start {c['start_s']} s; first 2xx {c['recovery_s_first_2xx_after_up']}"
                     f" s after up, readyz {c['readyz_recovery_s']} s after up")
    if name == "backup_restore" and "dump_s" in r:
        dec = r["decrypted"]
        lines.append(f"   pg_dump under load {r['dump_s']} s ({r['dump_mb']} MB), pg_restore "
                     f"{r['restore_s']} s; copy {r['counts'].get('copy')}; decrypted "
                     f"{dec['opened_total']} values {dec['opened']}, failed {dec['failed']}")
    if name == "instances_jobs" and "runs" in r:
        lines.append(f"   {r['instances']} instances, {r['rounds']} rounds of 2 runners: "
                     f"{r['referrals_past_deadline']} past deadline -> {r['expired_by_job']} "
                     f"expired by the jobs, {r['accepted_first_by_partner']} accepted first "
                     f"(accept answers {r['accepts']['by_status']});"
                     f" {r['review_due_cases']} reviews due -> {r['review_notifications']} "
                     f"reminders; {r['purged']} purged ({r['purge_events']} events)")
        lines.append(f"   job runs audited: {r['job_runs_audited']}; 'skipped' lines "
                     f"{r['job_skips_seen']}")
    if name == "key_rotation" and "rotate_s" in r:
        dec = r["decrypted"]
        lines.append(f"   {r['rotate_output']} in {r['rotate_s']} s (process) with "
                     f"{r['requests_during_rotation']} requests during it; "
                     f"{r['rotation_batches']} batches in {r['rewrap_window_s']} s with "
                     f"{r['requests_between_first_and_last_batch']} requests between the "
                     f"first and the last; with "
                     f"{r['new_key']} alone: {dec['opened_total']} values opened, failed "
                     f"{dec['failed']}; keys by master {dec['data_keys_by_master']}")
    for f in r.get("failures", []):
        lines.append(f"   FAILED {f}")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run the reliability drills (docs/PERFORMANCE.md).")
    p.add_argument("--only", action="append", choices=DRILLS,
                   help="run this drill (repeatable); default: all")
    p.add_argument("--list", action="store_true", help="list the drills and exit")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--port", type=int, default=None, help="private cluster port "
                   "(default 55432, or a free one)")
    args = p.parse_args(argv)
    if args.list:
        for name in DRILLS:
            print(name)
        return 0
    names = [n for n in DRILLS if not args.only or n in args.only]

    def _terminate(signum: int, _frame: Any) -> None:
        raise Terminated(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    OUT.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    results: dict[str, Any] = {}
    stopped = None
    cluster: PgCluster | None = None
    try:
        cluster = PgCluster(args.port).init()
        cluster.start()
        say(f"private PostgreSQL cluster on 127.0.0.1:{cluster.port} ({cluster.dir})")
        for name in names:
            results[name] = run_drill(name, cluster)
            print(summary(name, results[name]), flush=True)
    except (Terminated, DrillError) as exc:
        stopped = f"{type(exc).__name__}: {exc}"
        say(f"stopped: {stopped}")
    finally:
        if cluster is not None:
            cluster.cleanup()
    doc = {"started_at": started.isoformat(), "wall_s": round(time.monotonic() - t0, 1),
           "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
           "ok": stopped is None and all(r["ok"] for r in results.values()),
           "drills": _jsonable(results)}
    if stopped:
        doc["incomplete"] = stopped
    args.results.write_text(json.dumps(doc, indent=1) + "\n")
    print()
    for name, r in results.items():
        print(f"{'PASS' if r['ok'] else 'FAIL'}  {name:15} {r['seconds']:6.1f} s"
              + (f"  ({len(r['failures'])} failed checks)" if r["failures"] else ""))
    print(f"results in {args.results} ({doc['wall_s']} s)")
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
