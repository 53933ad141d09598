"""The auditor's API: events, verification, checkpoints, break-glass reviews, anomalies.

Every search, export and verification is itself an audit event, naming the
filters used but never their values.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app

from referral.audit import anomalies, review, search
from referral.audit.checkpoints import (
    checkpoint_summary,
    export_checkpoint,
    known_public_keys,
    list_checkpoints,
)
from referral.audit.publication import sign_and_publish
from referral.audit.schemas import (
    AnomaliesOut,
    AnomalyQuery,
    AuditEventOut,
    AuditEventQuery,
    AuditFilterQuery,
    BreakGlassQuery,
    BreakGlassReviewIn,
    BreakGlassUseOut,
    CheckpointExportOut,
    CheckpointOut,
    VerifyOut,
    VerifyQuery,
)
from referral.audit.verify import verify_chain
from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.authz import record_read
from referral.web.api import api_blueprint, expected_version, page_of, route

bp = api_blueprint("audit")


@route(bp, "/audit/events", "GET", action="audit:search", query=AuditEventQuery,
       response=AuditEventOut, paginated=True,
       summary="Search the audit trail, newest first (auditors)")
def list_events(query: dict[str, Any]) -> Any:
    s = db.session()
    items, total, exact = search.search_events(s, query, query["page"], query["per_page"],
                                               current_app.config["LIST_COUNT_LIMIT"])
    record_read(s, current_actor(), "audit:search", object_type="audit_events",
                purpose=search.describe("search", query))
    return {**page_of(items, total, query["page"], query["per_page"]), "total_exact": exact}


@route(bp, "/audit/events.csv", "GET", action="audit:search", query=AuditFilterQuery,
       content_type="text/csv",
       summary=f"Export matching audit events as CSV, newest first, at most "
               f"{search.CSV_MAX_ROWS} rows (auditors)")
def export_events(query: dict[str, Any]) -> Any:
    s = db.session()
    body, rows, truncated = search.export_csv(s, query)
    record_read(s, current_actor(), "audit:search", object_type="audit_events",
                purpose=search.describe("csv export", query))
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response.headers["X-Row-Count"] = str(rows)
    if truncated:
        response.headers["X-Truncated"] = "true"
    return response


@route(bp, "/audit/verify", "GET", action="audit:verify", query=VerifyQuery, response=VerifyOut,
       summary="Verify the hash chain, its head and the signed checkpoints (auditors)")
def verify(query: dict[str, Any]) -> Any:
    s = db.session()
    from_seq = query.get("from_seq", 1)
    try:
        result = verify_chain(s, from_seq, public_keys=known_public_keys(current_app.config))
    except ValueError as exc:
        raise errors.ValidationFailed({"from_seq": [str(exc)]}) from None
    outcome = "ok" if result.ok else f"failed at seq {result.first_bad_seq}: {result.reason}"
    record_read(s, current_actor(), "audit:verify", object_type="audit_chain",
                purpose=f"verify from seq {from_seq}; {outcome}")
    return result


@route(bp, "/audit/checkpoints", "GET", action="audit:verify", response=CheckpointOut,
       many=True, summary="The signed checkpoints, newest first (auditors)")
def checkpoints() -> Any:
    s = db.session()
    return [checkpoint_summary(cp) for cp in list_checkpoints(s)]


@route(bp, "/audit/checkpoints", "POST", action="audit:checkpoint",
       response=CheckpointExportOut, status=201,
       summary="Sign a checkpoint of the chain head now")
def new_checkpoint() -> Any:
    s = db.session()
    cp = sign_and_publish(s, current_app._get_current_object(),  # type: ignore[attr-defined]
                          actor=current_actor())
    keys = known_public_keys(current_app.config)
    return export_checkpoint(cp, keys.get(cp.public_key_id))


# -- the auditor's workspace --------------------------------------------------------------------


@route(bp, "/audit/break-glass", "GET", action="audit:break_glass_list", query=BreakGlassQuery,
       response=BreakGlassUseOut, paginated=True,
       summary="Break-glass uses; reviewed=false lists those awaiting review, oldest first "
               "(auditors)")
def list_break_glass(query: dict[str, Any]) -> Any:
    s = db.session()
    result = review.list_uses(s, query)
    review.record_listing(s, current_actor(), query, "list")
    return result


@route(bp, "/audit/break-glass/<uuid:grant_id>/review", "POST",
       action="audit:break_glass_review", body=BreakGlassReviewIn, response=BreakGlassUseOut,
       statuses=(409,),
       summary="Mark a break-glass use reviewed, with a comment (auditors; audited; "
               "If-Match or version for optimistic locking)")
def review_break_glass(grant_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return review.review(db.session(), current_actor(), grant_id, body["comment"],
                         expected_version(body))


@route(bp, "/audit/anomalies", "GET", action="audit:anomalies", query=AnomalyQuery,
       response=AnomaliesOut,
       summary="Anomaly flags over a window (default the last 7 days): unrelated access, "
               "re-identifications per day above a threshold, access outside office hours "
               "(auditors)")
def list_anomalies(query: dict[str, Any]) -> Any:
    s = db.session()
    try:
        since, until = anomalies.window(query.get("since"), query.get("until"), clock.now())
    except ValueError as exc:
        raise errors.ValidationFailed({"since": [str(exc)]}) from None
    result = anomalies.compute(s, since, until,
                               anomalies.Thresholds.from_config(current_app.config))
    record_read(s, current_actor(), "audit:anomalies", object_type="audit_events",
                purpose=anomalies.describe(since, until))
    return result
