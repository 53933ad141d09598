"""The administration pages for users: the platform administrator's and, for its own
organisation's users, the organisation's access manager's.

The same services as the API's ``/users`` routes (``services.list_users``, ``user_for``,
``create_user``, ``update_user``, ``end_sessions``): the administrator sees every user,
an access manager only its organisation's (another organisation's user is a 404, as in
the API).  Changes need a recent second factor like the API's (``require_recent_mfa``);
the roles form says, before saving, which roles this actor may grant and what a choice
would do (``role_form``).  Organisations and LIVCs: ``referral.organisations.pages``.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from policies.actor import Actor
from policies.vocabulary import SECURITY_CLEARANCES
from referral.accounts import messages, role_form, sessions
from referral.accounts import services as accounts
from referral.accounts.account_pages import is_step_up, step_up_needed, step_up_redirect
from referral.accounts.models import User
from referral.accounts.schemas import UserIn
from referral.core import db, errors
from referral.core.actor import current_actor
from referral.core.authz import authorize
from referral.core.transaction import run_in_transaction
from referral.organisations import services as organisations
from referral.organisations.models import Organisation
from referral.web import problems
from referral.web.pages import page, page_count, page_links, page_number

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")

PER_PAGE = 50
USER_FIELDS = {"username": _l("Username"), "display_name": _l("Name"), "email": _l("E-mail"),
               "password": _l("First password"), "organisation_id": _l("Organisation"),
               "roles": _l("Roles"), "security_clearance": _l("Security clearance"),
               "mfa_required": _l("Two-factor authentication"), "active": _l("Account active")}


def _admit(action: str) -> Response | None:
    """The login page for anonymous visitors; 403 naming the rule (audited) for the others."""
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login_page"))  # type: ignore[return-value]
    run_in_transaction(lambda: authorize(actor, action))
    return None


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


def _names(fields: dict[str, list[str]]) -> dict[str, str]:
    return {k: str(v) for k, v in USER_FIELDS.items() if k in fields}


@bp.get("")
@page("user:list")
def index() -> Any:
    if (gone := _admit("user:list")) is not None:
        return gone
    actor = current_actor()
    own = db.session().get(Organisation, actor.organisation_id)
    return _html("admin/index.html", is_admin=actor.has_role("admin"), organisation=own)


# -- users ---------------------------------------------------------------------------------


def _organisation_filter(actor: Actor) -> uuid.UUID | None:
    raw = request.args.get("organisation_id", "")
    try:
        wanted = uuid.UUID(raw) if raw else None
    except ValueError:
        wanted = None
    return wanted if actor.has_role("admin") else actor.organisation_id


@bp.get("/users")
@page("user:list")
def user_list() -> Any:
    if (gone := _admit("user:list")) is not None:
        return gone
    actor = current_actor()
    page_no = page_number()
    chosen = _organisation_filter(actor)

    def load() -> dict[str, Any]:
        s = db.session()
        rows, total = accounts.list_users(s, actor, page_no, PER_PAGE, chosen)
        orgs = organisations.list_organisations(s, 1, 200)[0] if actor.has_role("admin") \
            else []
        return {"result": {"items": rows, "total": total, "page": page_no,
                           "per_page": PER_PAGE, "pages": page_count(total, PER_PAGE)},
                "organisations": orgs}

    return _html("admin/users.html", **run_in_transaction(load), chosen=chosen,
                 is_admin=actor.has_role("admin"), link=page_links(".user_list"))


def _new_user_organisation(actor: Actor) -> uuid.UUID | None:
    if not actor.has_role("admin"):
        return actor.organisation_id
    raw = request.values.get("organisation_id", "")
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _user_form() -> dict[str, Any]:
    """The create form as the API's body (blank optional fields left out)."""
    form = request.form
    body: dict[str, Any] = {
        "username": form.get("username", "").strip(),
        "display_name": form.get("display_name", "").strip(),
        "password": form.get("password", ""),
        "organisation_id": form.get("organisation_id", ""),
        "roles": [{"role": r["role"], "livc_id": str(r["livc_id"]) if r["livc_id"] else None}
                  for r in role_form.parse(form.getlist("roles"))],
        "mfa_required": form.get("mfa_required") == "on",
        "security_clearance": form.get("security_clearance", "none"),
    }
    if form.get("email", "").strip():
        body["email"] = form["email"].strip()
    return body


