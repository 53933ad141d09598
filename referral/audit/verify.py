"""Verifying the audit hash chain end to end, in constant memory.

What is checked, in sequence order (the first failure wins and names its ``seq``):

- every event's ``hash`` is ``SHA-256(prev_hash || canonical(event))``
  (:func:`referral.audit.chain.chain_hash` is the authority);
- every ``prev_hash`` is the previous event's ``hash`` (the first event's is
  :data:`~referral.audit.chain.GENESIS_HASH`);
- the sequence has no gap and time (``at``) never goes backwards;
- the head row names the last event (sequence and hash);
- every signed checkpoint has a valid signature and names an event that still
  exists with exactly that hash (a checkpoint beyond the last event means the
  log was truncated).

Speed.  Events are streamed in sequence order in batches (a server-side cursor
on PostgreSQL), never as ORM objects.  The database renders each row's
canonical form in SQL -- the same length-prefixed fields as
:func:`~referral.audit.chain.canonical`, lengths counted in UTF-8 bytes so the
rendering stays unambiguous -- and Python does one SHA-256 and a few
comparisons per row.  Whenever that rendering does not reproduce the stored
hash, the row is re-read with its declared column types and re-hashed with
:func:`~referral.audit.chain.chain_hash`, and only that decides: the SQL
rendering makes verification faster but never turns an honest row into a
failure.  Long chains are cut into contiguous ranges verified in parallel on
their own connections (rendering the canonical form is most of the work, and
it runs in the database, outside the GIL); the ranges are then joined: each
range's first ``prev_hash`` must be the previous range's last ``hash``.

Consistency.  Checkpoints are read first, then the head and the highest
sequence number in one statement (one snapshot); only events up to that
snapshot's last event are verified, so events appended meanwhile are neither
counted nor a false alarm.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from referral.audit.chain_walk import (
    BOTTOM,
    RANK_HEAD,
    RANK_ROW,
    RANK_SIGNATURE,
    RANK_TRUNCATED,
    Failure,
    Marks,
    Row,
    Walk,
    gap_reason,
    join,
    walk,
)
from referral.audit.checkpoints import (
    CheckpointLike,
    known_public_keys,
    verify_checkpoint_signature,
)
from referral.audit.models import AuditCheckpoint
from referral.audit.publication import published_for_current_app
from referral.core.ledger.chain import GENESIS_HASH, chain_hash
from referral.core.ledger.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BATCH_SIZE = 20_000
PARALLEL_MIN_EVENTS = 100_000  # below this, one stream on the caller's connection
MAX_WORKERS = 4

# Stable reasons (an API and a CLI contract: match on them, do not reword).
HEAD_MISMATCH = "head does not match last event"
HEAD_MISSING = "head row missing"
TRUNCATED = "checkpointed event missing (log truncated)"
CHECKPOINT_MISMATCH = "checkpoint does not match event"
SIGNATURE_INVALID = "checkpoint signature invalid"
UNKNOWN_KEY = "checkpoint signed by an unknown key"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_seq: int | None = None


# -- the canonical form rendered by the database ------------------------------------------------

_CANONICAL_ORDER = ("seq", "at", "actor_user_id", "actor_organisation_id", "action",
                    "object_type", "object_id", "case_id", "purpose", "outcome", "rule",
                    "request_id", "client_address")
_UUID_COLUMNS = frozenset(("actor_user_id", "actor_organisation_id", "case_id"))
_NOT_NULL = frozenset(("seq", "at", "action", "outcome"))


def _sqlite_canonical() -> str:
    # One printf, no ||: SQLite copies the growing string once per || operator.  A
    # NULL argument prints as nothing, so a nullable field is length, iif(NULL,
    # '-', ':'), value: "-" for NULL, "<bytes>:<value>" otherwise.  Every length is
    # counted, none assumed (nothing in SQLite enforces 32 hex digits in a UUID column).
    formats: list[str] = []
    args: list[str] = []
    for column in _CANONICAL_ORDER:
        if column == "at":
            # Stored 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); canonical has 'T' and 'Z'.  The
            # length is right when the 11th character is one byte; when it is not, the
            # rendering cannot reproduce the hash and chain_hash settles the row.
            formats.append("%d:%.10sT%sZ")
            args += ["length(CAST(at AS BLOB)) + 1", "at", "substr(at, 12)"]
            continue
        marker = "':'" if column in _NOT_NULL else f"iif({column} IS NULL, '-', ':')"
        formats.append("%s%s%s")
        args += [f"length(CAST({column} AS BLOB))", marker, column]
    return f"CAST(printf('{'|'.join(formats)}', {', '.join(args)}) AS BLOB)"


def _postgresql_canonical(utf8: bool = True) -> str:
    """``utf8``: the server encoding is UTF-8, so octet_length counts UTF-8 bytes."""

    def octets(column: str) -> str:
        return f"octet_length({column})" if utf8 else f"octet_length(convert_to({column}, 'UTF8'))"

    parts: list[str] = []
    for column in _CANONICAL_ORDER:
        if column == "seq":
            parts.append("length(CAST(seq AS text)) || ':' || CAST(seq AS text)")
        elif column == "at":
            value = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
            parts.append(f"octet_length({value}) || ':' || {value}")
        elif column in _UUID_COLUMNS:  # the uuid type: always exactly 32 hex digits
            parts.append(f"coalesce('32:' || encode(uuid_send({column}), 'hex'), '-')")
        elif column in _NOT_NULL:
            parts.append(f"{octets(column)} || ':' || {column}")
        else:
            parts.append(f"coalesce({octets(column)} || ':' || {column}, '-')")
    return "convert_to(" + " || '|' || ".join(parts) + ", 'UTF8')"


def _at_key(dialect: str) -> str:
    """An expression of ``at`` that sorts like time and is cheap to compare in Python."""
    if dialect == "postgresql":
        return "CAST(extract(epoch FROM at) * 1000000 AS bigint)"
    return "at"  # fixed-width ISO text


def _range_sql(dialect: str, lo: str, hi: str, utf8: bool = True) -> str:
    """``seq, at key, prev_hash, hash, canonical bytes`` of the events ``lo..hi``."""
    canonical = (_postgresql_canonical(utf8) if dialect == "postgresql"
                 else _sqlite_canonical())
    return (f"SELECT seq, {_at_key(dialect)}, prev_hash, hash, {canonical} "  # noqa: S608 - constant
            f"FROM audit_events WHERE seq >= {lo} AND seq <= {hi} ORDER BY seq")


def _anchor_sql(dialect: str) -> str:
    return f"SELECT hash, {_at_key(dialect)} FROM audit_events WHERE seq = :seq"  # noqa: S608


# -- reading ------------------------------------------------------------------------------------


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def _authoritative(conn: Connection) -> Callable[[int, bytes, bytes], bool]:
    """Re-read one event with its declared types and hash it exactly as the chain does."""
    table = AuditEvent.__table__

    def hash_ok(seq: int, prev: bytes, digest: bytes) -> bool:
        row = conn.execute(select(*table.c).where(table.c.seq == seq)).one()
        return bool(chain_hash(bytes(prev), seq, row.at, row) == bytes(digest))

    return hash_ok


def _utf8(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8")


def _stream_here(conn: Connection, lo: int, hi: int, batch_size: int,
                 ) -> Generator[Sequence[Row], None, None]:
    """Batches of ``lo..hi`` on the caller's connection, inside its transaction."""
    result = conn.execute(text(_range_sql(conn.dialect.name, ":lo", ":hi", _utf8(conn))),
                          {"lo": lo, "hi": hi},
                          execution_options={"stream_results": True, "yield_per": batch_size})
    try:
        yield from result.partitions()
    finally:
        result.close()


