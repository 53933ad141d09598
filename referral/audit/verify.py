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

import hashlib
import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from referral.audit.checkpoints import known_public_keys, verify_checkpoint_signature
from referral.audit.models import AuditCheckpoint
from referral.core.ledger.chain import GENESIS_HASH, chain_hash
from referral.core.ledger.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BATCH_SIZE = 20_000
PARALLEL_MIN_EVENTS = 100_000  # below this, one stream on the caller's connection
MAX_WORKERS = 4

# Stable reasons (an API and a CLI contract: match on them, do not reword).
HASH_MISMATCH = "hash mismatch"
PREV_HASH_UNLINKED = "prev_hash does not link"
TIME_BACKWARDS = "time goes backwards"
HEAD_MISMATCH = "head does not match last event"
HEAD_MISSING = "head row missing"
TRUNCATED = "checkpointed event missing (log truncated)"
CHECKPOINT_MISMATCH = "checkpoint does not match event"
SIGNATURE_INVALID = "checkpoint signature invalid"
UNKNOWN_KEY = "checkpoint signed by an unknown key"


def gap_reason(expected_seq: int) -> str:
    return f"gap: expected seq {expected_seq}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_seq: int | None = None


@dataclass(frozen=True, order=True)
class _Failure:
    seq: int
    rank: int  # at the same seq the lower rank is reported
    reason: str


# A failure found on a row ranks 0 and wins a tie: it is the more specific statement.
_RANK_ROW = 0
_RANK_TRUNCATED = 1
_RANK_HEAD = 2
_RANK_SIGNATURE = 3


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


# -- walking a range of rows --------------------------------------------------------------------

Row = Sequence[Any]  # seq, at key, prev_hash, hash, canonical


class _Marks:
    """Hashes that the events at given sequence numbers must have (checkpoints, the head)."""

    def __init__(self) -> None:
        self.by_seq: dict[int, list[tuple[bytes, _Failure]]] = {}

    def add(self, seq: int, digest: bytes, failure: _Failure) -> None:
        self.by_seq.setdefault(seq, []).append((digest, failure))

    def failure_at(self, seq: int, digest: bytes) -> _Failure | None:
        for expected, failure in self.by_seq.get(seq, ()):
            if expected != digest:
                return failure
        return None

    def between(self, lo: int, hi: int) -> list[int]:
        return sorted(s for s in self.by_seq if lo <= s <= hi)


@dataclass
class _Walk:
    """What walking the events ``lo..hi`` found."""

    lo: int
    hi: int
    checked: int = 0
    failure: _Failure | None = None
    suspect: int | None = None  # SQL rendering and hash disagree here: ask chain_hash
    first_prev: bytes | None = None  # the first row's prev_hash, when the walk had no anchor
    first_at: Any = None
    last_hash: bytes | None = None  # of the last row verified
    last_at: Any = None


_SUSPECT = _Failure(0, -1, "suspect")


class _Bottom:
    """Earlier than any time: the 'previous time' of the first event."""

    def __gt__(self, other: object) -> bool:
        return False

    def __lt__(self, other: object) -> bool:
        return True


BOTTOM: Any = _Bottom()


