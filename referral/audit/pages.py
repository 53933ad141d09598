"""The auditor's pages: chain status, event search, timelines per case and per user,
denials, break-glass uses awaiting review, anomaly flags.

Auditors only: anyone else gets the 403 page (and the refusal is audited), anonymous
visitors go to the login page.  The pages call the same services as the API, so each
search, verification, listing and review is itself an audit event.  Events carry ids,
action names and reasons, never case content or identity, and so do these pages: users
are shown by id (the user directory is the administrators'), organisations by name
(everyone's directory).  Forms only, no script or inline style (CSP); every form
carries the CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import EXCLUDE, ValidationError

from referral.audit import anomalies, review, search
from referral.audit.checkpoints import known_public_keys, latest_checkpoint
from referral.audit.schemas import AnomalyQuery, AuditFilterQuery, BreakGlassQuery
from referral.audit.verify import verify_chain
from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize, record_read
from referral.core.transaction import run_in_transaction
from referral.organisations.models import Organisation
from referral.web.pages import page, page_count, page_links, page_number

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")

PER_PAGE = 50
SEARCH_FIELDS = ("actor_id", "organisation_id", "case_id", "action", "outcome", "since",
                 "until")


def _admit(action: str) -> Response | None:
    """A redirect to the login page for anonymous visitors; 403 for non-auditors."""
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _org_names() -> dict[uuid.UUID, str]:
    return {o.id: o.name for o in db.session().query(Organisation)}


def _parse(schema: Any, args: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Form fields to filters: blanks are absent; (filters, errors by field)."""
    raw = {k: v.strip() for k, v in args.items() if v.strip()}
    try:
        return schema.load(raw, unknown=EXCLUDE), {}
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return {}, messages


def _events_page(filters: dict[str, Any], kind: str) -> dict[str, Any]:
    """One page of matching events, recorded as an ``audit:search``."""
    page_no = page_number()

    def load() -> dict[str, Any]:
        s = db.session()
        items, total, exact = search.search_events(s, filters, page_no, PER_PAGE,
                                                   current_app.config["LIST_COUNT_LIMIT"])
        record_read(s, current_actor(), "audit:search", object_type="audit_events",
                    purpose=search.describe(f"page {kind}", filters))
        return {"items": items, "total": total, "total_exact": exact, "page": page_no,
                "per_page": PER_PAGE,
                "pages": page_count(total, PER_PAGE)}

    return run_in_transaction(load)


def _csv_link(filters: Mapping[str, Any]) -> str:
    args: dict[str, Any] = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v))
            for k, v in filters.items() if k in SEARCH_FIELDS and v is not None}
    return url_for("api_audit.export_events", **args)


# -- pages --------------------------------------------------------------------------------------


@bp.get("")
@page("audit:verify")
def status() -> Any:
    if (gone := _admit("audit:verify")) is not None:
        return gone
    asked = request.args.get("from_seq", type=int)

    def load() -> dict[str, Any]:
        s = db.session()
        cp = latest_checkpoint(s)
        keys = known_public_keys(current_app.config)
        from_seq = asked if asked and asked > 0 else 1
        try:
            result = verify_chain(s, from_seq, public_keys=keys)
        except ValueError:
            from_seq = 1
            result = verify_chain(s, 1, public_keys=keys)
        outcome = "ok" if result.ok else f"failed at seq {result.first_bad_seq}: {result.reason}"
        record_read(s, current_actor(), "audit:verify", object_type="audit_chain",
                    purpose=f"page: verify from seq {from_seq}; {outcome}")
        awaiting = review.list_uses(s, {"reviewed": False, "page": 1, "per_page": 1})["total"]
        return {"result": result, "from_seq": from_seq, "checkpoint": cp,
                "key_known": cp is not None and cp.public_key_id in keys,
                "awaiting": awaiting}

    return render_template("audit/status.html", **run_in_transaction(load))


@bp.get("/events")
@page("audit:search")
def events() -> Any:
    if (gone := _admit("audit:search")) is not None:
        return gone
    filters, problems = _parse(AuditFilterQuery(), request.args)
    result = None if problems else _events_page(filters, "search")
    html = render_template(
        "audit/events.html", form={k: request.args.get(k, "") for k in SEARCH_FIELDS},
        problems=problems, result=result, org_names=_org_names(), link=page_links(".events"),
        csv_link=_csv_link(filters))
    return Response(html, status=422 if problems else 200)