def _walk_here(conn: Connection, lo: int, hi: int, anchor: tuple[bytes, Any] | None,
               marks: Marks, hash_ok: Callable[[int, bytes, bytes], bool],
               batch_size: int) -> Walk:
    batches = _stream_here(conn, lo, hi, batch_size)
    try:
        return walk(batches, lo, hi, anchor, marks, hash_ok)
    finally:
        batches.close()  # closes the (server-side) cursor even when the walk stopped early


def _walk_on_own_connection(engine: Engine, lo: int, hi: int, marks: Marks, utf8: bool,
                            batch_size: int) -> Walk:
    """Walk ``lo..hi`` on a fresh DBAPI connection (run in a worker thread).

    Raw DBAPI on purpose: no SQLAlchemy row processing, no ``BEGIN IMMEDIATE``
    on SQLite (a plain read must not queue behind the caller's write lock).
    """
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            driver: Any = raw.driver_connection
            cursor = driver.cursor(name=f"audit_verify_{lo}", binary=True)
            cursor.execute(_range_sql("postgresql", "%(lo)s", "%(hi)s", utf8),
                           {"lo": lo, "hi": hi})
        else:
            cursor = raw.cursor()
            cursor.execute(_range_sql(engine.dialect.name, ":lo", ":hi"), {"lo": lo, "hi": hi})
        try:
            batches = iter(lambda: cursor.fetchmany(batch_size), [])
            return walk(batches, lo, hi, None, marks, None)
        finally:
            cursor.close()
    finally:
        raw.rollback()
        raw.close()