def _walk(batches: Iterable[Sequence[Row]], lo: int, hi: int, anchor: tuple[bytes, Any] | None,
          marks: _Marks, hash_ok: Callable[[int, bytes, bytes], bool] | None) -> _Walk:
    """Verify events ``lo..hi`` arriving in order.

    ``anchor`` is the previous event's (hash, at key); without one the first
    row's link is left to the caller (``first_prev``).  ``hash_ok`` settles a
    disagreement between the SQL rendering and the stored hash; without it the
    walk stops there and reports the row as ``suspect``.
    """
    walk = _Walk(lo, hi)
    sha256 = hashlib.sha256
    mark_seqs = [*marks.between(lo, hi), hi + 1]
    mark_index, next_mark = 0, mark_seqs[0]
    expect = lo
    prev_digest: bytes | None = anchor[0] if anchor else None
    prev_at: Any = anchor[1] if anchor else BOTTOM
    for batch in batches:
        for seq, at, prev, digest, canonical in batch:
            # One combined test keeps the common path to a few comparisons and one hash.
            if (seq != expect or prev != prev_digest or at < prev_at or seq == next_mark
                    or sha256(prev + canonical).digest() != digest):
                failure = _classify(walk, seq, at, prev, digest, canonical, expect, prev_digest,
                                    prev_at, marks, hash_ok)
                if failure is _SUSPECT:
                    walk.suspect = seq
                    break
                if failure is not None:
                    walk.failure = failure
                    break
                if seq == next_mark:
                    mark_index += 1
                    next_mark = mark_seqs[mark_index]
            prev_digest, prev_at = digest, at
            expect += 1
        else:
            continue
        break
    else:
        if expect <= hi:  # rows vanished while we read: the tail was cut
            walk.failure = _Failure(expect, _RANK_ROW, gap_reason(expect))
    walk.checked = expect - lo
    walk.last_hash, walk.last_at = prev_digest, prev_at
    return walk


def _classify(walk: _Walk, seq: int, at: Any, prev: bytes, digest: bytes, canonical: bytes,
              expect: int, prev_digest: bytes | None, prev_at: Any, marks: _Marks,
              hash_ok: Callable[[int, bytes, bytes], bool] | None) -> _Failure | None:
    """Name what is wrong with one row, in a fixed order; ``None`` when nothing is."""
    if seq != expect:
        return _Failure(expect, _RANK_ROW, gap_reason(expect))
    unanchored = prev_digest is None
    if unanchored:
        walk.first_prev, walk.first_at = prev, at
    elif prev != prev_digest:
        return _Failure(seq, _RANK_ROW, PREV_HASH_UNLINKED)
    if hashlib.sha256(prev + canonical).digest() != digest:
        if hash_ok is None:
            return _SUSPECT
        if not hash_ok(seq, prev, digest):
            return _Failure(seq, _RANK_ROW, HASH_MISMATCH)
    if not unanchored and at < prev_at:
        return _Failure(seq, _RANK_ROW, TIME_BACKWARDS)
    return marks.failure_at(seq, digest)


def _join(walks: list[_Walk]) -> tuple[_Failure | None, int]:
    """Join contiguous walks, each after the first unanchored: (first failure, verified).

    A walk's first row was checked for everything but its link and its time,
    which need the previous walk's last row: checked here, in the same order
    as :func:`_classify` (link, hash, time, marks).
    """
    checked = 0
    prev_hash: bytes | None = None
    prev_at: Any = BOTTOM
    for i, walk in enumerate(walks):
        if i > 0 and walk.first_prev is not None:  # None: a gap at its first row
            if walk.first_prev != prev_hash:
                return _Failure(walk.lo, _RANK_ROW, PREV_HASH_UNLINKED), checked
            first_hash_bad = walk.failure == _Failure(walk.lo, _RANK_ROW, HASH_MISMATCH)
            if not first_hash_bad and walk.first_at < prev_at:
                return _Failure(walk.lo, _RANK_ROW, TIME_BACKWARDS), checked
        checked += walk.checked
        if walk.failure is not None:
            return walk.failure, checked
        prev_hash, prev_at = walk.last_hash, walk.last_at
    return None, checked


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
               marks: _Marks, hash_ok: Callable[[int, bytes, bytes], bool],
               batch_size: int) -> _Walk:
    batches = _stream_here(conn, lo, hi, batch_size)
    try:
        return _walk(batches, lo, hi, anchor, marks, hash_ok)
    finally:
        batches.close()  # closes the (server-side) cursor even when the walk stopped early


def _walk_on_own_connection(engine: Engine, lo: int, hi: int, marks: _Marks, utf8: bool,
                            batch_size: int) -> _Walk:
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
            return _walk(batches, lo, hi, None, marks, None)
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
                marks: _Marks, workers: int | None, batch_size: int,
                ) -> tuple[_Failure | None, int]:
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


