"""Aggregated statistics: counts over cases, referrals and actions, never a case.

Who reads which LIVCs is ``policies.statistics``; every request (the API, its CSV, the
dashboard pages) is decided and put on the ledger here, in the request's transaction.
Queries select grouping columns only -- never an id, a reference or a pseudonym -- and
everything published goes through :mod:`referral.dashboards.suppression`.  The only filter
by an identifier is the LIVC.

Which population a ``group_by`` counts: cases, unless it names a referral field
(``sphere_of_life``, ``outcome``); then referrals, with the case fields of the referral's case
and ``month`` the month of the offer.  Months are Brussels calendar months.

Every LIVC's table is its row of one table over every LIVC, suppressed as a whole, whoever
asks: the regional analyst's region total minus the other LIVCs' rows gives no LIVC's small
count away, and a chair is given the row the analyst is given.  Two-field tables are for the
readers of one LIVC (its chair and coordinator), suppressed against that LIVC's one-field
tables; whoever reads several LIVCs groups by one field (see :func:`crosses`).
"""

from __future__ import annotations

import statistics as stats
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.statistics import StatisticsFacts, statistics_livcs
from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core import calendar, errors
from referral.core.authz import authorize, record_read
from referral.dashboards import suppression
from referral.dashboards.suppression import HIDDEN, Count, Key
from referral.meetings.models import Action, Decision
from referral.organisations.models import Livc, Organisation

CASE_FIELDS = ("state", "context", "phase", "age_band", "month")
REFERRAL_FIELDS = ("sphere_of_life", "outcome")
FIELDS = CASE_FIELDS + REFERRAL_FIELDS
MAX_FIELDS = 2

# What became of an offer: accepted covers what was accepted and then worked on or ended.
OUTCOMES = {"offered": "pending", "accepted": "accepted", "active": "accepted",
            "completed": "accepted", "ended": "accepted", "declined": "declined",
            "withdrawn": "withdrawn", "expired": "expired"}
ANSWERED = ("accepted", "declined", "expired")  # the acceptance rate's denominator

# An action's follow-through, by status and due date (Brussels days).
ACTION_CATEGORIES = ("open_not_due", "open_overdue", "done_on_time", "done_late",
                     "not_possible", "not_done")

REVIEW_STATES = ("guidance", "aftercare")

_Row = TypeVarTuple("_Row")


@dataclass(frozen=True)
class Query:
    group_by: tuple[str, ...]
    livc_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_group_by(values: Iterable[str]) -> tuple[str, ...]:
    """``["state,month"]`` or ``["state", "month"]`` -> ("state", "month"); 422 naming
    ``group_by`` for an unknown field, a repeated one, none or too many."""
    fields = tuple(f.strip() for v in values for f in v.split(",") if f.strip())
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise errors.ValidationFailed({"group_by": [
            f"Unknown field {unknown[0]!r}: group by one or two of {', '.join(FIELDS)}."]})
    if not fields or len(fields) > MAX_FIELDS or len(set(fields)) != len(fields):
        raise errors.ValidationFailed({"group_by": [
            f"Group by one or two different fields of {', '.join(FIELDS)}."]})
    return fields


# -- who reads which LIVCs, on the ledger -----------------------------------------------------

def admit(s: Session, actor: Actor, query: Query, what: str) -> uuid.UUID | None:
    """The LIVC counted (None: every LIVC, for the regional analyst), after deciding and
    recording the request.  A chair or coordinator of several LIVCs names one: the sum of
    some LIVCs is no table of its own (it would be one more total to subtract from)."""
    view = query.livc_id
    if view is not None:
        if s.get(Livc, view) is None:
            raise errors.NotFound("No such LIVC.")
        authorize(actor, "statistics:livc", StatisticsFacts(view), object_type="livc",
                  object_id=view)
    else:
        livcs = statistics_livcs(actor)
        if livcs is not None:
            if len(livcs) != 1:
                raise errors.ValidationFailed({"livc_id": [
                    "Name the LIVC (livc_id): you read the statistics of several."]})
            view = next(iter(livcs))
    record_read(s, actor, "statistics:read", object_type="statistics",
                object_id=view, purpose=describe(what, query))
    return view


