"""Concurrent transitions on PostgreSQL: exactly one wins, the rest get 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from referral.core.ledger.chain import GENESIS_HASH, chain_hash
from referral.core.ledger.models import AuditEvent
from referral.pathways.models import TransitionRecord
from tests.factories import build, make_case


def test_twenty_threads_one_transition(world, app):
    if app.extensions["referral.db"].dialect != "postgresql":
        pytest.skip("row locks under real concurrency are PostgreSQL's; SQLite serialises")
    build(world)
    case = make_case(world, state="signalled")
    clients = [world.login("owner_rp") for _ in range(20)]
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def fire(api):
        barrier.wait()
        r = api.post(f"/api/v1/cases/{case.id}/transitions",
                     json={"trigger": "start_screening", "version": 1})
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 19
    with world.session() as s:
        assert s.scalar(select(func.count(TransitionRecord.id)).where(
            TransitionRecord.object_id == case.id, TransitionRecord.trigger == "start_screening")
        ) == 1
        prev = GENESIS_HASH
        for event in s.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            assert event.prev_hash == prev
            assert event.hash == chain_hash(prev, event.seq, event.at, event)
            prev = event.hash
