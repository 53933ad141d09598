"""The administrator's pages for organisations and LIVCs (with their member organisations
and each membership's recorded invitation).

Listing and reading are the directory every logged-in user has (``authenticated_directory``,
as in the API); creating and changing are the administrator's (``admin_only``), through
the services of the API's ``/organisations`` and ``/livcs`` routes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

import policies
from policies.vocabulary import ORGANISATION_KINDS
from referral.accounts.models import User
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize
from referral.core.transaction import run_in_transaction
from referral.organisations import services
from referral.organisations.models import Livc, LivcMember, Organisation
from referral.organisations.schemas import LivcIn, OrganisationIn, OrganisationPatch
from referral.web import problems
from referral.web.pages import page, page_count, page_links, page_number

bp = Blueprint("organisation_pages", __name__, url_prefix="/admin")

PER_PAGE = 100
ORG_FIELDS = {"name": _l("Name"), "kind": _l("Kind")}
LIVC_FIELDS = {"name": _l("Name"), "municipality_nis": _l("Municipalities (NIS codes)"),
               "member_organisation_ids": _l("Member organisations"),
               "review_interval_days": _l("Review interval (days)"),
               "organisation_id": _l("Organisation")}


def _admit(action: str) -> Response | None:
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _may(action: str) -> bool:
    return policies.decide(current_actor(), action).allowed


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


# The services' messages (English, the API's) in the user's words.
_MESSAGES = (
    (re.compile(r"^An organisation with this name exists"),
     _l("An organisation with this name exists already.")),
    (re.compile(r"^A LIVC with this name exists"), _l("A LIVC with this name exists already.")),
    (re.compile(r"^Already a member of this LIVC"),
     _l("This organisation is a member of this LIVC already.")),
    (re.compile(r"^Users of this organisation hold roles in this LIVC"),
     _l("Users of this organisation hold roles in this LIVC: remove those roles first.")),
    (re.compile(r"is not a 5-digit NIS code|Give a NIS code"),
     _l("Give the municipalities' 5-digit NIS codes, separated by spaces or commas.")),
    (re.compile(r"^Unknown organisation"), _l("Choose an organisation from the list.")),
)


def _plain(message: str) -> str:
    for pattern, said in _MESSAGES:
        if pattern.search(message):
            return str(said)
    return problems.field_message(message)


def _field_messages(problem: errors.Problem) -> dict[str, list[str]]:
    return {name: [_plain(m) for m in msgs]
            for name, msgs in problems.field_messages(problem).items()}


def _invalid(exc: ValidationError) -> dict[str, list[str]]:
    return _field_messages(errors.ValidationFailed(exc.messages))  # type: ignore[arg-type]


def _flash_problem(exc: errors.Problem, names: dict[str, Any]) -> None:
    found = _field_messages(exc)
    flash(" ".join(f"{names.get(k, _('Form'))}: {' '.join(v)}" for k, v in found.items())
          if found else problems.describe(exc), "error")


# -- organisations -------------------------------------------------------------------------


def _render_organisations(status: int = 200, **extra: Any) -> Response:
    page_no = page_number()

    def load() -> dict[str, Any]:
        rows, total = services.list_organisations(db.session(), page_no, PER_PAGE)
        return {"items": rows, "total": total, "page": page_no, "per_page": PER_PAGE,
                "pages": page_count(total, PER_PAGE)}

    return _html("admin/organisations.html", status, result=run_in_transaction(load),
                 kinds=ORGANISATION_KINDS, may_create=_may("organisation:create"),
                 link=page_links(".organisation_list"), **extra)


@bp.get("/organisations")
@page("organisation:list")
def organisation_list() -> Any:
    return _admit("organisation:list") or _render_organisations()


@bp.post("/organisations")
@page("organisation:create")
def organisation_create() -> Any:
    if (gone := _admit("organisation:create")) is not None:
        return gone
    raw = {"name": request.form.get("name", "").strip(), "kind": request.form.get("kind", "")}
    try:
        data = OrganisationIn().load(raw)
        org = run_in_transaction(lambda: services.create_organisation(
            db.session(), current_actor(), data))
    except ValidationError as exc:
        return _render_organisations(422, form=raw, field_errors=_invalid(exc))
    except errors.ValidationFailed as exc:
        return _render_organisations(422, form=raw, field_errors=_field_messages(exc))
    flash(_("Organisation %(name)s created.", name=org.name), "ok")
    return redirect(url_for(".organisation_page", org_id=org.id), code=303)


def _render_organisation(org_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    def load() -> dict[str, Any]:
        s = db.session()
        org = services.get_organisation(s, org_id)
        livcs = list(s.scalars(select(Livc).join(LivcMember, LivcMember.livc_id == Livc.id)
                               .where(LivcMember.organisation_id == org.id)
                               .order_by(Livc.name)))
        return {"org": org, "livcs": livcs}

    return _html("admin/organisation.html", status, **run_in_transaction(load),
                 kinds=ORGANISATION_KINDS, may_update=_may("organisation:update"),
                 may_list_users=_may("user:list") and current_actor().has_role("admin"),
                 **extra)


@bp.get("/organisations/<uuid:org_id>")
@page("organisation:read")
def organisation_page(org_id: uuid.UUID) -> Any:
    return _admit("organisation:read") or _render_organisation(org_id)


@bp.post("/organisations/<uuid:org_id>")
@page("organisation:update")
def organisation_update(org_id: uuid.UUID) -> Any:
    if (gone := _admit("organisation:update")) is not None:
        return gone
    raw = {"name": request.form.get("name", "").strip(), "kind": request.form.get("kind", ""),
           "version": request.form.get("version", "")}
    try:
        data = OrganisationPatch().load({k: v for k, v in raw.items() if v})
        run_in_transaction(lambda: services.update_organisation(
            db.session(), current_actor(), org_id, data, data.get("version")))
    except ValidationError as exc:
        return _render_organisation(org_id, 422, form=raw, field_errors=_invalid(exc))
    except errors.ValidationFailed as exc:
        return _render_organisation(org_id, 422, form=raw,
                                    field_errors=_field_messages(exc))
    except errors.Conflict as exc:
        flash(problems.describe(exc), "error")
        return redirect(url_for(".organisation_page", org_id=org_id), code=303)
    flash(_("Organisation saved."), "ok")
    return redirect(url_for(".organisation_page", org_id=org_id), code=303)


# -- LIVCs ---------------------------------------------------------------------------------


def _all_organisations() -> list[Organisation]:
    return services.list_organisations(db.session(), 1, 200)[0]


def _render_livcs(status: int = 200, **extra: Any) -> Response:
    page_no = page_number()

    def load() -> dict[str, Any]:
        rows, total = services.list_livcs(db.session(), page_no, PER_PAGE)
        return {"items": rows, "total": total, "page": page_no, "per_page": PER_PAGE,
                "pages": page_count(total, PER_PAGE)}

    may_create = _may("livc:create")
    return _html("admin/livcs.html", status, result=run_in_transaction(load),
                 may_create=may_create, link=page_links(".livc_list"),
                 organisations=_all_organisations() if may_create else [], **extra)


@bp.get("/livcs")
@page("livc:list")
def livc_list() -> Any:
    return _admit("livc:list") or _render_livcs()


NIS_SEPARATORS = re.compile(r"[\s,;]+")


@bp.post("/livcs")
@page("livc:create")
def livc_create() -> Any:
    if (gone := _admit("livc:create")) is not None:
        return gone
    form = request.form
    raw: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "municipality_nis": [c for c in NIS_SEPARATORS.split(form.get("municipality_nis", ""))
                             if c],
        "member_organisation_ids": form.getlist("member_organisation_ids"),
        "review_interval_days": form.get("review_interval_days", "").strip() or "90",
    }
    kept = {**raw, "municipality_nis": form.get("municipality_nis", "")}
    try:
        data = LivcIn().load({**raw, "municipality_nis": raw["municipality_nis"] or ""})
        livc = run_in_transaction(lambda: services.create_livc(
            db.session(), current_actor(), data))
    except ValidationError as exc:
        return _render_livcs(422, form=kept, field_errors=_invalid(exc))
    except errors.ValidationFailed as exc:
        return _render_livcs(422, form=kept, field_errors=_field_messages(exc))
    flash(_("LIVC %(name)s created.", name=livc.name), "ok")
    return redirect(url_for(".livc_page", livc_id=livc.id), code=303)


def _render_livc(livc_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    actor = current_actor()
    may_update = _may("livc:update")

    def load() -> dict[str, Any]:
        s = db.session()
        livc = services.get_livc(s, livc_id)
        members = sorted(livc.members, key=lambda m: m.organisation.name)
        # Who invited is a user of the directory the administrator keeps; others see when.
        inviters: dict[uuid.UUID, str] = {}
        ids = {m.invited_by_user_id for m in members if m.invited_by_user_id}
        if actor.has_role("admin") and ids:
            inviters = {u.id: u.display_name for u in s.scalars(
                select(User).where(User.id.in_(ids)))}
        member_ids = {m.organisation_id for m in members}
        candidates = [o for o in _all_organisations() if o.id not in member_ids] \
            if may_update else []
        return {"livc": livc, "members": members, "inviters": inviters,
                "candidates": candidates}

    return _html("admin/livc.html", status, **run_in_transaction(load), may_update=may_update,
                 **extra)


@bp.get("/livcs/<uuid:livc_id>")
@page("livc:read")
def livc_page(livc_id: uuid.UUID) -> Any:
    return _admit("livc:read") or _render_livc(livc_id)


def _organisation_field() -> uuid.UUID | None:
    try:
        return uuid.UUID(request.form.get("organisation_id", ""))
    except ValueError:
        return None


@bp.post("/livcs/<uuid:livc_id>/members")
@page("livc:update")
def livc_member_add(livc_id: uuid.UUID) -> Any:
    if (gone := _admit("livc:update")) is not None:
        return gone
    org_id = _organisation_field()
    if org_id is None:
        flash(_("Choose an organisation to invite."), "error")
        return redirect(url_for(".livc_page", livc_id=livc_id), code=303)
    try:
        run_in_transaction(lambda: services.add_member(db.session(), current_actor(), livc_id,
                                                       org_id))
    except errors.ValidationFailed as exc:
        _flash_problem(exc, LIVC_FIELDS)
        return redirect(url_for(".livc_page", livc_id=livc_id), code=303)
    flash(_("The organisation is a member now; its invitation is recorded."), "ok")
    return redirect(url_for(".livc_page", livc_id=livc_id), code=303)


@bp.post("/livcs/<uuid:livc_id>/members/<uuid:organisation_id>/remove")
@page("livc:update")
def livc_member_remove(livc_id: uuid.UUID, organisation_id: uuid.UUID) -> Any:
    if (gone := _admit("livc:update")) is not None:
        return gone
    try:
        run_in_transaction(lambda: services.remove_member(
            db.session(), current_actor(), livc_id, organisation_id))
    except errors.ValidationFailed as exc:
        _flash_problem(exc, LIVC_FIELDS)
        return redirect(url_for(".livc_page", livc_id=livc_id), code=303)
    flash(_("The organisation is no longer a member of this LIVC."), "ok")
    return redirect(url_for(".livc_page", livc_id=livc_id), code=303)
