"""The DPO's pages: legal holds, the retention overview and the data-subject access report.

For the role ``dpo`` only: anyone else gets the 403 page naming the rule (the refusal is
audited), anonymous visitors go to the login page.  The pages call the services of the
API's legal-hold and access-report routes, so a hold and a report are on the ledger like
theirs; the overview is recorded as ``privacy:overview``.  The DPO names a case by its
reference and a person by national number or case reference, never by an id.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize
from referral.core.transaction import run_in_transaction
from referral.privacy import services
from referral.web import problems
from referral.web.pages import page, page_count, page_links, page_number

bp = Blueprint("privacy_pages", __name__, url_prefix="/privacy")

PER_PAGE = 50


def _admit(action: str) -> Response | None:
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _index(status: int = 200, hold_form: dict[str, str] | None = None,
           hold_errors: dict[str, list[str]] | None = None) -> Response:
    page_no = page_number()
    overview = run_in_transaction(lambda: services.retention_overview(
        db.session(), current_actor(), page_no, PER_PAGE))
    overview["pages"] = page_count(overview["due_total"], PER_PAGE)
    overview["total"] = overview["due_total"]
    html = render_template("privacy/index.html", overview=overview, link=page_links(".index"),
                           hold_form=hold_form or {"reference": "", "reason": ""},
                           hold_errors=hold_errors or {})
    return Response(html, status=status)


@bp.get("")
@page("privacy:overview")
def index() -> Any:
    if (gone := _admit("privacy:overview")) is not None:
        return gone
    return _index()


@bp.post("/legal-holds")
@page("case:legal_hold")
def place_hold() -> Any:
    if (gone := _admit("case:legal_hold")) is not None:
        return gone
    form = {"reference": request.form.get("reference", "").strip()[:40],
            "reason": request.form.get("reason", "").strip()[:500]}
    field_errors: dict[str, list[str]] = {}
    if not form["reference"]:
        field_errors["reference"] = [_("Give the case reference.")]
    if not form["reason"]:
        field_errors["reason"] = [_("Give the reason for the hold (a claim, an inquiry...).")]
    if not field_errors:
        def place() -> str:
            s = db.session()
            case = services.case_for_reference(s, form["reference"])
            services.set_legal_hold(s, current_actor(), case.id, form["reason"])
            return case.reference

        try:
            reference = run_in_transaction(place)
        except errors.ValidationFailed:
            field_errors["reference"] = [_("No case has this reference.")]
        except errors.Gone:
            field_errors["reference"] = [_("This case was purged already: there is nothing "
                                           "left to hold.")]
        else:
            flash(_("Legal hold placed on case %(reference)s: it will not be purged until "
                    "the hold is lifted.", reference=reference), "ok")
            return redirect(url_for(".index"))
    return _index(422, form, field_errors)


@bp.post("/legal-holds/<uuid:case_id>/lift")
@page("case:legal_hold")
def lift_hold(case_id: uuid.UUID) -> Any:
    if (gone := _admit("case:legal_hold")) is not None:
        return gone
    try:
        case = run_in_transaction(lambda: services.set_legal_hold(
            db.session(), current_actor(), case_id, None))
    except (errors.NotFound, errors.Gone) as exc:
        flash(problems.describe(exc), "error")
    else:
        flash(_("Legal hold lifted on case %(reference)s: retention applies again.",
                reference=case.reference), "ok")
    return redirect(url_for(".index"))


# -- the data-subject access report (GDPR art. 15) ----------------------------------------------


def _report_form(status: int = 200, form: dict[str, str] | None = None,
                 field_errors: dict[str, list[str]] | None = None) -> Response:
    html = render_template("privacy/report_form.html",
                           form=form or {"reference": ""}, errors=field_errors or {})
    return Response(html, status=status)


@bp.get("/access-report")
@page("dsar:generate")
def report_form() -> Any:
    if (gone := _admit("dsar:generate")) is not None:
        return gone
    return _report_form()


@bp.post("/access-report")
@page("dsar:generate")
def access_report() -> Any:
    if (gone := _admit("dsar:generate")) is not None:
        return gone
    national_number = request.form.get("national_number", "").strip()[:20]
    reference = request.form.get("reference", "").strip()[:40]
    # The national number is never sent back to the browser: the form comes back empty.
    kept = {"reference": reference}
    if bool(national_number) == bool(reference):
        return _report_form(422, kept, {"_": [_("Fill in either the national number or a "
                                                "case reference, not both.")]})
    try:
        report = run_in_transaction(lambda: (
            services.access_report(db.session(), current_actor(), national_number)
            if national_number else
            services.access_report_for_reference(db.session(), current_actor(), reference)))
    except errors.ValidationFailed as exc:
        said = problems.field_messages(exc)
        if "reference" in said:
            said["reference"] = [_("No case has this reference.")]
        if "national_number" in said:
            said["national_number"] = [_("This is not a valid national number: check the "
                                         "digits and the check number.")]
        return _report_form(422, kept, said)
    return render_template("access_report.html", report=report, from_page=True,
                           produced_at=clock.now())
