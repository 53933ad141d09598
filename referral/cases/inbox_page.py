"""The inbox of a reference person or case worker: referrals to decide, cases that need a
step, overdue screenings and reviews, match notifications and the open actions the LIVC
gave to the organisation.  Read through the services the API uses (``attention``)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import select

from referral.cases.attention import attention
from referral.cases.page_support import bp, login_required
from referral.core import db
from referral.core.actor import current_actor
from referral.core.transaction import run_in_transaction
from referral.organisations.models import Organisation
from referral.web.pages import page


@bp.get("/inbox")
@page("referral:list")
def inbox() -> Any:
    if (redirect_to := login_required()) is not None:
        return redirect_to
    actor = current_actor()
    found = run_in_transaction(lambda: attention(db.session(), actor))
    org_names = dict(db.session().execute(select(Organisation.id, Organisation.name)).all())
    return render_template("cases/inbox.html", org_names=org_names, **found)
