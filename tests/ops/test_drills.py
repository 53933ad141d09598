"""The reliability drills of ``make drills`` (``bench/drills.py``), scaled down for CI.

Real processes, as in the script: gunicorn (sync workers) on 127.0.0.1, HTTP from
separate client processes, ``flask jobs run`` / ``flask keys rotate`` as child
processes; the checks are the script's (SQL on the database afterwards and the audit
chain verified, here in process rather than by ``flask audit verify``).  gunicorn loads
the app before forking (``--preload``) to keep the suite short: one import instead of
one per worker.  The crash and the key rotation run on SQLite and PostgreSQL (``database_url``); the
conflicts and the job runners on PostgreSQL only (skipped on SQLite, which serialises
writers); the database restart needs a private PostgreSQL cluster of its own (``initdb``
in a temporary directory, skipped with the reason when there is none): the shared server
is never stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bench.drill_scenarios.conflicts import drill_conflicts
from bench.drill_scenarios.crash import drill_crash
from bench.drill_scenarios.db_restart import drill_db_restart
from bench.drill_scenarios.instances_jobs import drill_instances_jobs
from bench.drill_scenarios.key_rotation import drill_key_rotation
from bench.drill_support.checks import Checks
from bench.drill_support.cluster import PgCluster, private_cluster_unavailable
from bench.drill_support.target import Target, drill_env, finish_seed
from bench.runner.procs import free_port
from bench.seed import seed
from referral import create_app
from referral.core import migrate
from tests.conftest import TEST_SECRETS


def _target(app: Flask, url: str, workdir: Path, cases: int, events: int, offered: int,
            cluster: PgCluster | None = None) -> Target:
    plan = seed(app, cases=cases, events=events, offered=offered)
    target = Target("test", url, drill_env(url, TEST_SECRETS), plan, workdir, cluster)
    finish_seed(target)
    return target


@pytest.fixture
def drill_target(app: Flask, database_url: str, tmp_path: Path
                 ) -> Callable[..., Target]:
    """A seeded copy of the test database and the environment of the app's processes."""

    def make(cases: int, events: int = 500, offered: int = 20) -> Target:
        return _target(app, database_url, tmp_path, cases, events, offered)

    return make


def _assert_passed(result: dict[str, Any]) -> None:
    checks: Checks = result["checks"]
    assert checks.results, "the drill checked nothing"
    assert checks.ok, checks.failures


