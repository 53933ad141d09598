"""Re-wrapping data keys under the active master key, one short transaction per batch.

Batches keep locks short and make the job resumable: each committed batch
stays done, and a rerun selects only what is still under another master key.
On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several machines rotate at once
without waiting on each other; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers.  ``DataKey.version`` (``version_id_col``) turns any other
concurrent update of the same row into a StaleDataError instead of a lost write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral.core.ledger import chain
from referral.identity.models import DataKey
from referral.identity.vault import KeyRing


@dataclass(frozen=True)
class KeyStatus:
    active_id: str
    by_master: dict[str, int]
    destroyed: int

    @property
    def pending(self) -> int:
        """Live data keys not yet under the active master key."""
        return sum(n for mid, n in self.by_master.items() if mid != self.active_id)


def status(session: Session, ring: KeyRing) -> KeyStatus:
    live = session.execute(
        select(DataKey.master_key_id, func.count())
        .where(DataKey.wrapped_key.is_not(None))
        .group_by(DataKey.master_key_id)
    ).all()
    destroyed = session.scalar(
        select(func.count()).select_from(DataKey).where(DataKey.wrapped_key.is_(None)))
    by_master = {str(mid): int(n) for mid, n in live}
    return KeyStatus(active_id=ring.active_id, by_master=dict(sorted(by_master.items())),
                     destroyed=int(destroyed or 0))


def rotate_batch(session: Session, ring: KeyRing, batch_size: int) -> int:
    """Re-wrap up to ``batch_size`` data keys to the active master key and COMMIT.

    Returns how many were re-wrapped (0: nothing left for this worker).  On an
    error the transaction is rolled back and the error propagates.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    active = ring.active_id
    stmt = (
        select(DataKey)
        .where(DataKey.wrapped_key.is_not(None), DataKey.master_key_id != active)
        .order_by(DataKey.id)
        .limit(batch_size)
    )
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    try:
        rows = session.scalars(stmt).all()
        for row in rows:
            if row.wrapped_key is None or row.master_key_id is None:
                continue  # excluded by the WHERE clause; this narrows the types
            row.wrapped_key, row.master_key_id = ring.rewrap(row.wrapped_key, row.master_key_id)
        if rows:
            chain.record(session, None, "keys:rotate", object_type="data_key",
                         purpose=f"rewrapped {len(rows)} keys to {active}")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(rows)