def _workers(conn: Connection, events: int, workers: int | None) -> int:
    engine = conn.engine
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return 1  # another connection would see another database
    if workers is None:
        # SQLite renders in this process, and its threads contend for the GIL and
        # SQLite's own allocator mutex: measured slower in parallel, so one stream.
        if events < PARALLEL_MIN_EVENTS or engine.dialect.name == "sqlite":
            return 1
        # At least two: the server renders one range while Python hashes the other.
        workers = min(MAX_WORKERS, max(2, os.cpu_count() or 1))
    return max(1, min(workers, events))


def _walk_range(conn: Connection, lo: int, hi: int, anchor: tuple[bytes, Any],
                marks: Marks, workers: int | None, batch_size: int,
                ) -> tuple[Failure | None, int]:
    n = _workers(conn, hi - lo + 1, workers) if hi >= lo else 1
    hash_ok = _authoritative(conn)
    if n == 1:
        walk = _walk_here(conn, lo, hi, anchor, marks, hash_ok, batch_size)
        return walk.failure, walk.checked
    size = -(-(hi - lo + 1) // n)
    bounds = [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]
    with ThreadPoolExecutor(max_workers=len(bounds), thread_name_prefix="audit-verify") as pool:
        utf8 = _utf8(conn)
        futures = [pool.submit(_walk_on_own_connection, conn.engine, a, b, marks, utf8,
                               batch_size) for a, b in bounds]
        walks = [f.result() for f in futures]
    for i, walk in enumerate(walks):
        if walk.suspect is not None:
            # Settle the disagreement with chain_hash, then go on from there in this thread.
            seq = walk.suspect
            before = None if walk.last_hash is None else (walk.last_hash, walk.last_at)
            rest = _walk_here(conn, seq, walk.hi, before, marks, hash_ok, batch_size)
            if rest.first_prev is not None:
                walk.first_prev, walk.first_at = rest.first_prev, rest.first_at
            walk.checked += rest.checked
            walk.failure, walk.suspect = rest.failure, None
            walk.last_hash, walk.last_at = rest.last_hash, rest.last_at
        if walk.failure is not None:
            del walks[i + 1:]  # what comes after the first failure does not matter
            break
    return _join_anchored(walks, anchor)


def _join_anchored(walks: list[Walk], anchor: tuple[bytes, Any]) -> tuple[Failure | None, int]:
    start = Walk(walks[0].lo - 1, walks[0].lo - 1, last_hash=anchor[0], last_at=anchor[1])
    return join([start, *walks])


def _public_keys(public_keys: Mapping[str, Ed25519PublicKey] | None,
                 ) -> Mapping[str, Ed25519PublicKey]:
    if public_keys is not None:
        return public_keys

    if not has_app_context():
        raise ValueError("pass public_keys to verify checkpoint signatures outside the app")

    return known_public_keys(current_app.config)


# -- the verifier -------------------------------------------------------------------------------


def verify_chain(
    db: Session | Connection,
    from_seq: int = 1,
    checkpoints: bool = True,
    *,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
    published: Iterable[CheckpointLike] | None = None,
) -> VerifyResult:
    """Verify the chain from ``from_seq`` to the last event; see the module docstring.

    With ``from_seq > 1`` verification starts from event ``from_seq``'s stored
    ``prev_hash``, which must be event ``from_seq - 1``'s hash.  ``public_keys``
    maps key ids to Ed25519 public keys (default: the app's configured keys).
    ``workers`` fixes the number of parallel ranges (default: by chain length).
    ``published``: checkpoints published outside the database (default: the app's
    directory, :mod:`referral.audit.publication`), held against the chain like the
    database's own: one beyond the last event is a truncation, one whose event has another
    hash a rewrite.
    Raises ``ValueError`` when ``from_seq`` is below 1 or beyond the head.
    """
    if from_seq < 1:
        raise ValueError("from_seq must be at least 1")
    conn = _connection(db)
    failures: list[Failure] = []
    marks = Marks()
    # Checkpoints first: any checkpoint made later names a head read below.
    cps = _read_checkpoints(conn, public_keys, failures) if checkpoints else []
    if checkpoints:
        outside = published_for_current_app() if published is None else published
        cps += _trusted(outside, public_keys, failures)
    # The head and the last event in one statement: one snapshot.
    head_t, ev_t = AuditHead.__table__, AuditEvent.__table__
    head = conn.execute(
        select(head_t.c.seq, head_t.c.hash,
               select(func.max(ev_t.c.seq)).scalar_subquery().label("last_seq"))
        .where(head_t.c.id == 1)
    ).one_or_none()
    if head is None:
        return VerifyResult(False, 0, from_seq, HEAD_MISSING)
    head_seq, last_seq = int(head.seq), int(head.last_seq or 0)
    if from_seq > max(head_seq, last_seq) + 1:
        raise ValueError(f"from_seq {from_seq} is beyond the head (seq {head_seq})")
    _expect_head_and_checkpoints(head_seq, bytes(head.hash), last_seq, cps, marks, failures)
    anchor = _anchor(conn, from_seq, marks, failures)

    # The events, up to the first failure already known.
    hi = min([last_seq, *(f.seq for f in failures)])
    checked = 0
    if hi >= from_seq:
        row_failure, checked = _walk_range(conn, from_seq, hi, anchor, marks, workers,
                                           batch_size)
        if row_failure is not None:
            failures.append(row_failure)
    if not failures:
        return VerifyResult(True, checked, None, None, head_seq)
    first = min(failures)
    return VerifyResult(False, checked, first.seq, first.reason, head_seq)


def _read_checkpoints(conn: Connection, public_keys: Mapping[str, Ed25519PublicKey] | None,
                      failures: list[Failure]) -> list[Any]:
    """The checkpoints whose signatures verify; the others are failures, not evidence."""

    cp_t = AuditCheckpoint.__table__
    return _trusted(conn.execute(select(cp_t.c.seq, cp_t.c.hash, cp_t.c.at, cp_t.c.signature,
                                        cp_t.c.public_key_id).order_by(cp_t.c.seq)),
                    public_keys, failures)


def _trusted(cps: Iterable[Any], public_keys: Mapping[str, Ed25519PublicKey] | None,
             failures: list[Failure]) -> list[Any]:
    keys = _public_keys(public_keys)
    trusted = []
    for cp in cps:
        key = keys.get(cp.public_key_id)
        if key is None:
            failures.append(Failure(max(cp.seq, 1), RANK_SIGNATURE, UNKNOWN_KEY))
        elif not verify_checkpoint_signature(cp, key):
            failures.append(Failure(max(cp.seq, 1), RANK_SIGNATURE, SIGNATURE_INVALID))
        else:
            trusted.append(cp)
    return trusted


def _expect_head_and_checkpoints(head_seq: int, head_hash: bytes, last_seq: int,
                                 cps: list[Any], marks: Marks,
                                 failures: list[Failure]) -> None:
    """What the head and the checkpoints say the events must be."""
    if head_seq != last_seq:
        failures.append(Failure(min(head_seq, last_seq) + 1, RANK_HEAD, HEAD_MISMATCH))
    elif last_seq == 0:
        if head_hash != GENESIS_HASH:
            failures.append(Failure(1, RANK_HEAD, HEAD_MISMATCH))
    else:
        marks.add(head_seq, head_hash, Failure(head_seq, RANK_ROW, HEAD_MISMATCH))
    for cp in cps:
        if cp.seq > last_seq:
            failures.append(Failure(last_seq + 1, RANK_TRUNCATED, TRUNCATED))
        elif cp.seq == 0:
            if bytes(cp.hash) != GENESIS_HASH:
                failures.append(Failure(1, RANK_ROW, CHECKPOINT_MISMATCH))
        else:
            marks.add(cp.seq, bytes(cp.hash), Failure(cp.seq, RANK_ROW, CHECKPOINT_MISMATCH))


def _anchor(conn: Connection, from_seq: int, marks: Marks,
            failures: list[Failure]) -> tuple[bytes, Any]:
    """Event ``from_seq - 1``'s (hash, time), to which event ``from_seq`` must link."""
    if from_seq == 1:
        return GENESIS_HASH, BOTTOM
    row = conn.execute(text(_anchor_sql(conn.dialect.name)),
                       {"seq": from_seq - 1}).one_or_none()
    if row is None:
        failures.append(Failure(from_seq - 1, RANK_ROW, gap_reason(from_seq - 1)))
        return GENESIS_HASH, BOTTOM
    anchor = (bytes(row[0]), row[1])
    mark_failure = marks.failure_at(from_seq - 1, anchor[0])
    if mark_failure is not None:
        failures.append(mark_failure)
    return anchor
