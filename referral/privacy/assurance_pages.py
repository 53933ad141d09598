"""The assurance report on a page: choose a LIVC and a year, read it, print it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from referral.core import calendar, db, errors
from referral.core.actor import current_actor
from referral.core.transaction import denial, run_in_transaction
from referral.organisations.models import Livc
from referral.privacy import assurance
from referral.web import problems
from referral.web.pages import page

bp = Blueprint("assurance_pages", __name__)


@bp.get("/assurance")
@page("assurance:read")
def assurance_page() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login_page"))
    actor = current_actor()
    livcs = list(db.session().scalars(select(Livc).order_by(Livc.name)))
    if not actor.has_role("dpo"):  # a chair chooses among their own LIVCs
        livcs = [livc for livc in livcs if actor.has_role("livc_chair", livc.id)]
    if not livcs:
        run_in_transaction(lambda: _refuse(actor))
    this_year = calendar.today().year
    years = list(range(this_year, this_year - 6, -1))
    chosen, year = request.args.get("livc_id"), request.args.get("year", type=int)
    if not chosen:
        return render_template("privacy/assurance_form.html", livcs=livcs, years=years,
                               year=this_year, error=None)
    livc = next((x for x in livcs if str(x.id) == chosen), None)
    try:
        if livc is None or year is None:
            raise errors.field_error("livc_id", "Choose a LIVC.")
        report = run_in_transaction(lambda: assurance.report(db.session(), actor, livc.id,
                                                             year))
    except errors.ValidationFailed as exc:
        return render_template("privacy/assurance_form.html", livcs=livcs, years=years,
                               year=year or this_year, error=problems.describe(exc)), 422
    return render_template("privacy/assurance_report.html", report=report)


def _refuse(actor: Any) -> None:
    # Neither DPO nor chair of any LIVC: the same refusal, on the ledger, as the API's.
    raise errors.Forbidden("The assurance report is read by the data protection officer and "
                           "by the LIVC's own chair.", rule="assurance_readers",
                           _audit=denial(actor, "assurance:read", "assurance_readers"))