def describe(what: str, query: Query) -> str:
    parts = [what, "group_by=" + ",".join(query.group_by) if query.group_by else ""]
    parts += [f"{k}={v.isoformat()}" for k, v in (("since", query.since),
                                                  ("until", query.until)) if v]
    return "; ".join(p for p in parts if p)


# -- counting ---------------------------------------------------------------------------------

def _within(stmt: Select[*_Row], column: Any, livc_column: Any,
            livcs: frozenset[uuid.UUID] | None, query: Query) -> Select[*_Row]:
    if livcs is not None:
        stmt = stmt.where(livc_column.in_(livcs))
    if query.since is not None:
        stmt = stmt.where(column >= query.since)
    if query.until is not None:
        stmt = stmt.where(column < query.until)
    return stmt


def month_of(at: datetime) -> str:
    return calendar.local_date(at).strftime("%Y-%m")


def _case_values(livc_id: uuid.UUID, state: str, context: str, phase: str | None,
                 age_band: str, at: datetime) -> tuple[str, ...]:
    return (str(livc_id), state, context, phase or "unknown", age_band, month_of(at))


def rows(s: Session, query: Query, unit: str) -> list[tuple[str, ...]]:
    """One tuple per case (the LIVC and ``CASE_FIELDS``) or per referral (the LIVC and
    ``FIELDS``), of every LIVC: no id but the LIVC's, no reference, no pseudonym."""
    case_columns = (Case.livc_id, Case.state, Case.context, Case.phase, Case.age_band)
    if unit == "referrals":
        referrals = _within(select(*case_columns, Referral.offered_at, Referral.state,
                                   Referral.sphere_of_life)
                            .join(Case, Case.id == Referral.case_id),
                            Referral.offered_at, Case.livc_id, None, query)
        return [(*_case_values(livc, state, context, phase, age_band, offered_at),
                 sphere or "none", OUTCOMES[r_state])
                for livc, state, context, phase, age_band, offered_at, r_state, sphere
                in s.execute(referrals)]
    cases = _within(select(*case_columns, Case.opened_at), Case.opened_at, Case.livc_id,
                    None, query)
    return [_case_values(livc, state, context, phase, age_band, opened_at)
            for livc, state, context, phase, age_band, opened_at in s.execute(cases)]


def unit_of(fields: Iterable[str]) -> str:
    return "referrals" if any(f in REFERRAL_FIELDS for f in fields) else "cases"


def tally(values: Iterable[tuple[str, ...]], fields: tuple[str, ...]) -> dict[Key, int]:
    """The raw table of the LIVC and ``fields`` over :func:`rows` (not for publication)."""
    positions = [0] + [1 + FIELDS.index(f) for f in fields]
    return dict(Counter(tuple(v[i] for i in positions) for v in values))


def published(by_livc: Mapping[Key, int], view: uuid.UUID | None) -> dict[Key, Count]:
    """The published table of one LIVC (``view``) or of every LIVC together (None), from
    the raw table over every LIVC (keys: the LIVC, then the fields).

    Every LIVC's table is a row of one table over all LIVCs, suppressed as a whole: the
    region's figures minus the other LIVCs' cannot give a LIVC's small count away.  A
    LIVC's cross-tabulation of two fields is suppressed against its one-field tables as
    those publish them.
    """
    width = _width(by_livc)
    if view is None:
        return suppression.publish(suppression.margin(by_livc, tuple(range(1, width))))
    livc = str(view)
    if width == 2:
        return suppression.slice_of(by_livc, suppression.plan(by_livc).cells, livc)
    given: dict[tuple[int, ...], frozenset[Key]] = {
        (): frozenset({()}) if livc_total(by_livc, view) == HIDDEN else frozenset()}
    for i in range(1, width):
        row = suppression.margin(by_livc, (0, i))
        given[(i - 1,)] = frozenset(k[1:] for k in suppression.plan(row).cells
                                    if k[0] == livc)
    own = {k[1:]: n for k, n in by_livc.items() if k[0] == livc and n}
    return suppression.publish_given(own, given)


