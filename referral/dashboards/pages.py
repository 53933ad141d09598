"""The dashboards: a LIVC's figures for its chair and coordinator, and the regional view
of every LIVC for the regional analyst.

The pages call the service the API calls (:mod:`referral.dashboards.statistics`): the same
decision, the same ledger event, the same suppressed numbers.  Each chart is drawn from the
table beside it; nothing links from a count to the cases behind it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from policies.statistics import statistics_livcs
from referral.core import calendar, db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize
from referral.core.transaction import run_in_transaction
from referral.dashboards import charts, statistics
from referral.dashboards.statistics import OneWay, Query, TwoWay
from referral.organisations.models import Livc
from referral.web.labels import label
from referral.web.pages import page

bp = Blueprint("dashboard_pages", __name__, url_prefix="/dashboard")

OUTCOME_LABELS = {"pending": _l("Awaiting an answer"), "accepted": _l("Accepted"),
                  "declined": _l("Declined"), "withdrawn": _l("Withdrawn"),
                  "expired": _l("Expired unanswered")}
ACTION_LABELS = {"open_not_due": _l("Open, not yet due"), "open_overdue": _l("Open, overdue"),
                 "done_on_time": _l("Done on time"), "done_late": _l("Done late"),
                 "not_possible": _l("Not possible"), "not_done": _l("Not done")}


def _value_label(field: str, value: str) -> str:
    if field == "month":
        year, month = value.split("-")
        return format_date(date(int(year), int(month), 1), "LLLL y")
    if field == "age_band":
        return _("Age unknown") if value == "unknown" else value
    if field == "sphere_of_life":
        return _("Coordination (no sphere of life)") if value == "none" else label(value,
                                                                                   "sphere")
    if field == "outcome":
        return str(OUTCOME_LABELS.get(value, value))
    if field == "action":
        return str(ACTION_LABELS.get(value, value))
    if field in {"state", "context", "phase"}:
        return label(value, field)
    return value  # LIVC and organisation names


def _rows(table: OneWay, field: str) -> list[tuple[str, Any]]:
    return [(_value_label(field, k), n) for k, n in table.rows]


def _grid(table: TwoWay, row_field: str, column_field: str) -> dict[str, Any]:
    return {"columns": [(c, _value_label(column_field, c)) for c in table.columns],
            "rows": [(r, _value_label(row_field, r)) for r in table.rows],
            "cells": table.cells, "row_totals": table.row_totals,
            "column_totals": table.column_totals, "total": table.total,
            "crossed": table.crossed}


YEARS_SHOWN = 6


def _period() -> tuple[dict[str, str], dict[str, list[str]], datetime | None, datetime | None]:
    """The form's calendar year (Brussels): values, errors, UTC bounds.  One year, never a
    free period: see ``statistics.calendar_year``."""
    this_year = calendar.today().year
    raw = request.args.get("year", "").strip() or str(this_year)
    values = {"year": raw}
    if not raw.isdigit() or not this_year - 50 <= int(raw) <= this_year:
        return values, {"year": [_("Choose a year from the list.")]}, None, None
    year = int(raw)
    return (values, {}, calendar.start_of_day(date(year, 1, 1)),
            calendar.start_of_day(date(year + 1, 1, 1)))


def _admit(action: str) -> Response | None:
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _view(livc: Livc | None, regional: bool) -> Any:
    values, problems, since, until = _period()
    actor = current_actor()
    query = Query((), livc.id if livc else None, since, until)
    found = run_in_transaction(lambda: statistics.dashboard(
        db.session(), actor, query, "regional dashboard" if regional else "dashboard"))
    by_state = _rows(found["cases_by_state"], "state")
    by_month = _rows(found["cases_by_month"], "month")
    referrals = found["referrals"]
    by_sphere = [(_value_label("sphere_of_life", r), referrals.row_totals[r])
                 for r in referrals.rows]
    actions = found["actions"]
    follow_through = [(_value_label("action", c), actions.column_totals[c])
                      for c in actions.columns]
    context: dict[str, Any] = {
        "livc": livc, "regional": regional, "values": values, "errors": problems,
        "years": list(range(calendar.today().year, calendar.today().year - YEARS_SHOWN, -1)),
        "can_region": statistics_livcs(actor) is None, "can_cross": statistics.crosses(actor),
        "csv_args": {k: v for k, v in (("livc_id", str(livc.id) if livc else None),
                                       ("since", since.isoformat() if since else None),
                                       ("until", until.isoformat() if until else None)) if v},
        "livcs": statistics.readable_livcs(db.session(), actor),
        "by_state": by_state, "by_state_total": found["cases_by_state"].total,
        "by_month": by_month, "by_month_total": found["cases_by_month"].total,
        "by_context": _rows(found["cases_by_context"], "context"),
        "by_age_band": _rows(found["cases_by_age_band"], "age_band"),
        "cases_total": found["cases_by_state"].total,
        "referrals": _grid(referrals, "sphere_of_life", "outcome"),
        "acceptance": found["acceptance"], "response_days": found["response_days"],
        "decision_days": found["decision_days"], "reviews_overdue": found["reviews_overdue"],
        "actions": _grid(actions, "organisation", "action"),
        "charts": {
            "state": charts.bar_chart(_("Cases by state"), by_state),
            "month": charts.bar_chart(_("Cases by month of the signal"), by_month,
                                      horizontal=False),
            "sphere": charts.bar_chart(_("Referrals by sphere of life"), by_sphere),
            "actions": charts.bar_chart(_("Actions by follow-through"), follow_through),
        },
    }
    if "cases_by_livc" in found:
        by_livc = _rows(found["cases_by_livc"], "livc")
        context["by_livc"] = by_livc
        context["charts"]["livc"] = charts.bar_chart(_("Cases per LIVC"), by_livc)
    html = render_template("dashboards/dashboard.html", **context)
    return Response(html, status=422 if problems else 200, mimetype="text/html")


@bp.get("")
@page("statistics:read")
def dashboard() -> Any:
    """A LIVC's dashboard: ``?livc_id=`` one of the reader's LIVCs (default: the first)."""
    if (gone := _admit("statistics:read")) is not None:
        return gone
    actor = current_actor()
    asked = request.args.get("livc_id", "").strip()
    if not asked and statistics_livcs(actor) is None:
        return redirect(url_for("dashboard_pages.region"))
    livc: Livc | None = None
    if asked:
        try:
            livc = db.session().get(Livc, uuid.UUID(asked))
        except ValueError:
            livc = None
        if livc is None:
            raise errors.NotFound("No such LIVC.")
    else:
        mine = statistics.readable_livcs(db.session(), actor)
        livc = mine[0] if mine else None
        if livc is None:
            return render_template("dashboards/no_livc.html")
    return _view(livc, regional=False)


@bp.get("/region")
@page("statistics:regional")
def region() -> Any:
    """Every LIVC together, and the cases per LIVC: the regional analyst's view."""
    if (gone := _admit("statistics:regional")) is not None:
        return gone
    return _view(None, regional=True)
