"""Pages for reference persons and case workers: cases, a case with its timeline, notes,
actions and diagram, and the referral inbox.  Forms only, no JavaScript; every form
carries the CSRF token; every page calls the same services as the API, so the same
rules decide and the same audit events are written."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

import policies
from policies.vocabulary import CONSENT_VALUES
from referral.cases import services
from referral.cases.notes import services as notes
from referral.cases.referrals import services as referrals
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.organisations.models import Livc, Organisation
from referral.web import ratelimit
from referral.web.pages import page, page_count, page_links, page_number, same_site_path

bp = Blueprint("case_pages", __name__)
CASES_PER_PAGE = 50


def _login_required() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    return None


def _problem_text(exc: errors.Problem) -> str:
    if isinstance(exc, errors.ValidationFailed):
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
    return exc.detail


def _attempt(fn: Any, success: str) -> None:
    try:
        run_in_transaction(fn)
        flash(success, "ok")
    except errors.Problem as exc:
        if exc.status in {401, 404}:
            raise
        flash(_problem_text(exc), "error")


@bp.get("/cases")
@page("case:list")
def case_list() -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    actor = current_actor()
    result = run_in_transaction(lambda: services.list_cases(
        db.session(), actor, {"page": page_number(), "per_page": CASES_PER_PAGE,
                              "state": request.args.get("state") or None}))
    result["pages"] = page_count(result["total"], CASES_PER_PAGE)
    livcs = db.session().query(Livc).order_by(Livc.name).all()
    can_register = policies.decide(actor, "case:create").allowed
    return render_template("cases/list.html", result=result, livcs=livcs,
                           can_register=can_register, link=page_links(".case_list"))


@bp.post("/cases/new")
@page("case:create")
@ratelimit.registration_limit
def case_register() -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    form = request.form
    identity: dict[str, Any] = {}
    if form.get("national_number"):
        identity["national_number"] = form["national_number"]
    else:

        try:
            born = date.fromisoformat(form.get("birth_date", ""))
        except ValueError:
            flash("Give a birth date as YYYY-MM-DD, or a national number.", "error")
            return redirect(url_for("case_pages.case_list"))
        identity = {"family_name": form.get("family_name", ""),
                    "given_names": form.get("given_names", ""), "birth_date": born}
    try:
        livc_id = uuid.UUID(form.get("livc_id", ""))
    except ValueError:
        flash("Choose a LIVC.", "error")
        return redirect(url_for("case_pages.case_list"))
    data = {"livc_id": livc_id, "identity": identity,
            "context": form.get("context") or "community",
            # Voluntary services are offered only with consent (policies/README.md).
            "consent": form.get("consent") if form.get("consent") in CONSENT_VALUES
            else "unknown"}
    try:
        created = run_in_transaction(
            lambda: services.register_case(db.session(), current_actor(), data))
    except errors.Problem as exc:
        if exc.status == 401:
            raise
        flash(_problem_text(exc), "error")
        return redirect(url_for("case_pages.case_list"))
    flash(f"Case {created['reference']} registered as {created['pseudonym']}"
          + (f"; {created['matches']} other organisation(s) hold a case for the same person."
             if created["matches"] else "."), "ok")
    return redirect(url_for("case_pages.case_page", case_id=created["id"]))


@bp.get("/cases/<uuid:case_id>")
@page("case:read")
def case_page(case_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    actor = current_actor()
    s = db.session()

    def load() -> dict[str, Any]:
        header = services.read_case(s, actor, case_id)
        context: dict[str, Any] = {"case": header, "history": [], "notes": [],
                                   "transitions": [], "referrals": []}
        if header["access"] == "full":
            context["history"] = services.history(s, actor, case_id)
            context["notes"] = notes.list_notes(s, actor, case_id)
            context["transitions"] = services.available_transitions(s, actor, case_id)
            context["referrals"] = referrals.list_referrals(
                s, actor, {"case_id": case_id, "page": 1, "per_page": 50})["items"]
        return context

    context = run_in_transaction(load)
    organisations = s.query(Organisation).order_by(Organisation.name).all()
    org_names = {o.id: o.name for o in organisations}
    return render_template("cases/case.html", org_names=org_names,
                           organisations=organisations, actor=actor, **context)


@bp.post("/cases/<uuid:case_id>/transition")
@page("case:transition")
def case_transition(case_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    data = {"trigger": request.form.get("trigger", ""),
            "reason": request.form.get("reason") or None,
            "outcome": request.form.get("outcome") or None}
    version = request.form.get("version", type=int)
    _attempt(lambda: services.transition_case(db.session(), current_actor(), case_id, data,
                                              version), f"Done: {data['trigger']}.")
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/cases/<uuid:case_id>/notes")
@page("note:create")
def note_create(case_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    body = request.form.get("body", "").strip()
    compartment = request.form.get("compartment", "internal")
    if not body:
        flash("A note needs a text.", "error")
    else:
        _attempt(lambda: notes.create_note(db.session(), current_actor(), case_id, body,
                                           compartment), "Note saved.")
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/notes/<uuid:note_id>/disclose")
@page("note:disclose")
def note_disclose(note_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    data = {k: request.form.get(k, "").strip() for k in ("audience", "purpose", "legal_basis")}
    case_id = request.form.get("case_id", "")
    missing = [k for k, v in data.items() if not v]
    if missing:
        flash(f"Required: {', '.join(missing)}.", "error")
    else:
        _attempt(lambda: notes.disclose(db.session(), current_actor(), note_id, data),
                 f"Disclosed to {data['audience']}.")
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/disclosures/<uuid:disclosure_id>/revoke")
@page("disclosure:revoke")
def disclosure_revoke(disclosure_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    _attempt(lambda: notes.revoke(db.session(), current_actor(), disclosure_id),
             "Disclosure revoked.")
    return redirect(url_for("case_pages.case_page", case_id=request.form.get("case_id", "")))


@bp.post("/cases/<uuid:case_id>/referrals")
@page("case:refer")
def referral_create(case_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    try:
        to_org = uuid.UUID(request.form.get("to_organisation_id", ""))
    except ValueError:
        flash("Choose an organisation.", "error")
        return redirect(url_for("case_pages.case_page", case_id=case_id))
    data = {"to_organisation_id": to_org, "kind": request.form.get("kind", "service"),
            "sphere_of_life": request.form.get("sphere_of_life") or None,
            "purpose": request.form.get("purpose", "").strip()}
    if not data["purpose"]:
        flash("A referral needs a purpose.", "error")
    else:
        _attempt(lambda: referrals.create_referral(db.session(), current_actor(), case_id,
                                                   data), "Referral offered.")
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.get("/inbox")
@page("referral:list")
def inbox() -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    actor = current_actor()
    s = db.session()

    def load() -> tuple[Any, Any]:
        incoming = referrals.list_referrals(s, actor, {"direction": "incoming", "page": 1,
                                                       "per_page": 100})
        outgoing = referrals.list_referrals(s, actor, {"direction": "outgoing", "page": 1,
                                                       "per_page": 100})
        return incoming, outgoing

    incoming, outgoing = run_in_transaction(load)
    org_names = {o.id: o.name for o in s.query(Organisation)}
    return render_template("cases/inbox.html", incoming=incoming["items"],
                           outgoing=outgoing["items"], org_names=org_names)


@bp.post("/referrals/<uuid:referral_id>/transition")
@page("referral:transition")
def referral_transition(referral_id: uuid.UUID) -> Any:
    if (redirect_to := _login_required()) is not None:
        return redirect_to
    data = {"trigger": request.form.get("trigger", ""),
            "reason": request.form.get("reason") or None,
            "outcome": request.form.get("outcome") or None}
    _attempt(lambda: referrals.transition_referral(db.session(), current_actor(), referral_id,
                                                   data, None), f"Done: {data['trigger']}.")
    return redirect(same_site_path(request.form.get("next", ""))
                    or url_for("case_pages.inbox"))