def _timeline(filters: dict[str, Any], kind: str, title: str, intro: str,
              link: Callable[[int], str]) -> Any:
    """The events matching fixed ``filters``, as a timeline page (audited as a search)."""
    if (gone := _admit("audit:search")) is not None:
        return gone
    return render_template(
        "audit/timeline.html", title=title, intro=intro,
        result=_events_page(filters, kind), org_names=_org_names(), link=link,
        csv_link=_csv_link(filters), search_link=url_for(".events", **filters))


@bp.get("/cases/<uuid:case_id>")
@page("audit:search")
def case_timeline(case_id: uuid.UUID) -> Any:
    return _timeline(
        {"case_id": case_id}, "case timeline", f"Case {case_id}",
        "Every event on this case, newest first: who acted, what, and which rule decided.",
        page_links(".case_timeline", case_id=case_id))


@bp.get("/users/<uuid:user_id>")
@page("audit:search")
def user_timeline(user_id: uuid.UUID) -> Any:
    return _timeline(
        {"actor_id": user_id}, "user timeline", f"User {user_id}",
        "Everything this user did or tried, newest first.",
        page_links(".user_timeline", user_id=user_id))


@bp.get("/denials")
@page("audit:search")
def denials() -> Any:
    return _timeline(
        {"outcome": "denied"}, "denials", "Denials",
        "Every refused act, newest first, with the rule that refused it. Rule no_relation "
        "means the case does not exist for that user.",
        page_links(".denials"))


@bp.get("/break-glass")
@page("audit:break_glass_list")
def break_glass() -> Any:
    if (gone := _admit("audit:break_glass_list")) is not None:
        return gone
    reviewed = request.args.get("reviewed", "false").lower() in {"true", "1", "yes"}
    query = BreakGlassQuery().load({"reviewed": reviewed, "page": page_number(),
                                    "per_page": PER_PAGE})

    def load() -> dict[str, Any]:
        s = db.session()
        result = review.list_uses(s, query)
        review.record_listing(s, current_actor(), query, "page")
        return result

    result = run_in_transaction(load)
    result["pages"] = page_count(result["total"], PER_PAGE)
    return render_template("audit/break_glass.html", result=result, reviewed=reviewed,
                           org_names=_org_names(),
                           link=page_links(".break_glass", reviewed=str(reviewed).lower()))


@bp.post("/break-glass/<uuid:grant_id>/review")
@page("audit:break_glass_review")
def break_glass_review(grant_id: uuid.UUID) -> Any:
    if (gone := _admit("audit:break_glass_review")) is not None:
        return gone
    comment = request.form.get("comment", "")[:2000]
    version = request.form.get("version", type=int)
    try:
        run_in_transaction(lambda: review.review(db.session(), current_actor(), grant_id,
                                                 comment, version))
        flash("Marked reviewed.", "ok")
    except errors.ValidationFailed:
        flash("Give a comment to mark a break-glass use reviewed.", "error")
    except errors.Conflict:
        flash("This break-glass use was reviewed or changed in the meantime; see below.",
              "error")
    return redirect(url_for(".break_glass"))


@bp.get("/anomalies")
@page("audit:anomalies")
def anomaly_flags() -> Any:
    if (gone := _admit("audit:anomalies")) is not None:
        return gone
    filters, problems = _parse(AnomalyQuery(), request.args)
    result = None
    if not problems:
        try:
            since, until = anomalies.window(filters.get("since"), filters.get("until"),
                                            clock.now())
        except ValueError as exc:
            problems = {"since": [str(exc)]}
        else:
            thresholds = anomalies.Thresholds.from_config(current_app.config)

            def load() -> dict[str, Any]:
                s = db.session()
                found = anomalies.compute(s, since, until, thresholds)
                record_read(s, current_actor(), "audit:anomalies",
                            object_type="audit_events",
                            purpose=f"page: {anomalies.describe(since, until)}")
                return found

            result = run_in_transaction(load)
    html = render_template(
        "audit/anomalies.html", result=result, problems=problems, org_names=_org_names(),
        form={k: request.args.get(k, "") for k in ("since", "until")})
    return Response(html, status=422 if problems else 200)
