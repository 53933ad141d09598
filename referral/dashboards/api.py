"""``GET /api/v1/statistics`` and its CSV: aggregated counts, small counts suppressed.

The query names the grouping fields and, optionally, one LIVC and a period; nothing else
-- a parameter that is not one of these is a 422 naming it, so no request can narrow a count
down to a case, a person or an organisation of a single case.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

from flask import Response, request
from marshmallow import Schema, fields

from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.schemas import Instant, OutputSchema
from referral.dashboards import statistics
from referral.dashboards.statistics import FIELDS, Query
from referral.web.api import api_blueprint, route

bp = api_blueprint("statistics")

ALLOWED_PARAMETERS = ("group_by", "livc_id", "since", "until")


class StatisticsQuery(Schema):
    group_by = fields.String(required=True, metadata={
        "description": f"one or two of {', '.join(FIELDS)}, comma-separated or repeated"})
    livc_id = fields.UUID(load_default=None, metadata={
        "description": "one LIVC (default: every LIVC the caller reads)"})
    since = Instant(load_default=None, metadata={"description": "signal (or offer) from"})
    until = Instant(load_default=None, metadata={"description": "signal (or offer) before"})


class StatisticsOut(OutputSchema):
    cells = fields.List(fields.Dict(), metadata={
        "description": "one per combination with cases: the group_by fields and count, an "
                       "integer >= 5 or the string \"<5\" (1 to 4, or hidden so that no "
                       "small count can be derived from totals); combinations without "
                       "cases are left out"})
    suppressed = fields.Integer(metadata={"description": "how many cells read \"<5\""})
    unit = fields.String(metadata={"description": "cases, or referrals when grouping by "
                                                  "sphere_of_life or outcome"})
    group_by = fields.List(fields.String())


def _query(query: dict[str, Any]) -> Query:
    unknown = sorted(set(request.args) - set(ALLOWED_PARAMETERS))
    if unknown:
        raise errors.ValidationFailed({name: [
            "Statistics are filtered by livc_id, since and until only."] for name in unknown})
    if query["since"] and query["until"] and query["since"] >= query["until"]:
        raise errors.ValidationFailed({"until": ["Must be later than since."]})
    return Query(statistics.parse_group_by(request.args.getlist("group_by")),
                 query["livc_id"], query["since"], query["until"])


@route(bp, "/statistics", "GET", action="statistics:read", query=StatisticsQuery,
       response=StatisticsOut, statuses=(404,),
       summary="Aggregated counts of cases or referrals of the caller's LIVC(s) (the regional "
               "analyst: every LIVC), small counts suppressed; never a case")
def get_statistics(query: dict[str, Any]) -> Any:
    return statistics.statistics(db.session(), current_actor(), _query(query), "api")


@route(bp, "/statistics.csv", "GET", action="statistics:read", query=StatisticsQuery,
       content_type="text/csv", statuses=(404,),
       summary="The same counts as CSV (one row per cell, then the count)")
def get_statistics_csv(query: dict[str, Any]) -> Any:
    q = _query(query)
    result = statistics.statistics(db.session(), current_actor(), q, "csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*q.group_by, "count"])
    for cell in result["cells"]:
        # Values are vocabulary ids, months and counts: nothing a spreadsheet runs as a formula.
        writer.writerow([cell[f] for f in q.group_by] + [cell["count"]])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="statistics.csv"'
    return response


class DashboardQuery(Schema):
    livc_id = fields.UUID(load_default=None, metadata={
        "description": "one LIVC (default: every LIVC the caller reads)"})
    since = Instant(load_default=None, metadata={"description": "signal (or offer) from"})
    until = Instant(load_default=None, metadata={"description": "signal (or offer) before"})


class DashboardOut(OutputSchema):
    tables = fields.Dict(metadata={
        "description": "the dashboard's tables, each published like /statistics: one-field "
                       "tables {rows: [[value, count]], total}, two-field tables {rows, "
                       "columns, cells: [[row, column, count]], row_totals, column_totals, "
                       "total}; medians (working days from offer to answer per sphere, days "
                       "from signal to the first LIVC decision) only over 5 or more values; "
                       "acceptance rates (percent) only where their counts are published"})


def _plain(value: Any) -> Any:
    if isinstance(value, statistics.TwoWay):
        return {"rows": value.rows, "columns": value.columns,
                "cells": [[r, c, n] for (r, c), n in value.cells.items()],
                "row_totals": value.row_totals, "column_totals": value.column_totals,
                "total": value.total}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: [list(r) for r in v] if k == "rows" else v
                for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {("all" if k == "" else k): v for k, v in value.items()}
    return value


@route(bp, "/statistics/dashboard", "GET", action="statistics:read", query=DashboardQuery,
       response=DashboardOut, statuses=(404,),
       summary="Every table of the dashboard page (the same service, the same suppression)")
def get_dashboard(query: dict[str, Any]) -> Any:
    unknown = sorted(set(request.args) - {"livc_id", "since", "until"})
    if unknown:
        raise errors.ValidationFailed({name: [
            "The dashboard is filtered by livc_id, since and until only."] for name in unknown})
    found = statistics.dashboard(db.session(), current_actor(), Query(
        (), query["livc_id"], query["since"], query["until"]), "api dashboard")
    return {"tables": {name: _plain(value) for name, value in found.items()}}