def test_conflicts_every_answer_200_or_409_and_history_matches(drill_target, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under real concurrency are PostgreSQL's; SQLite serialises")
    # 50 seeded cases: the first 10 internal_follow_up ones take 200 transitions from 4
    # processes, each sending the version it last saw.
    target = drill_target(cases=50)
    r = drill_conflicts(target, transitions=200, clients=4, workers=2, cases=10,
                        cli_verify=False, preload=True)
    _assert_passed(r)
    answers = r["answers"]
    assert answers["requests"] == 200
    assert answers["2xx"] + answers["409"] == 200
    assert answers["409"] > 0, "no conflict at all: the drill did not race"
    assert r["successful_transitions"] == r["history_rows_added"] == \
        r["transition_events_added"] == answers["2xx"]


def test_crash_kill_9_leaves_no_partial_state(drill_target):
    target = drill_target(cases=60)
    r = drill_crash(target, kills=4, clients=4, workers=2, max_s=20, cli_verify=False)
    _assert_passed(r)
    assert r["kills"] == 4
    assert r["answers"]["5xx_other"] == 0
    assert r["database"]["acknowledged_writes"] > 0


def test_two_job_runners_do_each_thing_once(drill_target, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances and concurrent job runners: a PostgreSQL deployment "
                    "(tests/pathways/test_disengagement_pathway.py reruns the jobs on both "
                    "databases)")
    target = drill_target(cases=60, offered=30)
    r = drill_instances_jobs(target, instances=1, workers=1, clients=2, expire=10,
                             purge=3, rounds=1, accept_s=2.0, cli_verify=False,
                             preload=True)
    _assert_passed(r)
    assert r["referrals_past_deadline"] == 10
    assert r["expired_by_job"] + r["accepted_first_by_partner"] == 10
    assert r["purged"] == r["purge_events"] == 3
    assert r["review_due_cases"] > 0
    assert r["review_notifications"] >= r["review_due_cases"]


def test_key_rotation_under_load_fails_nothing(drill_target):
    target = drill_target(cases=100)
    r = drill_key_rotation(target, clients=2, workers=2, lead_s=0.5, tail_s=0.5,
                           batch_size=40, cli_verify=False, restart_check=False,
                           preload=True)
    _assert_passed(r)
    assert r["requests_during_rotation"] > 0
    assert set(r["decrypted"]["data_keys_by_master"]) == {"rot2"}
    assert r["decrypted"]["opened"]["subjects.identity"] >= 100


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[PgCluster]:
    why = private_cluster_unavailable()
    if why:
        pytest.skip(f"database restart drill skipped: no private PostgreSQL cluster ({why})")
    cluster = PgCluster(port=free_port()).init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.mark.postgres_only
def test_database_restart_answers_503_then_recovers(private_cluster, tmp_path):
    url = private_cluster.create_database("drill_restart")
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "ENV": "development", **TEST_SECRETS})
    app.instance_path = str(tmp_path / "instance")
    try:
        target = _target(app, url, tmp_path, cases=60, events=500, offered=10,
                         cluster=private_cluster)
    finally:
        app.extensions["referral.db"].dispose()
    r = drill_db_restart(target, cycles=(("immediate", 2.0),), clients=4, workers=2,
                         lead_s=1.5, after_s=2.0, cli_verify=False, preload=True)
    _assert_passed(r)
    (cycle,) = r["cycles"]
    assert cycle["requests_while_down"] > 0
    assert set(cycle["answers_while_down"]) == {"503"}
    assert cycle["recovery_s_first_2xx_after_up"] is not None
    assert cycle["recovery_s_first_2xx_after_up"] < 10
    assert r["answers"]["5xx_other"] == r["answers"]["reset"] == 0


def test_first_case_references_of_a_year_do_not_collide(app):
    """Found by the drills: two registrations that both find no reference counter for the
    LIVC and year yet both insert it; on PostgreSQL the second fails on the primary key
    (409 "This conflicts with data that already exists") instead of taking number 2 (fixed:
    one INSERT ... ON CONFLICT DO UPDATE ... RETURNING).
    Deterministic: A has inserted the row (uncommitted) when B looks for it."""
    from referral.cases.services import _next_reference, owner_tag
    from referral.organisations.models import Livc, Organisation

    maker = app.extensions["referral.db"].sessionmaker
    with maker() as s:
        livc = Livc(name="LIVC Race")
        owner = Organisation(name="CAW Race", kind="caw")
        s.add_all([livc, owner])
        s.commit()
        livc_id, owner_id = livc.id, owner.id
    first, second = maker(), maker()
    outcome: dict[str, Any] = {}

    def register_second() -> None:
        try:
            with app.app_context():  # the owner's tag is keyed with the app's secret
                outcome["reference"] = _next_reference(second, second.get(Livc, livc_id),
                                                       owner_id)
            second.flush()
            second.commit()
        except Exception as exc:
            second.rollback()
            outcome["error"] = exc

    try:
        with app.app_context():
            reference = _next_reference(first, first.get(Livc, livc_id), owner_id)
        first.flush()  # the counter row exists, not yet committed
        thread = threading.Thread(target=register_second)
        thread.start()
        time.sleep(0.5)  # the second looks for the row now (and waits on SQLite's lock)
        first.commit()
        thread.join(timeout=15)
    finally:
        first.close()
        second.close()
    assert "error" not in outcome, outcome.get("error")
    with app.app_context():
        tag = owner_tag(owner_id)
    year = reference.split("-")[1]
    assert sorted([reference, outcome["reference"]]) == [
        f"RACE-{year}-{tag}-0001", f"RACE-{year}-{tag}-0002"]
