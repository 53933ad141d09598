"""Small-count suppression with complementary suppression: pure functions over a table.

A table maps cell keys (one value per grouped field, e.g. ``("guidance", "2026-03")``) to
counts.  Published, a count from 1 to 4 reads ``"<5"`` (primary suppression).  That alone is
not enough: whoever knows a row's total and the row's other cells subtracts and recovers the
suppressed one.  The totals of a table are themselves published -- every margin of a
``group_by`` is the answer to a coarser ``group_by`` -- so the cells of a table are suppressed
against all of its margins (every coarser grouping, down to the grand total), each margin
suppressed exactly as its own query suppresses it.

Complementary suppression then hides further cells until no small count, in the table or in
any of its margins, can be derived *exactly* by adding and subtracting what is published:

1. a published total with exactly one suppressed cell gives that cell away: the smallest
   unsuppressed cell of that line is suppressed as well (repeated until no such line is left);
2. lines can still combine (two cycles joined by one cell, a margin pinned by the finer
   table): the published equations are solved exactly (rational row reduction), and while a
   small count is determined, the smallest unsuppressed cell sharing a line with it is
   suppressed too.

Zeros are published as absent cells: "nobody" says nothing about anyone.  But a zero
tells how the others add up (in ``group_by=state,month`` a month with no case in screening
makes that month's total a sum of the other states), so inside the combinations of the values
that occur a zero is a candidate for complementary suppression too -- the last one, when no
count is left to hide -- and is then published as ``"<5"`` (which means: 0 to 4).
A count of 5 or more that the equations happen to determine is not protected: it is no small
count -- except, with :func:`publish_given`, a margin another table hides, which may be the
complement that table relies on.

What the property tests prove (tests/dashboards/test_suppression.py): a table of one or two
fields with all its margins, and one value's slice of a table (one LIVC of a table over every
LIVC) with its margins as that table publishes them.  Not proved, and so not offered by the
statistics service: three-field tables, and the region's totals beside the LIVCs' own
cross-tabulations -- the random tests find counterexamples for both.  Not covered either:
differencing between requests with different periods (``since``/``until``), and two
cross-tabulations that share one field (``state,month`` beside ``state,context``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

SMALL = 5
HIDDEN = "<5"
# Published counts are rounded to a multiple of this (2 down, 3 up): exact totals, however
# well each table is suppressed, combine across tables and queries -- five categories of
# "<5" under a total of exactly 5 are five ones.  Rounded, no equation has an exact answer.
BASE = 5


def rounded(n: int) -> int:
    """``n`` (0, or 5 and more) to the nearest multiple of :data:`BASE` (7 -> 5, 8 -> 10)."""
    return 0 if n == 0 else max(BASE, (n + BASE // 2) // BASE * BASE)

Key = tuple[str, ...]
Dims = tuple[int, ...]  # positions of the grouped fields a margin keeps
Count = int | str


def is_small(n: int) -> bool:
    return 0 < n < SMALL


def margin(counts: Mapping[Key, int], keep: Dims) -> dict[Key, int]:
    """The table summed over every field not in ``keep`` (zero cells left out)."""
    out: dict[Key, int] = {}
    for key, n in counts.items():
        if n:
            sub = tuple(key[i] for i in keep)
            out[sub] = out.get(sub, 0) + n
    return out


@dataclass(frozen=True)
class Plan:
    """What is hidden in a table and in each of its margins (by the fields kept)."""

    width: int
    hidden: Mapping[Dims, frozenset[Key]]

    @property
    def cells(self) -> frozenset[Key]:
        return self.hidden[tuple(range(self.width))]


def plan(counts: Mapping[Key, int], unoffered: frozenset[Dims] = frozenset()) -> Plan:
    """Suppress ``counts`` and, first, each of its margins (each as its own query would).

    ``unoffered``: margins no query publishes (they count as wholly hidden).
    """
    width = _width(counts)
    margins = {dims: margin(counts, dims) for dims in _subsets(width)}
    hidden: dict[Dims, frozenset[Key]] = {}
    for dims in _subsets(width):  # coarsest first: a table is suppressed against its margins
        hidden[dims] = _suppress(dims, margins, hidden, unoffered)
    return Plan(width, hidden)


def publish(counts: Mapping[Key, int], unoffered: frozenset[Dims] = frozenset()
            ) -> dict[Key, Count]:
    """The published cells: counts of 5 or more as they are, the suppressed as ``"<5"``
    (a zero among them too); the other zero cells are left out."""
    return _shown(counts, plan(counts, unoffered).cells)


def publish_given(counts: Mapping[Key, int], given: Mapping[Dims, frozenset[Key]]
                  ) -> dict[Key, Count]:
    """Like :func:`publish`, against margins whose hidden cells are ``given`` (as another
    table publishes them: one LIVC's row of a table over every LIVC); the margins not given
    are suppressed as their own query would."""
    width = _width(counts)
    margins = {dims: margin(counts, dims) for dims in _subsets(width)}
    hidden: dict[Dims, frozenset[Key]] = dict(given)
    for dims in _subsets(width):
        if dims not in hidden:
            # What the other table hides must stay hidden, whatever its count: it may be
            # the complement that keeps a small count of that table open.
            hidden[dims] = _suppress(dims, margins, hidden, frozenset(), frozenset(given))
    return _shown(counts, hidden[tuple(range(width))])


def slice_of(counts: Mapping[Key, int], hidden: frozenset[Key], first: str
             ) -> dict[Key, Count]:
    """The published cells of one value of a table's first field (one LIVC of a table over
    every LIVC), without that field."""
    cells: dict[Key, Count] = {k[1:]: rounded(n) for k, n in counts.items()
                               if k[0] == first and n}
    cells.update({k[1:]: HIDDEN for k in hidden if k[0] == first})
    return dict(sorted(cells.items()))


def _shown(counts: Mapping[Key, int], hidden: frozenset[Key]) -> dict[Key, Count]:
    shown: dict[Key, Count] = {key: rounded(n) for key, n in counts.items() if n}
    shown.update(dict.fromkeys(hidden, HIDDEN))
    return dict(sorted(shown.items()))


def publish_total(counts: Mapping[Key, int]) -> Count:
    """The grand total as its own query publishes it."""
    total = sum(counts.values())
    return HIDDEN if is_small(total) else rounded(total)


def _width(counts: Mapping[Key, int]) -> int:
    widths = {len(k) for k in counts}
    if len(widths) > 1:
        raise ValueError("every cell key needs one value per grouped field")
    return widths.pop() if widths else 0


def _subsets(width: int) -> list[Dims]:
    return [dims for size in range(width + 1)
            for dims in itertools.combinations(range(width), size)]


def _project(key: Key, dims: Dims, onto: Dims) -> Key:
    return tuple(key[dims.index(i)] for i in onto)


# A line: a margin cell of the table (a row, a column, a total), as (margin dims, margin key).
Line = tuple[Dims, Key]


def _suppress(dims: Dims, margins: Mapping[Dims, Mapping[Key, int]],
              hidden: Mapping[Dims, frozenset[Key]], unoffered: frozenset[Dims],
              strict: frozenset[Dims] = frozenset()) -> frozenset[Key]:
    # Every combination of the values that occur: a zero inside it is published too.  A
    # value whose margin another table hides is there even at zero, with its cells hidden:
    # an absent row would say the hidden margin is 0.
    seen = [sorted({k[0] for k in margins[(d,)]} | {k[0] for k in hidden.get((d,), ())})
            for d in dims]
    table = {key: margins[dims].get(key, 0) for key in itertools.product(*seen)}
    suppressed = {key for key, n in table.items() if is_small(n)}
    if len(dims) > 1:
        suppressed |= {key for key in table for i, d in enumerate(dims)
                       if (key[i],) in hidden.get((d,), ()) and not margins[(d,)].get((key[i],))}
    members: dict[Line, list[Key]] = {}
    for onto in _subsets(len(dims))[:-1]:
        kept = tuple(dims[i] for i in onto)
        for key in sorted(table):
            members.setdefault((kept, _project(key, dims, kept)), []).append(key)
    published = {line: line[0] not in unoffered and line[1] not in hidden[line[0]]
                 for line in members}
    # A cell in a published line of total 0 is known to be 0: hiding it protects nothing.
    known_zero = {k for line, keys in members.items()
                  if published[line] and not margins[line[0]].get(line[1]) for k in keys}

    def smallest(pool: Iterable[Key]) -> Key | None:
        free = [k for k in pool if k not in suppressed and k not in known_zero]
        # The smallest count first; a zero only when no count is left to hide (it hides
        # nothing, but every hidden zero is one more "<5" for a reader to puzzle over).
        return min(free, key=lambda k: (table[k] == 0, table[k], k)) if free else None

    while True:
        _lone_cells(members, published, suppressed, smallest)
        exposed = _determined(table, margins, suppressed, members, published, strict)
        if not exposed:
            return frozenset(suppressed)
        kind, what = exposed[0]
        if kind == "cell":
            near: list[Key] = [k for line, keys in members.items() if what in keys for k in keys]
        else:
            near = members[what]  # type: ignore[index]
        pick = smallest(near) or smallest(table)
        if pick is None:
            return frozenset(suppressed)  # everything is hidden already
        suppressed.add(pick)


def _lone_cells(members: Mapping[Line, list[Key]], published: Mapping[Line, bool],
                suppressed: set[Key], smallest: object) -> None:
    """Rule 1: no published total with exactly one suppressed cell."""
    changed = True
    while changed:
        changed = False
        for line, keys in members.items():
            if published[line] and sum(k in suppressed for k in keys) == 1:
                pick = smallest(keys)  # type: ignore[operator]
                if pick is not None:
                    suppressed.add(pick)
                    changed = True


def _determined(table: Mapping[Key, int], margins: Mapping[Dims, Mapping[Key, int]],
                suppressed: set[Key], members: Mapping[Line, list[Key]],
                published: Mapping[Line, bool], strict: frozenset[Dims] = frozenset()
                ) -> list[tuple[str, object]]:
    """Rule 2: the small counts (hidden cells, hidden margins) that the published cells and
    totals determine exactly.  Each line is an equation ``total = sum of its cells``; known
    values are constants, the hidden ones unknowns; an unknown is determined when the
    reduced system has a row holding it alone."""
    unknowns: list[tuple[str, object]] = [("cell", k) for k in sorted(suppressed)]
    unknowns += [("line", line) for line in members if not published[line]]
    index = {u: i for i, u in enumerate(unknowns)}
    rows = []
    for line, keys in members.items():
        row = {index[("cell", k)]: Fraction(-1) for k in keys if k in suppressed}
        if not published[line]:
            row[index[("line", line)]] = Fraction(1)
        if row:
            rows.append(row)
    exposed = []
    for col in _lone_pivots(rows):
        kind, what = unknowns[col]
        value = table[what] if kind == "cell" else margins[what[0]].get(what[1], 0)  # type: ignore[index]
        if is_small(value) or (kind == "line" and what[0] in strict):  # type: ignore[index]
            exposed.append((kind, what))
    return exposed


def _lone_pivots(rows: list[dict[int, Fraction]]) -> list[int]:
    """Columns that some row of the reduced row echelon form holds alone."""
    basis: dict[int, dict[int, Fraction]] = {}  # pivot column -> its row (pivot 1)
    for raw in rows:
        row = dict(raw)
        for col in [c for c in row if c in basis]:
            factor = row.get(col)
            if factor:
                for c, v in basis[col].items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        for other in basis.values():
            factor = other.get(pivot)
            if factor:
                for c, v in row.items():
                    other[c] = other.get(c, Fraction(0)) - factor * v
                for c in [c for c, v in other.items() if not v]:
                    del other[c]
        basis[pivot] = row
    return sorted(col for col, row in basis.items() if len(row) == 1)
