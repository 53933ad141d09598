"""Searching and exporting audit events (newest first), for auditors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from referral.core.db import count_upto
from referral.core.ledger.models import AuditEvent

CSV_MAX_ROWS = 100_000
FILTERS = ("actor_id", "organisation_id", "case_id", "action", "outcome", "since", "until",
           "actor_ids", "case_ids")
FIELDS = ("seq", "at", "actor_id", "actor_organisation_id", "action", "object_type",
          "object_id", "case_id", "purpose", "outcome", "rule", "request_id",
          "client_address", "hash", "prev_hash")

_COLUMNS = (AuditEvent.seq, AuditEvent.at, AuditEvent.actor_user_id,
            AuditEvent.actor_organisation_id, AuditEvent.action, AuditEvent.object_type,
            AuditEvent.object_id, AuditEvent.case_id, AuditEvent.purpose, AuditEvent.outcome,
            AuditEvent.rule, AuditEvent.request_id, AuditEvent.client_address,
            AuditEvent.hash, AuditEvent.prev_hash)

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def conditions(filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.get("actor_id") is not None:
        where.append(AuditEvent.actor_user_id == filters["actor_id"])
    if filters.get("organisation_id") is not None:
        where.append(AuditEvent.actor_organisation_id == filters["organisation_id"])
    if filters.get("case_id") is not None:
        where.append(AuditEvent.case_id == filters["case_id"])
    # The pages' searches by name: a user name or a pseudonym may stand for several ids.
    if filters.get("actor_ids") is not None:
        where.append(AuditEvent.actor_user_id.in_(filters["actor_ids"]))
    if filters.get("case_ids") is not None:
        where.append(AuditEvent.case_id.in_(filters["case_ids"]))
    if filters.get("action") is not None:
        where.append(AuditEvent.action == filters["action"])
    if filters.get("outcome") is not None:
        where.append(AuditEvent.outcome == filters["outcome"])
    if filters.get("since") is not None:
        where.append(AuditEvent.at >= filters["since"])
    if filters.get("until") is not None:
        where.append(AuditEvent.at < filters["until"])
    return where


def filter_names(filters: Mapping[str, Any]) -> list[str]:
    """Which filters were used: names only, never values (an id can be personal)."""
    return [name for name in FILTERS if filters.get(name) is not None]


def describe(kind: str, filters: Mapping[str, Any]) -> str:
    names = filter_names(filters)
    return f"{kind}; filters: {', '.join(names) if names else 'none'}"


def _select(filters: Mapping[str, Any]) -> Select[*tuple[Any, ...]]:
    return select(*_COLUMNS).where(*conditions(filters)).order_by(AuditEvent.seq.desc())


def as_item(row: Any) -> dict[str, Any]:
    return {
        "seq": row.seq, "at": row.at, "actor_id": row.actor_user_id,
        "actor_organisation_id": row.actor_organisation_id, "action": row.action,
        "object_type": row.object_type, "object_id": row.object_id, "case_id": row.case_id,
        "purpose": row.purpose, "outcome": row.outcome, "rule": row.rule,
        "request_id": row.request_id, "client_address": row.client_address,
        "hash": bytes(row.hash).hex(), "prev_hash": bytes(row.prev_hash).hex(),
    }


def search_events(session: Session, filters: Mapping[str, Any], page: int, per_page: int,
                  count_limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """One page of matching events, newest first, and how many match (up to ``count_limit``).

    Returns ``(items, total, exact)``: an unfiltered search of a log of millions counts at
    most ``count_limit`` events, so that each page costs the page, not the log.
    """
    total, exact = count_upto(session, select(AuditEvent.seq).where(*conditions(filters)),
                              count_limit)
    rows = session.execute(_select(filters).limit(per_page).offset((page - 1) * per_page))
    return [as_item(r) for r in rows], total, exact


def csv_cell(value: Any) -> str:
    """A cell as text; a would-be formula gets a leading apostrophe (CSV injection)."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _writer(out: io.StringIO) -> Any:
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    return writer


def write_csv(items: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = _writer(out)
    for item in items:
        writer.writerow([csv_cell(item[name]) for name in FIELDS])
    return out.getvalue()


def export_csv(session: Session, filters: Mapping[str, Any],
               max_rows: int = CSV_MAX_ROWS) -> tuple[str, int, bool]:
    """Matching events as CSV, newest first: (text, rows written, cut at ``max_rows``)."""
    out = io.StringIO()
    writer = _writer(out)
    written, truncated = 0, False
    rows = session.execute(_select(filters).limit(max_rows + 1),
                           execution_options={"yield_per": 5_000})
    try:
        for row in rows:
            if written == max_rows:
                truncated = True
                break
            item = as_item(row)
            writer.writerow([csv_cell(item[name]) for name in FIELDS])
            written += 1
    finally:
        rows.close()
    return out.getvalue(), written, truncated