def _render_new(org_id: uuid.UUID | None, status: int = 200, **extra: Any) -> Response:
    actor = current_actor()
    s = db.session()
    if org_id is None or s.get(Organisation, org_id) is None:
        orgs = organisations.list_organisations(s, 1, 200)[0]
        return _html("admin/user_pick_organisation.html", status, organisations=orgs)
    org = s.get(Organisation, org_id)
    form = extra.pop("form", {})
    selected = role_form.pairs_of(role_form.parse(request.form.getlist("roles")))
    options = role_form.options(s, actor, org_id, None, set(), selected)
    s.rollback()
    return _html("admin/user_new.html", status, organisation=org, options=options,
                 form=form, clearances=SECURITY_CLEARANCES, step_up=step_up_needed(),
                 **extra)


@bp.route("/users/new", methods=["GET", "POST"])
@page("user:create")
def user_new() -> Any:
    if (gone := _admit("user:create")) is not None:
        return gone
    actor = current_actor()
    org_id = _new_user_organisation(actor)
    if request.method == "GET":
        return _render_new(org_id, form={"mfa_required": True})
    body = _user_form()
    kept = {k: v for k, v in body.items() if k != "password"}  # a secret is never sent back
    try:
        data = UserIn().load(body)
    except ValidationError as exc:
        found = messages.field_messages(errors.ValidationFailed(exc.messages))  # type: ignore[arg-type]
        return _render_new(org_id, 422, form=kept, field_errors=found)
    if request.form.get("step") == "check":
        result = role_form.preview(db.session(), actor, data["organisation_id"], None, set(),
                                   data["roles"], data["security_clearance"])
        return _render_new(org_id, 200 if result.ok else 422, form=kept, preview=result)

    def create() -> User:
        sessions.require_recent_mfa()
        return accounts.create_user(db.session(), actor, data)

    try:
        user = run_in_transaction(create)
    except errors.Problem as exc:
        if is_step_up(exc):
            return step_up_redirect(url_for(".user_new", organisation_id=org_id))
        found = messages.field_messages(exc)
        status = exc.status if exc.status in {403, 409, 422} else 422
        refusal = role_form.explain(exc) if not found or "roles" in found else None
        return _render_new(org_id, status, form=kept, field_errors=found, refusal=refusal)
    flash(_("User %(name)s created.", name=user.display_name), "ok")
    return redirect(url_for(".user_page", user_id=user.id), code=303)


def _load_user(user_id: uuid.UUID, action: str) -> User:
    return accounts.user_for(db.session(), current_actor(), user_id, action)


