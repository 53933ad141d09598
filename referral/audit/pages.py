"""The auditor's pages: chain status and checkpoints, the event search with its CSV
export, timelines per case and per user, denials, break-glass uses awaiting review,
anomaly flags.

Auditors only: anyone else gets the 403 page naming the rule (and the refusal is
audited), anonymous visitors go to the login page.  The pages call the same services as
the API, so each search, verification, listing and review is itself an audit event.
Events carry ids, action names and reasons, never case content or identity; the pages
put names on the ids (case references, people and organisations, ``directory``) inside
the recorded search.  Forms only, no script or inline style (CSP); every form carries
the CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from referral.audit import actions, anomalies, directory, review, search, search_form
from referral.audit.checkpoints import known_public_keys, latest_checkpoint
from referral.audit.publication import published_for_current_app, sign_and_publish
from referral.audit.schemas import BreakGlassQuery
from referral.audit.verify import verify_chain
from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize, record_read
from referral.core.transaction import run_in_transaction
from referral.web import problems
from referral.web.pages import page, page_count, page_links, page_number

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")

PER_PAGE = 50

# The verifier's stable reasons (an API contract, in English) in the auditor's words.
VERIFY_REASONS = {
    "head does not match last event": _l("the head row does not name the last event"),
    "head row missing": _l("the head row is missing"),
    "checkpointed event missing (log truncated)": _l(
        "a signed checkpoint names an event that is gone: the log was cut short"),
    "checkpoint does not match event": _l(
        "a signed checkpoint does not match its event: the log was rewritten"),
    "checkpoint signature invalid": _l("a checkpoint's signature is not valid"),
    "checkpoint signed by an unknown key": _l("a checkpoint was signed by an unknown key"),
    "hash mismatch": _l("an event's hash does not match its content: it was changed"),
    "prev_hash does not link": _l("an event does not link to the one before it"),
    "time goes backwards": _l("an event is dated before the one before it"),
}


@bp.app_template_filter("action_label")
def _action_label(action: str) -> Any:
    return actions.label_id(action)


def _verify_reason(reason: str | None) -> str:
    if not reason:
        return ""
    if reason.startswith("gap: expected seq "):
        return _("an event is missing (expected number %(seq)s)",
                 seq=reason.removeprefix("gap: expected seq "))
    found = VERIFY_REASONS.get(reason)
    return str(found) if found is not None else reason


def _admit(action: str) -> Response | None:
    """A redirect to the login page for anonymous visitors; 403 for non-auditors."""
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _named(s: Session, items: list[dict[str, Any]], user_keys: Iterable[str] = ("actor_id",),
           ) -> list[dict[str, Any]]:
    """Each item with the people and case references its ids stand for."""
    keys = tuple(user_keys)
    persons = directory.people(s, (item.get(k) for item in items for k in keys))
    refs = directory.references(s, (item.get("case_id") for item in items))
    for item in items:
        for k in keys:
            item[k.removesuffix("_id") + "_person"] = persons.get(item.get(k))  # type: ignore[arg-type]
        item["reference"] = refs.get(item.get("case_id"))  # type: ignore[arg-type]
    return items


def _events_page(s: Session, filters: dict[str, Any], kind: str) -> dict[str, Any]:
    """One page of matching events with names, recorded as an ``audit:search``."""
    page_no = page_number()
    items, total, exact = search.search_events(s, filters, page_no, PER_PAGE,
                                               current_app.config["LIST_COUNT_LIMIT"])
    record_read(s, current_actor(), "audit:search", object_type="audit_events",
                purpose=search.describe(f"page {kind}", filters))
    return {"items": _named(s, items), "total": total, "total_exact": exact,
            "page": page_no, "per_page": PER_PAGE, "pages": page_count(total, PER_PAGE)}


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


# -- chain status and checkpoints ---------------------------------------------------------------


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
        published = max(published_for_current_app(), key=lambda p: (p.seq, p.at), default=None)
        return {"result": result, "reason": _verify_reason(result.reason),
                "from_seq": from_seq, "checkpoint": cp, "published": published,
                "key_known": cp is not None and cp.public_key_id in keys,
                "published_key_known": published is not None
                and published.public_key_id in keys, "awaiting": awaiting}

    return render_template("audit/status.html", **run_in_transaction(load))


@bp.post("/checkpoints")
@page("audit:checkpoint")
def sign_checkpoint() -> Any:
    if (gone := _admit("audit:checkpoint")) is not None:
        return gone
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cp = run_in_transaction(lambda: sign_and_publish(db.session(), app, actor=current_actor()))
    flash(_("Checkpoint signed at event number %(seq)s and published.", seq=cp.seq), "ok")
    return redirect(url_for(".status"))


# -- the search and its export ------------------------------------------------------------------


def _choices() -> dict[str, Any]:
    return {"actions": actions.choices(), "outcomes": ("allowed", "denied")}


@bp.get("/events")
@page("audit:search")
def events() -> Any:
    if (gone := _admit("audit:search")) is not None:
        return gone
    found = search_form.read(request.args)

    def load() -> dict[str, Any]:
        s = db.session()
        orgs = directory.organisations(s)
        if not found.errors:
            search_form.resolve(s, found)
        result = None if found.errors else _events_page(s, found.filters, "search")
        return {"result": result, "org_names": orgs}

    loaded = run_in_transaction(load)
    return _html("audit/events.html", 422 if found.errors else 200, search=found,
                 link=page_links(".events"), csv_link=url_for(".export_csv", **found.args),
                 **loaded, **_choices())


@bp.get("/events.csv")
@page("audit:search")
def export_csv() -> Any:
    if (gone := _admit("audit:search")) is not None:
        return gone
    found = search_form.read(request.args)

    def load() -> tuple[str, int, bool]:
        s = db.session()
        if not found.errors:
            search_form.resolve(s, found)
        if found.errors:
            raise errors.ValidationFailed(found.errors)
        out = search.export_csv(s, found.filters)
        record_read(s, current_actor(), "audit:search", object_type="audit_events",
                    purpose=search.describe("page csv export", found.filters))
        return out

    body, rows, truncated = run_in_transaction(load)
    response = Response(body, mimetype="text/csv")
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response.headers["X-Row-Count"] = str(rows)
    if truncated:
        response.headers["X-Truncated"] = "true"
    return response


# -- timelines ----------------------------------------------------------------------------------


def _timeline(filters: dict[str, Any], kind: str, heading: Callable[[Session], dict[str, Any]],
              link: Callable[[int], str]) -> Any:
    """The events matching fixed ``filters``, as a timeline page (audited as a search)."""
    if (gone := _admit("audit:search")) is not None:
        return gone

    def load() -> dict[str, Any]:
        s = db.session()
        return {**heading(s), "result": _events_page(s, filters, kind),
                "org_names": directory.organisations(s)}

    return render_template("audit/timeline.html", link=link, **run_in_transaction(load))


@bp.get("/cases/<uuid:case_id>")
@page("audit:search")
def case_timeline(case_id: uuid.UUID) -> Any:
    def heading(s: Session) -> dict[str, Any]:
        reference = directory.references(s, [case_id]).get(case_id)
        return {
            "title": _("Case %(reference)s", reference=reference) if reference
            else _("A case that does not exist"),
            "intro": _("Every event on this case, newest first: who acted, what, and which "
                       "rule decided."),
            "search_args": {"case": reference} if reference else {},
        }

    return _timeline({"case_id": case_id}, "case timeline", heading,
                     page_links(".case_timeline", case_id=case_id))


@bp.get("/users/<uuid:user_id>")
@page("audit:search")
def user_timeline(user_id: uuid.UUID) -> Any:
    def heading(s: Session) -> dict[str, Any]:
        person = directory.people(s, [user_id]).get(user_id)
        orgs = directory.organisations(s)
        return {
            "title": _("%(name)s (%(organisation)s)", name=person.display_name,
                       organisation=orgs.get(person.organisation_id, "?")) if person
            else _("A user that does not exist"),
            "person": person,
            "intro": _("Everything this user did or tried, newest first."),
            "search_args": {"user": person.username} if person else {},
        }

    return _timeline({"actor_id": user_id}, "user timeline", heading,
                     page_links(".user_timeline", user_id=user_id))


@bp.get("/denials")
@page("audit:search")
def denials() -> Any:
    def heading(_s: Session) -> dict[str, Any]:
        return {"title": _("Denials"),
                "intro": _("Every refused act, newest first, with the rule that refused it. "
                           "A case without a relation does not exist for that user: those "
                           "refusals name the rule “no relation”."),
                "search_args": {"outcome": "denied"}}

    return _timeline({"outcome": "denied"}, "denials", heading, page_links(".denials"))


# -- break-glass reviews ------------------------------------------------------------------------


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
        _named(s, result["items"], ("user_id", "reviewed_by_user_id"))
        return {"result": result, "org_names": directory.organisations(s)}

    loaded = run_in_transaction(load)
    loaded["result"]["pages"] = page_count(loaded["result"]["total"], PER_PAGE)
    return render_template("audit/break_glass.html", reviewed=reviewed,
                           link=page_links(".break_glass", reviewed=str(reviewed).lower()),
                           **loaded)


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
        flash(_("Marked reviewed."), "ok")
    except errors.ValidationFailed:
        flash(_("Give a comment to mark a break-glass use reviewed."), "error")
    except errors.Conflict:
        flash(_("This break-glass use was reviewed or changed in the meantime; see below."),
              "error")
    except errors.NotFound as exc:
        flash(problems.describe(exc), "error")
    return redirect(url_for(".break_glass"))


# -- anomalies ----------------------------------------------------------------------------------


@bp.get("/anomalies")
@page("audit:anomalies")
def anomaly_flags() -> Any:
    if (gone := _admit("audit:anomalies")) is not None:
        return gone
    form = {k: request.args.get(k, "").strip()[:20] for k in ("since", "until")}
    field_errors: dict[str, list[str]] = {}
    bounds: dict[str, Any] = {}
    for name in ("since", "until"):
        if form[name]:
            day = search_form.parse_day(form[name])
            if day is None:
                field_errors[name] = [_("Enter a date as DD/MM/YYYY or YYYY-MM-DD.")]
                continue
            form[name] = day.isoformat()
            # The last day is included: the window ends at the next midnight.
            bounds[name] = search_form.day_start(day + timedelta(days=1 if name == "until"
                                                                 else 0))
    result, orgs = None, {}
    if not field_errors:
        try:
            since, until = anomalies.window(bounds.get("since"), bounds.get("until"),
                                            clock.now())
        except ValueError as exc:
            field_errors["since"] = [
                _("The last day must come after the first day.") if "later" in str(exc)
                else _("The window may span at most %(days)s days.",
                       days=anomalies.MAX_WINDOW.days)]
        else:
            thresholds = anomalies.Thresholds.from_config(current_app.config)

            def load() -> dict[str, Any]:
                s = db.session()
                found = anomalies.compute(s, since, until, thresholds)
                record_read(s, current_actor(), "audit:anomalies",
                            object_type="audit_events",
                            purpose=f"page: {anomalies.describe(since, until)}")
                for flag in ("unrelated_access", "reidentifications", "off_hours",
                             "match_probes", "new_accounts"):
                    _named(s, found[flag], ("user_id",))
                return {"result": found, "org_names": directory.organisations(s)}

            loaded = run_in_transaction(load)
            result, orgs = loaded["result"], loaded["org_names"]
    return _html("audit/anomalies.html", 422 if field_errors else 200, result=result,
                 problems=field_errors, org_names=orgs, form=form)
