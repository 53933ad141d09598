"""The case page: header, the forms of PATCH /cases/{id} (informing, consent, phase,
coordinator), the steps, notes by compartment, referrals, the pathway diagram,
re-identification and the access log.

Every part is read through the service the API uses (the same decision, the same audit
event); which forms are offered is decided with ``policies.decide`` on the case's facts,
so nobody sees a form whose submission would be refused."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

import policies
import workflows
from policies.cases import is_livc
from policies.vocabulary import CASE_ROLES, REIDENTIFY_REASONS
from referral.accounts import sessions
from referral.accounts.models import RoleAssignment, User
from referral.cases import services
from referral.cases.access import case_facts, load_case
from referral.cases.models import Case
from referral.cases.notes import services as notes
from referral.cases.page_support import (
    attempt,
    bp,
    field_errors,
    load_form,
    login_required,
    say,
)
from referral.cases.referrals import services as referrals
from referral.cases.schemas import CasePatch, ReidentifyIn
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.organisations.models import Livc, Organisation
from referral.pathways.diagram import render_svg
from referral.web import ratelimit
from referral.web.labels import label
from referral.web.pages import page, page_count, page_links, page_number

# The forms a page may offer, each the action the service decides.
FORM_ACTIONS = ("case:update", "case:refer", "case:reidentify", "case:access_log",
                "note:create")
PATCH_FIELDS = ("informing_status", "informing_ground", "informed_party", "consent", "phase",
                "coordinator_user_id")
ACCESS_LOG_PER_PAGE = 50
# The access log's acts in words (others show their id).
ACTION_WORDS = {
    "case:create": _l("registered the case"),
    "case:read": _l("read the case header"),
    "case:update": _l("changed the case header"),
    "case:history": _l("read the timeline"),
    "case:transitions": _l("looked at the next steps"),
    "case:diagram": _l("looked at the pathway"),
    "case:transition": _l("took a step on the pathway"),
    "case:reidentify": _l("revealed the identity"),
    "case:break_glass": _l("used emergency access (break-glass)"),
    "case:access_log": _l("read this access log"),
    "case:match": _l("found a match with another case"),
    "case:coordination": _l("took over the coordination"),
    "note:create": _l("wrote a note"),
    "note:read": _l("read a note"),
    "note:disclose": _l("disclosed a note"),
    "disclosure:revoke": _l("revoked a disclosure"),
    "referral:create": _l("offered a referral"),
    "referral:read": _l("read a referral"),
    "referral:transition": _l("answered or moved a referral"),
}


def _names(s: Any, model: Any, ids: set[Any], column: Any) -> dict[Any, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(s.execute(select(model.id, column).where(model.id.in_(ids))).all())


def _why(reason: str | None, pathway: workflows.Pathway) -> str:
    """A disabled step's reason in words: a guard that fails or the rule that denies."""
    if not reason:
        return ""
    return label(reason, "guard" if reason in pathway.guards else "rule")


def _coordinator_candidates(s: Any, case: Case) -> list[User]:
    orgs = {case.owner_organisation_id, case.coordinator_organisation_id} - {None}
    return list(s.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.organisation_id.in_(orgs), User.active.is_(True),
               RoleAssignment.role.in_(CASE_ROLES))
        .distinct().order_by(User.display_name)))


def _load(case_id: uuid.UUID) -> dict[str, Any]:
    actor = current_actor()
    s = db.session()
    header = services.read_case(s, actor, case_id)
    row = s.get(Case, case_id)
    assert row is not None  # read_case found it
    facts = case_facts(s, row)
    can = {a: policies.decide(actor, a, facts).allowed for a in FORM_ACTIONS}
    context: dict[str, Any] = {"case": header, "can": can, "history": [], "notes": [],
                               "transitions": [], "referrals": [], "diagram": None,
                               "candidates": [], "police_writer": False}
    if header["access"] == "full" and header["access_rule"] != "break_glass":
        pathway = workflows.get(row.pathway, row.pathway_version)
        context["history"] = services.history(s, actor, case_id)
        context["notes"] = notes.list_notes(s, actor, case_id)
        context["transitions"] = [
            {**t, "why": _why(t.get("reason"), pathway)}
            for t in services.available_transitions(s, actor, case_id)]
        context["referrals"] = referrals.list_referrals(
            s, actor, {"case_id": case_id, "page": 1, "per_page": 50})["items"]
        diagram_row, _facts, _decision = load_case(s, actor, case_id, "case:diagram")
        context["diagram"] = Markup(render_svg(  # noqa: S704 - render_svg escapes every text
            pathway, diagram_row.state, say=label, title=_("The case's pathway")))
        context["police_writer"] = is_livc(actor, facts, "police_information_officer")
        if can["case:update"]:
            context["candidates"] = _coordinator_candidates(s, row)
    users = {header.get("coordinator_user_id")}
    users |= {h["actor_user_id"] for h in context["history"]}
    users |= {n["author_user_id"] for n in context["notes"]}
    context["user_names"] = _names(s, User, users, User.display_name)
    context["org_names"] = dict(s.execute(select(Organisation.id, Organisation.name)).all())
    context["livc_name"] = s.scalar(select(Livc.name).where(Livc.id == header["livc_id"]))
    return context