def _render_user(user_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    actor = current_actor()

    def load() -> dict[str, Any]:
        s = db.session()
        user = _load_user(user_id, "user:read")
        held = {(r.role, r.livc_id) for r in user.roles}
        chosen = extra.pop("selected", held)
        return {"user": user,
                "options": role_form.options(s, actor, user.organisation_id, user.id, held,
                                             chosen)}

    context = run_in_transaction(load)
    return _html("admin/user.html", status, **context, clearances=SECURITY_CLEARANCES,
                 is_admin=actor.has_role("admin"), is_self=actor.user_id == user_id,
                 step_up=step_up_needed(), **extra)


@bp.get("/users/<uuid:user_id>")
@page("user:read")
def user_page(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:read")) is not None:
        return gone
    return _render_user(user_id)


def _version() -> int | None:
    return request.form.get("version", type=int)


def _update(user_id: uuid.UUID, data: dict[str, Any], done: str) -> Response:
    """Save a change through ``services.update_user``; the user page again either way."""
    def save() -> None:
        sessions.require_recent_mfa()
        accounts.update_user(db.session(), current_actor(), user_id, data, _version())

    try:
        run_in_transaction(save)
    except errors.Problem as exc:
        if is_step_up(exc):
            return step_up_redirect(url_for(".user_page", user_id=user_id))
        if isinstance(exc, errors.NotFound):
            raise
        found = messages.field_messages(exc)
        flash(messages.sentence(found, _names(found)) if found else problems.describe(exc),
              "error")
        return redirect(url_for(".user_page", user_id=user_id), code=303)  # type: ignore[return-value]
    flash(done, "ok")
    return redirect(url_for(".user_page", user_id=user_id), code=303)  # type: ignore[return-value]


@bp.post("/users/<uuid:user_id>/roles")
@page("user:update")
def user_roles(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:update")) is not None:
        return gone
    actor = current_actor()
    roles = role_form.parse(request.form.getlist("roles"))
    if request.form.get("step") != "check":
        return _save_roles(user_id, roles)

    def check() -> role_form.Preview:
        s = db.session()
        user = _load_user(user_id, "user:read")
        held = {(r.role, r.livc_id) for r in user.roles}
        return role_form.preview(s, actor, user.organisation_id, user.id, held, roles,
                                 user.security_clearance)

    result = run_in_transaction(check)
    return _render_user(user_id, 200 if result.ok else 422, preview=result,
                        selected=role_form.pairs_of(roles))


def _save_roles(user_id: uuid.UUID, roles: list[dict[str, Any]]) -> Response:
    def save() -> None:
        sessions.require_recent_mfa()
        accounts.update_user(db.session(), current_actor(), user_id, {"roles": roles},
                             _version())

    try:
        run_in_transaction(save)
    except errors.Problem as exc:
        if is_step_up(exc):
            return step_up_redirect(url_for(".user_page", user_id=user_id))
        if isinstance(exc, errors.NotFound):
            raise
        # Refused by the server: the same form again, the choice kept, the reason in words.
        return _render_user(user_id, exc.status if exc.status in {403, 409, 422} else 422,
                            refusal=role_form.explain(exc), selected=role_form.pairs_of(roles))
    flash(_("Roles saved. The user's sessions were ended: they log in again with the new "
            "roles."), "ok")
    return redirect(url_for(".user_page", user_id=user_id), code=303)  # type: ignore[return-value]


@bp.post("/users/<uuid:user_id>/details")
@page("user:update")
def user_details(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:update")) is not None:
        return gone
    form = request.form
    data: dict[str, Any] = {"display_name": form.get("display_name", "").strip()[:200],
                            "email": form.get("email", "").strip()[:254] or None}
    if form.get("security_clearance") in SECURITY_CLEARANCES:
        data["security_clearance"] = form["security_clearance"]
    if not data["display_name"]:
        flash(_("Name: this field is required."), "error")
        return redirect(url_for(".user_page", user_id=user_id), code=303)
    return _update(user_id, data, _("Details saved."))


@bp.post("/users/<uuid:user_id>/active")
@page("user:update")
def user_active(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:update")) is not None:
        return gone
    active = request.form.get("active") == "true"
    done = _("The account is active again.") if active else _(
        "The account is deactivated: its sessions are ended and its API tokens revoked.")
    return _update(user_id, {"active": active}, done)


@bp.post("/users/<uuid:user_id>/mfa-reset")
@page("user:update")
def user_mfa_reset(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:update")) is not None:
        return gone
    return _update(user_id, {"reset_mfa": True}, _(
        "The second factor is removed: the user sets up a new one at the next login."))


@bp.post("/users/<uuid:user_id>/sessions")
@page("user:end_sessions")
def user_end_sessions(user_id: uuid.UUID) -> Any:
    if (gone := _admit("user:end_sessions")) is not None:
        return gone
    tokens = request.form.get("tokens") == "on"

    def end() -> dict[str, int]:
        sessions.require_recent_mfa()
        _load_user(user_id, "user:read")
        return accounts.end_sessions(db.session(), current_actor(), user_id, tokens)

    try:
        ended = run_in_transaction(end)
    except errors.Problem as exc:
        if is_step_up(exc):
            return step_up_redirect(url_for(".user_page", user_id=user_id))
        raise
    flash(_("Sessions ended: %(sessions)s. API tokens revoked: %(tokens)s.",
            sessions=ended["sessions_ended"], tokens=ended["tokens_revoked"]), "ok")
    return redirect(url_for(".user_page", user_id=user_id), code=303)
