"""Drill 4, ``backup_restore``: ``pg_dump`` while the app writes, ``pg_restore`` into a new
database, and on the copy the audit chain verifies, every encrypted value decrypts, the app
serves and the chain goes on verifying after new appends.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from bench.drill_support.checks import Checks, decrypt_all, verify_audit
from bench.drill_support.common import DrillError
from bench.drill_support.load import Load, http_call, tally
from bench.drill_support.servers import servers
from bench.drill_support.target import Target


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
        status, _ctype, _data, _err = http_call(srv.url, "GET", f"/api/v1/cases/{cid}/notes",
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