def render_case(case_id: uuid.UUID, *, status: int = 200,
                field_errors: dict[str, list[str]] | None = None,
                form: dict[str, Any] | None = None,
                revealed: dict[str, Any] | None = None) -> Any:
    context = run_in_transaction(lambda: _load(case_id))
    organisations = db.session().scalars(select(Organisation).order_by(Organisation.name)).all()
    body = render_template("cases/case.html", actor=current_actor(),
                           reidentify_reasons=REIDENTIFY_REASONS,
                           organisations=organisations, field_errors=field_errors or {},
                           form=form or {}, revealed=revealed, **context)
    headers = {"Cache-Control": "no-store"} if revealed else {}
    return body, status, headers


@bp.get("/cases/<uuid:case_id>")
@page("case:read")
def case_page(case_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    return render_case(case_id)


@bp.post("/cases/<uuid:case_id>")
@page("case:update")
def case_update(case_id: uuid.UUID) -> Any:
    """One of the header's forms: only the fields it sent change (PATCH semantics)."""
    if (redirect_to := login_required()) is not None:
        return redirect_to
    sent = {k: request.form[k].strip() for k in PATCH_FIELDS if k in request.form}
    # An empty choice is None: the schema says which fields may be cleared.
    raw: dict[str, Any] = {k: v or None for k, v in sent.items()}
    if raw.get("informing_status") == "not_informed":
        raw.pop("informed_party", None)  # nobody was informed: the form's party does not apply
    version = request.form.get("version", type=int)
    try:
        data = load_form(CasePatch(), raw)
        run_in_transaction(lambda: services.update_case(
            db.session(), current_actor(), case_id, data, version))
    except errors.ValidationFailed as exc:
        return render_case(case_id, status=422, field_errors=field_errors(exc),
                           form=sent)
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        flash(say(exc), "error")
    else:
        flash(_("Saved."), "ok")
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/cases/<uuid:case_id>/transition")
@page("case:transition")
def case_transition(case_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    data = {"trigger": request.form.get("trigger", ""),
            "reason": request.form.get("reason", "").strip() or None,
            "outcome": request.form.get("outcome", "").strip() or None}
    version = request.form.get("version", type=int)
    attempt(lambda: services.transition_case(db.session(), current_actor(), case_id, data,
                                             version),
            _("Done: %(step)s.", step=label(data["trigger"], "trigger")))
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/cases/<uuid:case_id>/reidentify")
@page("case:reidentify")
@ratelimit.reidentify_limit
def case_reidentify(case_id: uuid.UUID) -> Any:
    """The identity, shown once in the answer to this form (never stored in the session,
    not cached); the service checks the care relation and records the reason."""
    if (redirect_to := login_required()) is not None:
        return redirect_to
    sent = {"reason": request.form.get("reason", ""),
            "reason_category": request.form.get("reason_category") or "other"}
    try:
        data = load_form(ReidentifyIn(), sent)
        if not data["reason"].strip():
            raise errors.field_error("reason", "Give a reason.")
        sessions.require_recent_mfa()
        identity = run_in_transaction(lambda: services.reidentify(
            db.session(), current_actor(), case_id, data["reason"],
            data["reason_category"]))["identity"]
    except errors.ValidationFailed as exc:
        return render_case(case_id, status=422, field_errors=field_errors(exc),
                           form={"reidentify_reason": sent["reason"],
                                 "reidentify_category": sent["reason_category"]})
    except errors.Problem as exc:
        if exc.status in {401, 403, 404}:  # a refusal is the error page naming the rule
            raise
        flash(say(exc), "error")
        return redirect(url_for("case_pages.case_page", case_id=case_id))
    if isinstance(identity.get("birth_date"), str):  # JSON: shown as a date of the locale
        identity = {**identity, "birth_date": date.fromisoformat(identity["birth_date"])}
    return render_case(case_id, revealed=identity)


@bp.get("/cases/<uuid:case_id>/access-log")
@page("case:access_log")
def access_log(case_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    actor = current_actor()
    s = db.session()

    def load() -> dict[str, Any]:
        header = services.read_case(s, actor, case_id)
        log = services.access_log(s, actor, case_id, page_number(), ACCESS_LOG_PER_PAGE)
        users = {e.actor_user_id for e in log["items"]}
        return {"case": header, "result": log,
                "user_names": _names(s, User, users, User.display_name)}

    context = run_in_transaction(load)
    context["result"]["pages"] = page_count(context["result"]["total"], ACCESS_LOG_PER_PAGE)
    org_names = dict(s.execute(select(Organisation.id, Organisation.name)).all())
    return render_template("cases/access_log.html", org_names=org_names,
                           action_words=ACTION_WORDS,
                           link=page_links(".access_log", case_id=case_id), **context)
