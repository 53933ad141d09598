"""Complementary suppression, proved on random tables.

The checker here is written independently of referral.dashboards.suppression: it takes
only what a reader gets -- the published cells of the table and the published cells of each
coarser grouping (each margin's own query) -- writes every total as the sum of its cells,
and asks, by comparing ranks, whether any small count is determined exactly.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral.dashboards.suppression import HIDDEN, margin, publish, publish_total, rounded

VALUES = ("a", "b", "c", "d", "e")


@st.composite
def tables(draw, max_width: int = 2):
    width = draw(st.integers(1, max_width))
    sizes = [draw(st.integers(1, 6)) for _ in range(width)]
    count = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 30))
    return {key: draw(count)
            for key in itertools.product(*(VALUES[:n] for n in sizes))}


def _rank(rows: list[dict[object, Fraction]]) -> int:
    rows = [dict(r) for r in rows if r]
    rank = 0
    while rows:
        row = rows.pop()
        col = next(iter(row))
        pivot = row[col]
        rest = []
        for other in rows:
            reduced = other
            if col in other:
                f = other[col] / pivot
                for c, v in row.items():
                    other[c] = other.get(c, Fraction(0)) - f * v
                reduced = {c: v for c, v in other.items() if v}
            if reduced:
                rest.append(reduced)
        rows = rest
        rank += 1
    return rank


def _reader_equations(counts):
    """What a reader can write down: (equations over unknowns, the small unknowns)."""
    width = len(next(iter(counts)))
    cells = publish(counts)
    unknown_cells = {k for k, v in cells.items() if v == HIDDEN}
    small: list[object] = [("cell", k) for k in unknown_cells if 0 < counts.get(k, 0) < 5]
    rows = []
    for size in range(width):
        for keep in itertools.combinations(range(width), size):
            totals = margin(counts, keep)
            shown = publish(totals) if keep else {(): publish_total(counts)}
            for t, total in totals.items():
                row: dict[object, Fraction] = {}
                if shown[t] == HIDDEN:
                    row[("total", keep, t)] = Fraction(1)
                    if 0 < total < 5:
                        small.append(("total", keep, t))
                for k in unknown_cells:
                    if tuple(k[i] for i in keep) == t:
                        row[("cell", k)] = Fraction(-1)
                if row:
                    rows.append(row)
    return rows, small


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_small_count_can_be_derived_from_what_is_published(counts):
    rows, small = _reader_equations(counts)
    base = _rank(rows)
    for unknown in small:
        assert _rank([*rows, {unknown: Fraction(1)}]) > base, \
            f"{unknown} is determined by the published cells and totals of {counts}"


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_published_total_has_exactly_one_suppressed_cell(counts):
    width = len(next(iter(counts)))
    cells = publish(counts)
    for size in range(width):
        for keep in itertools.combinations(range(width), size):
            totals = margin(counts, keep)
            shown = publish(totals) if keep else {(): publish_total(counts)}
            for t in totals:
                if shown[t] == HIDDEN:
                    continue
                hidden = [k for k, v in cells.items()
                          if v == HIDDEN and tuple(k[i] for i in keep) == t]
                assert len(hidden) != 1, (keep, t, counts)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_small_counts_read_less_than_five_and_the_rest_are_rounded(counts):
    cells = publish(counts)
    for key, n in counts.items():
        if n == 0:
            assert cells.get(key, HIDDEN) == HIDDEN  # absent, or hidden as a complement
        elif n < 5:
            assert cells[key] == HIDDEN
        else:
            assert cells[key] in (rounded(n), HIDDEN)
    assert set(cells.values()) <= {HIDDEN} | set(range(5, 35, 5))


def test_published_counts_are_rounded_to_five():
    assert [rounded(n) for n in (5, 6, 7, 8, 9, 10, 12, 13)] == [5, 5, 5, 10, 10, 10, 10, 15]
    # Five states of one case each under an exact total of 5 would be five ones: rounded,
    # the total of 5 is anything from 3 to 7.
    assert publish_total({("a",): 1, ("b",): 1, ("c",): 1, ("d",): 1, ("e",): 2}) == 5


def test_a_row_total_does_not_give_away_its_one_small_cell():
    # Cases by state, with the total shown: 3 hidden alone would be 16 - 7 - 6.
    cells = publish({("screening",): 3, ("guidance",): 7, ("closed",): 6})
    assert cells == {("screening",): HIDDEN, ("guidance",): 5, ("closed",): HIDDEN}
    assert publish_total({("x",): 16}) == 15


def test_cells_linked_through_two_lines_are_hidden_together():
    # Two by two: a single small cell takes its row, its column and the opposite corner.
    cells = publish({("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 8, ("b", "y"): 12})
    assert set(cells.values()) == {HIDDEN}


def test_a_published_margin_does_not_reveal_a_cell_through_the_grand_total():
    # The row totals publish 7 for b (3 and 6 hidden together): with b's row published,
    # 16 - 7 - 6 would give the 3 away, so the 6 is hidden in the finer table as well.
    counts = {("a", "x"): 3, ("b", "y"): 7, ("c", "y"): 6}
    cells = publish(counts)
    assert publish(margin(counts, (0,))) == {("a",): HIDDEN, ("b",): 5, ("c",): HIDDEN}
    assert cells == {("a", "x"): HIDDEN, ("b", "y"): 5, ("c", "y"): HIDDEN}
    rows, small = _reader_equations(counts)
    assert all(_rank([*rows, {u: Fraction(1)}]) > _rank(rows) for u in small)


def test_a_zero_is_hidden_when_the_zeros_would_tell():
    # Column a holds 1 + 1 (hidden in the column totals with the 5 of column b); rows b
    # and c are nothing but column a, and row a is 5: with every zero published, column a
    # would be the grand total 7 minus row a.  A zero reads "<5" to keep it open.
    counts = {("a", "b"): 5, ("b", "a"): 1, ("c", "a"): 1}
    cells = publish(counts)
    assert HIDDEN in {cells.get(k) for k in (("a", "a"), ("b", "b"), ("c", "b"))}
    rows, small = _reader_equations(counts)
    assert all(_rank([*rows, {u: Fraction(1)}]) > _rank(rows) for u in small)


def test_margins_are_suppressed_as_their_own_query_does():
    counts = {("a", "x"): 3, ("a", "y"): 9, ("b", "x"): 12, ("b", "y"): 1}
    assert publish(margin(counts, (0,))) == {("a",): 10, ("b",): 15}  # 12 and 13, rounded
    assert publish({}) == {}
    assert publish_total({}) == 0


@st.composite
def livc_tables(draw):
    """(LIVC, field, field) tables: the cross-tabulations of each LIVC."""
    sizes = [draw(st.integers(2, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    count = st.one_of(st.just(0), st.just(0), st.integers(1, 4), st.integers(5, 20))
    return {key: draw(count) for key in itertools.product(*(VALUES[:n] for n in sizes))}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(livc_tables())
def test_a_livc_s_cross_tabulation_with_its_one_field_tables_reveals_no_small_count(counts):
    """What a LIVC's chair reads: the LIVC's cross-tabulation, its one-field tables (its
    rows of the tables over every LIVC) and its total -- also the small counts hidden in
    those rows, which the rows of the other LIVCs rely on, stay open."""
    import uuid

    from referral.dashboards.statistics import livc_total, published

    livcs = {v: uuid.UUID(int=i + 1) for i, v in enumerate(VALUES)}
    by_livc = {(str(livcs[k[0]]), *k[1:]): n for k, n in counts.items() if n}
    for livc in {uuid.UUID(k[0]) for k in by_livc}:
        own = {k[1:]: n for k, n in by_livc.items() if k[0] == str(livc)}
        cells = published(by_livc, livc)
        hidden = [k for k, v in cells.items() if v == HIDDEN]
        small: list[object] = [("cell", k) for k in hidden if 0 < own.get(k, 0) < 5]
        rows: list[dict[object, Fraction]] = []
        margins = {(0,): published(margin(by_livc, (0, 1)), livc),
                   (1,): published(margin(by_livc, (0, 2)), livc),
                   (): {(): livc_total(by_livc, livc)}}
        for keep, shown in margins.items():
            for key, total in margin(own, keep).items():
                row: dict[object, Fraction] = {("cell", k): Fraction(-1) for k in hidden
                                               if tuple(k[i] for i in keep) == key}
                if shown.get(key, 0) == HIDDEN:
                    row[("total", keep, key)] = Fraction(1)
                    if 0 < total < 5:
                        small.append(("total", keep, key))
                    if keep:  # another LIVC's row may lean on it: it stays open
                        small.append(("total", keep, key))
                if row:
                    rows.append(row)
        base = _rank(rows)
        for unknown in small:
            assert _rank([*rows, {unknown: Fraction(1)}]) > base, (livc, unknown, counts)