def livc_total(by_livc: Mapping[Key, int], view: uuid.UUID | None) -> Count:
    """The total of ``view`` as the table of cases per LIVC publishes it."""
    if view is None:
        return suppression.publish_total(by_livc)
    per_livc = suppression.margin(by_livc, (0,))
    shown = suppression.publish(per_livc)
    return shown.get((str(view),), 0)


def crosses(actor: Actor) -> bool:
    """Whether ``actor`` is given two-field tables: only a reader of one LIVC.  Beside
    every LIVC's one-field tables and the region's, one LIVC's cross-tabulation can be
    undone through the region's totals (tests/dashboards/test_suppression.py proves a
    LIVC's cross-tabulation against its own one-field tables, not against the region)."""
    livcs = statistics_livcs(actor)
    return livcs is not None and len(livcs) == 1


def _width(table: Mapping[Key, int]) -> int:
    return len(next(iter(table))) if table else 0


def calendar_year(query: Query) -> Query:
    """The query's period as one Brussels calendar year (none given: this year).

    Periods are a fixed partition, never chosen freely: with any two overlapping periods
    published, January-June minus January-May is June, and a suppressed count of June falls
    out by subtraction.  Years do not overlap, and no table spans several of them, so no
    published table is the sum of others.  (Figures of the current year still grow from one
    day to the next; the suppression holds for each day's answer.)
    """
    if query.since is None and query.until is None:
        year = calendar.today().year
    else:
        since = calendar.local_date(query.since) if query.since else None
        year = since.year if since else 0
        start, end = (calendar.start_of_day(date(year, 1, 1)),
                      calendar.start_of_day(date(year + 1, 1, 1))) if year else (None, None)
        if query.since != start or query.until != end:
            raise errors.ValidationFailed({"since": [
                "A period is one calendar year in Brussels time: since=YYYY-01-01 (00:00 "
                "Europe/Brussels) and until the next 1 January; overlapping periods would "
                "let small counts be derived by subtraction."]})
    return replace(query, since=calendar.start_of_day(date(year, 1, 1)),
                   until=calendar.start_of_day(date(year + 1, 1, 1)))


def statistics(s: Session, actor: Actor, query: Query, what: str = "api") -> dict[str, Any]:
    """``GET /api/v1/statistics``: ``{cells, suppressed, unit, group_by}``."""
    query = calendar_year(query)
    view = admit(s, actor, query, what)
    if len(query.group_by) > 1 and not crosses(actor):
        raise errors.ValidationFailed({"group_by": [
            "Whoever reads several LIVCs groups by one field: two-field tables are for a "
            "LIVC's own chair and coordinator."]})
    shown = published(tally(rows(s, query, unit_of(query.group_by)), query.group_by), view)
    result = [{**dict(zip(query.group_by, key, strict=True)), "count": n}
              for key, n in shown.items()]
    return {"cells": result, "suppressed": sum(c["count"] == HIDDEN for c in result),
            "unit": unit_of(query.group_by), "group_by": list(query.group_by)}


# -- the dashboard's tables -------------------------------------------------------------------

@dataclass(frozen=True)
class OneWay:
    """A published one-field table with its total (as the total's own query gives it)."""

    rows: list[tuple[str, Count]]
    total: Count