def _join_anchored(walks: list[_Walk], anchor: tuple[bytes, Any]) -> tuple[_Failure | None, int]:
    start = _Walk(walks[0].lo - 1, walks[0].lo - 1, last_hash=anchor[0], last_at=anchor[1])
    return _join([start, *walks])


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
) -> VerifyResult:
    """Verify the chain from ``from_seq`` to the last event; see the module docstring.

    With ``from_seq > 1`` verification starts from event ``from_seq``'s stored
    ``prev_hash``, which must be event ``from_seq - 1``'s hash.  ``public_keys``
    maps key ids to Ed25519 public keys (default: the app's configured keys).
    ``workers`` fixes the number of parallel ranges (default: by chain length).
    Raises ``ValueError`` when ``from_seq`` is below 1 or beyond the head.
    """
    if from_seq < 1:
        raise ValueError("from_seq must be at least 1")
    conn = _connection(db)
    failures: list[_Failure] = []
    marks = _Marks()
    # Checkpoints first: any checkpoint made later names a head read below.
    cps = _read_checkpoints(conn, public_keys, failures) if checkpoints else []
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
                      failures: list[_Failure]) -> list[Any]:
    """The checkpoints whose signatures verify; the others are failures, not evidence."""

    keys = _public_keys(public_keys)
    cp_t = AuditCheckpoint.__table__
    trusted = []
    for cp in conn.execute(select(cp_t.c.seq, cp_t.c.hash, cp_t.c.at, cp_t.c.signature,
                                  cp_t.c.public_key_id).order_by(cp_t.c.seq)):
        key = keys.get(cp.public_key_id)
        if key is None:
            failures.append(_Failure(max(cp.seq, 1), _RANK_SIGNATURE, UNKNOWN_KEY))
        elif not verify_checkpoint_signature(cp, key):
            failures.append(_Failure(max(cp.seq, 1), _RANK_SIGNATURE, SIGNATURE_INVALID))
        else:
            trusted.append(cp)
    return trusted


def _expect_head_and_checkpoints(head_seq: int, head_hash: bytes, last_seq: int,
                                 cps: list[Any], marks: _Marks,
                                 failures: list[_Failure]) -> None:
    """What the head and the checkpoints say the events must be."""
    if head_seq != last_seq:
        failures.append(_Failure(min(head_seq, last_seq) + 1, _RANK_HEAD, HEAD_MISMATCH))
    elif last_seq == 0:
        if head_hash != GENESIS_HASH:
            failures.append(_Failure(1, _RANK_HEAD, HEAD_MISMATCH))
    else:
        marks.add(head_seq, head_hash, _Failure(head_seq, _RANK_ROW, HEAD_MISMATCH))
    for cp in cps:
        if cp.seq > last_seq:
            failures.append(_Failure(last_seq + 1, _RANK_TRUNCATED, TRUNCATED))
        elif cp.seq == 0:
            if bytes(cp.hash) != GENESIS_HASH:
                failures.append(_Failure(1, _RANK_ROW, CHECKPOINT_MISMATCH))
        else:
            marks.add(cp.seq, bytes(cp.hash), _Failure(cp.seq, _RANK_ROW, CHECKPOINT_MISMATCH))


def _anchor(conn: Connection, from_seq: int, marks: _Marks,
            failures: list[_Failure]) -> tuple[bytes, Any]:
    """Event ``from_seq - 1``'s (hash, time), to which event ``from_seq`` must link."""
    if from_seq == 1:
        return GENESIS_HASH, BOTTOM
    row = conn.execute(text(_anchor_sql(conn.dialect.name)),
                       {"seq": from_seq - 1}).one_or_none()
    if row is None:
        failures.append(_Failure(from_seq - 1, _RANK_ROW, gap_reason(from_seq - 1)))
        return GENESIS_HASH, BOTTOM
    anchor = (bytes(row[0]), row[1])
    mark_failure = marks.failure_at(from_seq - 1, anchor[0])
    if mark_failure is not None:
        failures.append(mark_failure)
    return anchor
