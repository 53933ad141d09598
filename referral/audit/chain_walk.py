"""Walking a contiguous range of audit events in sequence order: the per-row checks of
the chain (hash, link, gaps, time) and the marks the range must meet (checkpoints, the
head).  ``verify.py`` streams the rows and joins the ranges."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Stable reasons (an API and a CLI contract: match on them, do not reword).
HASH_MISMATCH = "hash mismatch"
PREV_HASH_UNLINKED = "prev_hash does not link"
TIME_BACKWARDS = "time goes backwards"


def gap_reason(expected_seq: int) -> str:
    return f"gap: expected seq {expected_seq}"


@dataclass(frozen=True, order=True)
class Failure:
    seq: int
    rank: int  # at the same seq the lower rank is reported
    reason: str


# A failure found on a row ranks 0 and wins a tie: it is the more specific statement.
RANK_ROW = 0
RANK_TRUNCATED = 1
RANK_HEAD = 2
RANK_SIGNATURE = 3




# -- walking a range of rows --------------------------------------------------------------------

Row = Sequence[Any]  # seq, at key, prev_hash, hash, canonical


class Marks:
    """Hashes that the events at given sequence numbers must have (checkpoints, the head)."""

    def __init__(self) -> None:
        self.by_seq: dict[int, list[tuple[bytes, Failure]]] = {}

    def add(self, seq: int, digest: bytes, failure: Failure) -> None:
        self.by_seq.setdefault(seq, []).append((digest, failure))

    def failure_at(self, seq: int, digest: bytes) -> Failure | None:
        for expected, failure in self.by_seq.get(seq, ()):
            if expected != digest:
                return failure
        return None

    def between(self, lo: int, hi: int) -> list[int]:
        return sorted(s for s in self.by_seq if lo <= s <= hi)


@dataclass
class Walk:
    """What walking the events ``lo..hi`` found."""

    lo: int
    hi: int
    checked: int = 0
    failure: Failure | None = None
    suspect: int | None = None  # SQL rendering and hash disagree here: ask chain_hash
    first_prev: bytes | None = None  # the first row's prev_hash, when the walk had no anchor
    first_at: Any = None
    last_hash: bytes | None = None  # of the last row verified
    last_at: Any = None


SUSPECT = Failure(0, -1, "suspect")


class Bottom:
    """Earlier than any time: the 'previous time' of the first event."""

    def __gt__(self, other: object) -> bool:
        return False

    def __lt__(self, other: object) -> bool:
        return True


BOTTOM: Any = Bottom()


def walk(batches: Iterable[Sequence[Row]], lo: int, hi: int, anchor: tuple[bytes, Any] | None,
          marks: Marks, hash_ok: Callable[[int, bytes, bytes], bool] | None) -> Walk:
    """Verify events ``lo..hi`` arriving in order.

    ``anchor`` is the previous event's (hash, at key); without one the first
    row's link is left to the caller (``first_prev``).  ``hash_ok`` settles a
    disagreement between the SQL rendering and the stored hash; without it the
    walk stops there and reports the row as ``suspect``.
    """
    walk = Walk(lo, hi)
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
                failure = classify(walk, seq, at, prev, digest, canonical, expect, prev_digest,
                                    prev_at, marks, hash_ok)
                if failure is SUSPECT:
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
            walk.failure = Failure(expect, RANK_ROW, gap_reason(expect))
    walk.checked = expect - lo
    walk.last_hash, walk.last_at = prev_digest, prev_at
    return walk


def classify(walk: Walk, seq: int, at: Any, prev: bytes, digest: bytes, canonical: bytes,
              expect: int, prev_digest: bytes | None, prev_at: Any, marks: Marks,
              hash_ok: Callable[[int, bytes, bytes], bool] | None) -> Failure | None:
    """Name what is wrong with one row, in a fixed order; ``None`` when nothing is."""
    if seq != expect:
        return Failure(expect, RANK_ROW, gap_reason(expect))
    unanchored = prev_digest is None
    if unanchored:
        walk.first_prev, walk.first_at = prev, at
    elif prev != prev_digest:
        return Failure(seq, RANK_ROW, PREV_HASH_UNLINKED)
    if hashlib.sha256(prev + canonical).digest() != digest:
        if hash_ok is None:
            return SUSPECT
        if not hash_ok(seq, prev, digest):
            return Failure(seq, RANK_ROW, HASH_MISMATCH)
    if not unanchored and at < prev_at:
        return Failure(seq, RANK_ROW, TIME_BACKWARDS)
    return marks.failure_at(seq, digest)


def join(walks: list[Walk]) -> tuple[Failure | None, int]:
    """Join contiguous walks, each after the first unanchored: (first failure, verified).

    A walk's first row was checked for everything but its link and its time,
    which need the previous walk's last row: checked here, in the same order
    as :func:`classify` (link, hash, time, marks).
    """
    checked = 0
    prev_hash: bytes | None = None
    prev_at: Any = BOTTOM
    for i, walk in enumerate(walks):
        if i > 0 and walk.first_prev is not None:  # None: a gap at its first row
            if walk.first_prev != prev_hash:
                return Failure(walk.lo, RANK_ROW, PREV_HASH_UNLINKED), checked
            first_hash_bad = walk.failure == Failure(walk.lo, RANK_ROW, HASH_MISMATCH)
            if not first_hash_bad and walk.first_at < prev_at:
                return Failure(walk.lo, RANK_ROW, TIME_BACKWARDS), checked
        checked += walk.checked
        if walk.failure is not None:
            return walk.failure, checked
        prev_hash, prev_at = walk.last_hash, walk.last_at
    return None, checked