@dataclass(frozen=True)
class TwoWay:
    """A published two-field table with its margins (each as its own query gives it).
    Not ``crossed``: the margins alone (the region is not cross-tabulated)."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Count]
    row_totals: dict[str, Count]
    column_totals: dict[str, Count]
    total: Count
    crossed: bool = True


def _ordered(keys: Iterable[str], order: Iterable[str]) -> list[str]:
    present, wanted = set(keys), list(order)
    return [k for k in wanted if k in present] + sorted(present - set(wanted))


def one_way(by_livc: Mapping[Key, int], view: uuid.UUID | None, order: Iterable[str] = ()
            ) -> OneWay:
    """One field of ``view`` (a LIVC, or None: every LIVC) from the table over every LIVC."""
    shown = published(by_livc, view) if by_livc else {}
    ranked = _ordered((k for (k,) in shown), order)
    return OneWay([(k, shown[(k,)]) for k in ranked], livc_total(by_livc, view))


def two_way(by_livc: Mapping[Key, int], view: uuid.UUID | None, crossed: bool,
            row_order: Iterable[str] = (), column_order: Iterable[str] = ()) -> TwoWay:
    """Two fields of ``view`` with its one-field tables as margins; not ``crossed`` (for
    whoever reads several LIVCs: :func:`crosses`), the margins only."""
    crossed = crossed and view is not None
    rows = published(suppression.margin(by_livc, (0, 1)), view) if by_livc else {}
    columns = published(suppression.margin(by_livc, (0, 2)), view) if by_livc else {}
    cells = published(by_livc, view) if by_livc and crossed else {}
    return TwoWay(_ordered((r for (r,) in rows), row_order),
                  _ordered((c for (c,) in columns), column_order),
                  {(k[0], k[1]): v for k, v in cells.items()},
                  {r: v for (r,), v in rows.items()}, {c: v for (c,), v in columns.items()},
                  livc_total(by_livc, view), crossed=crossed)


def median_or_none(values: list[float]) -> float | None:
    """A median over at least five values (never one person's own figure)."""
    return round(stats.median(values), 1) if len(values) >= suppression.SMALL else None


def acceptance_rates(referrals: TwoWay) -> dict[str, int | None]:
    """Accepted / (accepted + declined + expired) per sphere, in percent -- only where each
    of these counts is published exactly (a rate beside a hidden count would reveal it)."""
    rates: dict[str, int | None] = {}
    for sphere in [*referrals.rows, ""]:
        parts = [referrals.column_totals.get(o, 0) if sphere == "" else
                 referrals.cells.get((sphere, o), 0) for o in ANSWERED]
        exact = [p for p in parts if isinstance(p, int)]
        if len(exact) < len(parts) or not sum(exact):
            rates[sphere] = None
        else:
            rates[sphere] = round(100 * exact[0] / sum(exact))
    return rates


def dashboard(s: Session, actor: Actor, query: Query, what: str = "dashboard"
              ) -> dict[str, Any]:
    """Every table of the dashboard of one LIVC, or of every LIVC together (one ledger
    event for the page)."""
    query = calendar_year(query)
    view = admit(s, actor, query, what)
    livcs = None if view is None else frozenset({view})
    cases = rows(s, query, "cases")  # one scan for every case table

    def one(field: str) -> OneWay:
        return one_way(tally(cases, (field,)), view)

    crossed = crosses(actor)
    referrals = two_way(tally(rows(s, query, "referrals"), ("sphere_of_life", "outcome")),
                        view, crossed, column_order=("accepted", "declined", "expired",
                                                     "withdrawn", "pending"))
    result: dict[str, Any] = {
        "cases_by_state": one("state"), "cases_by_month": one("month"),
        "cases_by_context": one("context"), "cases_by_age_band": one("age_band"),
        "referrals": referrals, "acceptance": acceptance_rates(referrals),
        "response_days": _response_days(s, livcs, query),
        "decision_days": _decision_days(s, livcs, query),
        "reviews_overdue": _reviews_overdue(s, view),
        "actions": two_way(_actions(s, query), view, crossed,
                           column_order=ACTION_CATEGORIES),
    }
    if view is None:
        names = {i: name for i, name in s.execute(select(Livc.id, Livc.name))}  # noqa: C416
        per_livc = suppression.publish(suppression.margin(tally(cases, ()), (0,)))
        result["cases_by_livc"] = OneWay(
            sorted(((names.get(uuid.UUID(k), k), n) for (k,), n in per_livc.items())),
            suppression.publish_total(tally(cases, ())))
    return result


def _response_days(s: Session, livcs: frozenset[uuid.UUID] | None, query: Query
                   ) -> dict[str, float | None]:
    """Median working days from offer to answer (accepted or declined), per sphere."""
    stmt = _within(select(Referral.sphere_of_life, Referral.offered_at, Referral.decided_at)
                   .join(Case, Case.id == Referral.case_id)
                   .where(Referral.decided_at.is_not(None)),
                   Referral.offered_at, Case.livc_id, livcs, query)
    days: dict[str, list[float]] = {"": []}
    for sphere, offered_at, decided_at in s.execute(stmt):
        if decided_at is None:
            continue
        n = calendar.working_days_between(calendar.local_date(offered_at),
                                          calendar.local_date(decided_at))
        days.setdefault(sphere or "none", []).append(n)
        days[""].append(n)
    return {k: median_or_none(v) for k, v in days.items()}


def _decision_days(s: Session, livcs: frozenset[uuid.UUID] | None, query: Query
                   ) -> float | None:
    """Median calendar days from the signal to the case's first LIVC decision."""
    first = (select(Decision.case_id, func.min(Decision.decided_at).label("at"))
             .group_by(Decision.case_id).subquery())
    stmt = _within(select(Case.opened_at, first.c.at).join(first, first.c.case_id == Case.id),
                   Case.opened_at, Case.livc_id, livcs, query)
    return median_or_none([max(0, (at - opened).days) for opened, at in s.execute(stmt)])


def _reviews_overdue(s: Session, view: uuid.UUID | None) -> Count:
    """Cases in guidance or aftercare whose review is past due today (a count now: the
    period does not apply), as the table of these counts per LIVC publishes it."""
    stmt = (select(Case.livc_id, func.count()).where(
        Case.state.in_(REVIEW_STATES), Case.next_review_due < calendar.today())
        .group_by(Case.livc_id))
    per_livc: dict[Key, int] = {(str(livc),): n for livc, n in s.execute(stmt)}
    return livc_total(per_livc, view)


def action_category(status: str, due: Any, done_at: datetime | None, today: Any) -> str:
    if status == "open":
        return "open_overdue" if due < today else "open_not_due"
    if status == "done":
        return "done_on_time" if done_at is not None and \
            calendar.local_date(done_at) <= due else "done_late"
    return status


def _actions(s: Session, query: Query) -> dict[Key, int]:
    """Actions per LIVC, owner organisation and follow-through (decided in the period)."""
    stmt = _within(select(Case.livc_id, Organisation.name, Action.status, Action.due,
                          Action.done_at)
                   .join(Organisation, Organisation.id == Action.organisation_id)
                   .join(Case, Case.id == Action.case_id),
                   Action.created_at, Case.livc_id, None, query)
    today = calendar.today()
    raw: Counter[Key] = Counter()
    for livc, name, status, due, done_at in s.execute(stmt):
        raw[(str(livc), name, action_category(status, due, done_at, today))] += 1
    return dict(raw)


def readable_livcs(s: Session, actor: Actor) -> list[Livc]:
    """The LIVCs the actor may pick on the dashboard (by name)."""
    livcs = statistics_livcs(actor)
    stmt = select(Livc).order_by(Livc.name)
    if livcs is not None:
        stmt = stmt.where(Livc.id.in_(livcs))
    return list(s.scalars(stmt))
