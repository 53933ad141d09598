"""Pages for reference persons and case workers: the case list and registration, notes,
disclosures and referrals; the case page itself is in ``case_page``, the inbox in
``inbox_page``.  Forms only, no JavaScript; every form carries the CSRF token; every page
calls the same services as the API, so the same rules decide and the same audit events are
written."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

import policies
from referral.cases import case_page, inbox_page, services
from referral.cases.notes import services as notes
from referral.cases.page_support import attempt, bp, field_errors, load_form, login_required
from referral.cases.referrals import services as referrals
from referral.cases.schemas import CaseIn
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize
from referral.core.transaction import run_in_transaction
from referral.organisations.models import Livc, LivcMember
from referral.web import ratelimit
from referral.web.labels import label
from referral.web.pages import page, page_count, page_links, page_number, same_site_path

__all__ = ["bp", "case_page", "inbox_page"]

CASES_PER_PAGE = 50
IDENTITY_FIELDS = ("national_number", "family_name", "given_names", "birth_date")


def _render_list(*, status: int = 200, errors_: dict[str, list[str]] | None = None,
                 form: dict[str, str] | None = None) -> Any:
    actor = current_actor()
    result = run_in_transaction(lambda: services.list_cases(
        db.session(), actor, {"page": page_number(), "per_page": CASES_PER_PAGE,
                              "state": request.args.get("state") or None}))
    result["pages"] = page_count(result["total"], CASES_PER_PAGE)
    # The LIVCs one may register in: those the organisation is a member of.
    livcs = db.session().scalars(
        select(Livc).join(LivcMember, LivcMember.livc_id == Livc.id)
        .where(LivcMember.organisation_id == actor.organisation_id).order_by(Livc.name)).all()
    can_register = policies.decide(actor, "case:create").allowed
    body = render_template("cases/list.html", result=result, livcs=livcs,
                           can_register=can_register, link=page_links(".case_list"),
                           field_errors=errors_ or {}, form=form or {})
    return body, status, {"Cache-Control": "no-store"} if form else {}


@bp.get("/cases")
@page("case:list")
def case_list() -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    return _render_list()


@bp.post("/cases/new")
@page("case:create")
@ratelimit.registration_limit
def case_register() -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    # Decided up front, like the API's route: who may not register learns nothing more.
    run_in_transaction(lambda: authorize(current_actor(), "case:create"))
    form = {k: request.form.get(k, "").strip() for k in (
        *IDENTITY_FIELDS, "livc_id", "context", "consent")}
    raw = {"livc_id": form["livc_id"] or None,
           "identity": {k: form[k] for k in IDENTITY_FIELDS if form[k]},
           "context": form["context"] or "community",
           # Voluntary services are offered only with consent (policies/README.md).
           "consent": form["consent"] or "unknown"}
    try:
        data = load_form(CaseIn(), raw)
        created = run_in_transaction(
            lambda: services.register_case(db.session(), current_actor(), data))
    except errors.ValidationFailed as exc:
        return _render_list(status=422, errors_=field_errors(exc), form=form)
    if created["matches"]:
        flash(_("Case %(ref)s registered as %(pseudonym)s; %(n)s other organisation(s) hold a "
                "case for the same person.", ref=created["reference"],
                pseudonym=created["pseudonym"], n=created["matches"]), "ok")
    else:
        flash(_("Case %(ref)s registered as %(pseudonym)s.", ref=created["reference"],
                pseudonym=created["pseudonym"]), "ok")
    return redirect(url_for("case_pages.case_page", case_id=created["id"]))


@bp.post("/cases/<uuid:case_id>/notes")
@page("note:create")
def note_create(case_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    body = request.form.get("body", "").strip()
    compartment = request.form.get("compartment", "internal")
    if not body:
        flash(_("A note needs a text."), "error")
    else:
        attempt(lambda: notes.create_note(db.session(), current_actor(), case_id, body,
                                          compartment), _("Note saved."))
    return redirect(url_for("case_pages.case_page", case_id=case_id))


def _back_to_case(case_id: str) -> Any:
    try:
        return redirect(url_for("case_pages.case_page", case_id=uuid.UUID(case_id)))
    except ValueError:
        return redirect(url_for("case_pages.case_list"))


@bp.post("/notes/<uuid:note_id>/disclose")
@page("note:disclose")
def note_disclose(note_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    data = {k: request.form.get(k, "").strip() for k in ("audience", "purpose", "legal_basis")}
    if not all(data.values()):
        flash(_("Give the audience, the purpose and the legal basis to disclose a note."),
              "error")
    else:
        attempt(lambda: notes.disclose(db.session(), current_actor(), note_id, data),
                _("Disclosed to: %(audience)s.", audience=label(data["audience"], "audience")))
    return _back_to_case(request.form.get("case_id", ""))


@bp.post("/disclosures/<uuid:disclosure_id>/revoke")
@page("disclosure:revoke")
def disclosure_revoke(disclosure_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    attempt(lambda: notes.revoke(db.session(), current_actor(), disclosure_id),
            _("Disclosure revoked."))
    return _back_to_case(request.form.get("case_id", ""))


@bp.post("/cases/<uuid:case_id>/referrals")
@page("case:refer")
def referral_create(case_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    try:
        to_org = uuid.UUID(request.form.get("to_organisation_id", ""))
    except ValueError:
        flash(_("Choose an organisation."), "error")
        return redirect(url_for("case_pages.case_page", case_id=case_id))
    data = {"to_organisation_id": to_org, "kind": request.form.get("kind", "service"),
            "sphere_of_life": request.form.get("sphere_of_life") or None,
            "purpose": request.form.get("purpose", "").strip()}
    if not data["purpose"]:
        flash(_("A referral needs a purpose."), "error")
    else:
        attempt(lambda: referrals.create_referral(db.session(), current_actor(), case_id,
                                                  data), _("Referral offered."))
    return redirect(url_for("case_pages.case_page", case_id=case_id))


@bp.post("/referrals/<uuid:referral_id>/transition")
@page("referral:transition")
def referral_transition(referral_id: uuid.UUID) -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    data = {"trigger": request.form.get("trigger", ""),
            "reason": request.form.get("reason", "").strip() or None,
            "outcome": request.form.get("outcome", "").strip() or None}
    if data["trigger"] == "decline" and not data["reason"]:
        flash(_("Say why you decline the referral."), "error")
    else:
        attempt(lambda: referrals.transition_referral(db.session(), current_actor(),
                                                      referral_id, data, None),
                _("Done: %(step)s.", step=label(data["trigger"], "trigger")))
    return redirect(same_site_path(request.form.get("next", ""))
                    or url_for("case_pages.inbox"))
