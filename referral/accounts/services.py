"""Accounts: login and logout, users and roles (with separation of duties), tokens,
sessions and password changes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from policies.actor import Actor, Decision
from policies.grants import GrantFacts, decide_grant, may_manage_user, refused_grant
from policies.vocabulary import (
    ACCESS_ROLES,
    CASE_ROLES,
    LIVC_ROLES,
    OVERSIGHT_ROLES,
    REQUIRED_CLEARANCE,
    ROLES,
    clearance_at_least,
)
from referral.accounts import mfa, passwords, sessions
from referral.accounts.lockout import (
    refuse_if_locked,
    refuse_unknown_if_locked,
    register_failure,
    register_unknown_failure,
)
from referral.accounts.models import ApiToken, RoleAssignment, User, UserSession
from referral.core import clock, errors
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.core.transaction import denial
from referral.notifications.services import notify_organisation
from referral.organisations.models import Livc, LivcMember, Organisation


def check_password(s: Session, username: str, password: str) -> User:
    """The first factor: the user, or 401 (the same for an unknown user) or 429."""
    user = s.scalar(select(User).where(User.username == username))
    if user is not None:
        refuse_if_locked(s, user, "auth:login")
    else:  # locked out like an account, so that the lockout does not tell who exists
        refuse_unknown_if_locked(s, username)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        if user is not None:
            register_failure(s, user, "auth:login",
                             "bad_credentials" if ok is False else "inactive")
        else:
            register_unknown_failure(s, username)
        raise errors.Unauthorized("Unknown username or wrong password.")
    return user


def complete_login(s: Session, user: User, factors: str) -> None:
    """Every factor was given: clear the failure count and audit the login."""
    user.failed_logins = 0
    user.locked_until = None
    chain.record(s, sessions.actor_for(user), "auth:login", object_type="user",
                 object_id=user.id, purpose=f"factors: {factors}")


def login(s: Session, username: str, password: str) -> User:
    """Password-only login (accounts to which MFA does not apply)."""
    user = check_password(s, username, password)
    complete_login(s, user, "password")
    return user


def logout(s: Session, actor: Actor, session_row: UserSession | None) -> None:
    if session_row is not None:
        row = s.get(UserSession, session_row.id)
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = clock.now(), "logout"
    chain.record(s, actor, "auth:logout", object_type="user", object_id=actor.user_id)


def _validate_roles(s: Session, roles: list[dict[str, Any]], organisation_id: uuid.UUID,
                    clearance: str) -> list[tuple[str, uuid.UUID | None]]:
    pairs = list(dict.fromkeys((r["role"], r.get("livc_id")) for r in roles))
    names = {r for r, _ in pairs}
    oversight = names & set(OVERSIGHT_ROLES + ACCESS_ROLES)
    case_like = names & set(CASE_ROLES + LIVC_ROLES)
    if oversight and (case_like or len(oversight) > 1):
        raise errors.field_error(
            "roles", "Separation of duties: administrators, auditors, DPOs, regional analysts "
            "and access managers hold no other role (no case role, and not each other's).")
    for role, livc_id in pairs:
        if role in LIVC_ROLES:
            if livc_id is None:
                raise errors.field_error("roles", f"{role} needs a livc_id.")
            if s.get(Livc, livc_id) is None:
                raise errors.field_error("roles", f"Unknown LIVC {livc_id}.")
            member = s.scalar(select(LivcMember.id).where(
                LivcMember.livc_id == livc_id, LivcMember.organisation_id == organisation_id))
            if member is None:
                raise errors.field_error(
                    "roles", f"{role}: the user's organisation is not a member of that LIVC.")
        elif livc_id is not None:
            raise errors.field_error("roles", f"{role} is not scoped to a LIVC; omit livc_id.")
        required = REQUIRED_CLEARANCE.get(role)
        if required and not clearance_at_least(clearance, required):
            raise errors.field_error(
                "security_clearance", f"{role} needs a security clearance of at least "
                f"'{required}'.")
    return pairs


def _check_mfa_exemption(data: dict[str, Any]) -> None:
    if data.get("mfa_required") is False and not sessions.mfa_exemptions_allowed():
        raise errors.field_error(
            "mfa_required", "MFA is required for every account here (REFERRAL_MFA_REQUIRED); "
            "only development demo accounts are exempt.")


def create_user(s: Session, actor: Actor, data: dict[str, Any]) -> User:
    if s.get(Organisation, data["organisation_id"]) is None:
        raise errors.field_error("organisation_id", "Unknown organisation.")
    if s.scalar(select(User.id).where(func.lower(User.username) == data["username"].lower())):
        raise errors.field_error("username", "This username is taken.")
    org = s.get(Organisation, data["organisation_id"])
    weak = passwords.problems(data["password"], data["username"],
                              (data["display_name"], org.name if org else ""))
    if weak:
        raise errors.ValidationFailed({"password": weak})
    if not may_manage_user(actor, data["organisation_id"]).allowed:
        raise errors.Forbidden("An access manager creates users of its own organisation only.",
                               rule="own_organisation_only", _audit=denial(
                                   actor, "user:create", "own_organisation_only",
                                   object_type="organisation",
                                   object_id=data["organisation_id"]))
    pairs = _validate_roles(s, data["roles"], data["organisation_id"],
                            data["security_clearance"])
    _authorize_grants(s, actor, data["organisation_id"], set(), set(pairs), None)
    _check_mfa_exemption(data)
    user = User(
        username=data["username"], display_name=data["display_name"],
        email=data.get("email"), password_hash=passwords.hash_password(data["password"]),
        organisation_id=data["organisation_id"], mfa_required=data["mfa_required"],
        security_clearance=data["security_clearance"],
        roles=[RoleAssignment(role=r, livc_id=lv) for r, lv in pairs],
    )
    s.add(user)
    s.flush()
    _announce_case_roles(s, user.organisation_id, set(), set(pairs))
    chain.record(s, actor, "user:create", object_type="user", object_id=user.id,
                 purpose="roles: " + ",".join(sorted(r for r, _ in pairs)))
    return user


def get_user(s: Session, user_id: uuid.UUID) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise errors.NotFound("No such user.")
    return user


def user_for(s: Session, actor: Actor, user_id: uuid.UUID, action: str) -> User:
    """The user if the actor manages its organisation (``policies.grants``); another
    organisation's user is as absent as a missing one (404, audited)."""
    user = s.get(User, user_id)
    if user is None or not may_manage_user(actor, user.organisation_id).allowed:
        raise errors.NotFound("No such user.", _audit=denial(
            actor, action, "own_organisation_only" if user else "no_relation",
            object_type="user", object_id=user_id))
    return user


def list_users(s: Session, actor: Actor, page: int, per_page: int,
               organisation_id: uuid.UUID | None) -> tuple[list[User], int]:
    stmt = select(User)
    if organisation_id:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if not actor.has_role("admin"):  # an access manager: its own organisation only
        stmt = stmt.where(User.organisation_id == actor.organisation_id)
    rows, total = paginate(s, stmt, page, per_page, User.username)
    return list(rows), total


def _grant_facts(s: Session, organisation_id: uuid.UUID, user_id: uuid.UUID | None
                 ) -> GrantFacts:
    # Any access manager account counts, active or not: otherwise the administrator could
    # deactivate the organisation's access manager and appoint one of its own.
    other = s.scalar(select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id)
                     .where(User.organisation_id == organisation_id,
                            RoleAssignment.role == "access_manager",
                            User.id != (user_id or uuid.UUID(int=0))).limit(1))
    return GrantFacts(organisation_id=organisation_id, has_access_manager=other is not None)


def _authorize_grants(s: Session, actor: Actor, organisation_id: uuid.UUID,
                      before: set[tuple[str, uuid.UUID | None]],
                      after: set[tuple[str, uuid.UUID | None]], user_id: uuid.UUID | None
                      ) -> None:
    """403 naming the rule unless the actor may make every change of roles."""
    changed = {role for role, _ in before ^ after}
    refused = refused_grant(actor, changed, _grant_facts(s, organisation_id, user_id))
    if refused is not None:
        raise errors.Forbidden(refused.reason, rule=refused.rule, _audit=denial(
            actor, "user:grant", refused.rule, object_type="user", object_id=user_id))


def role_choices(s: Session, actor: Actor, organisation_id: uuid.UUID,
                 user_id: uuid.UUID | None) -> dict[str, Decision]:
    """Per role, whether ``actor`` may grant or remove it for a user of that organisation:
    the decision :func:`create_user` and :func:`update_user` enforce, for a form to show
    before anything is saved."""
    facts = _grant_facts(s, organisation_id, user_id)
    return {role: decide_grant(actor, role, facts) for role in ROLES}


def check_roles(s: Session, actor: Actor, organisation_id: uuid.UUID, user_id: uuid.UUID | None,
                before: set[tuple[str, uuid.UUID | None]], roles: list[dict[str, Any]],
                clearance: str) -> list[tuple[str, uuid.UUID | None]]:
    """What saving ``roles`` would do, saving nothing: the roles, or the problem saving
    would raise (separation of duties, LIVC scope, clearance, who may grant)."""
    pairs = _validate_roles(s, roles, organisation_id, clearance)
    _authorize_grants(s, actor, organisation_id, before, set(pairs), user_id)
    return pairs


def _announce_case_roles(s: Session, organisation_id: uuid.UUID,
                         before: set[tuple[str, uuid.UUID | None]],
                         after: set[tuple[str, uuid.UUID | None]]) -> None:
    """Every grant of a case role is told to the organisation's reference persons."""
    granted = sorted(role for role, _ in after - before if role in CASE_ROLES + ACCESS_ROLES)
    for role in granted:
        notify_organisation(s, organisation_id, "case_role_granted",
                            f"A user of your organisation was given the {role.replace('_', ' ')}"
                            " role.", None)


def update_user(s: Session, actor: Actor, user_id: uuid.UUID, data: dict[str, Any],
                expected_version: int | None) -> User:
    user = user_for(s, actor, user_id, "user:update")
    if expected_version is not None and expected_version != user.version:
        raise errors.Conflict("The user was changed in the meantime.",
                              current_version=user.version)
    changes = []
    end_reason = None
    if "display_name" in data:
        user.display_name = data["display_name"]
        changes.append("display_name")
    if "email" in data:
        user.email = data["email"]
        changes.append("email")
    if "security_clearance" in data:
        user.security_clearance = data["security_clearance"]
        changes.append("security_clearance")
    if "mfa_required" in data:
        _check_mfa_exemption(data)
        user.mfa_required = data["mfa_required"]
        changes.append("mfa_required")
    if data.get("reset_mfa"):
        mfa.reset(s, actor, user)
        changes.append("mfa_reset")
        end_reason = end_reason or "mfa_reset"
    if "roles" in data or "security_clearance" in data:
        wanted = data.get("roles")
        current = [{"role": r.role, "livc_id": r.livc_id} for r in user.roles]
        pairs = _validate_roles(s, current if wanted is None else wanted, user.organisation_id,
                                user.security_clearance)
        before = {(r.role, r.livc_id) for r in user.roles}
        if wanted is not None and set(pairs) != before:
            _authorize_grants(s, actor, user.organisation_id, before, set(pairs), user.id)
            _announce_case_roles(s, user.organisation_id, before, set(pairs))
            user.roles.clear()
            s.flush()
            user.roles.extend(RoleAssignment(role=r, livc_id=lv) for r, lv in pairs)
            changes.append("roles")
            end_reason = "roles_changed"
    if "active" in data and data["active"] != user.active:
        if actor.user_id == user.id and not data["active"]:
            raise errors.field_error("active", "You cannot deactivate yourself.")
        user.active = data["active"]
        changes.append("active")
        if not user.active:
            end_reason = "deactivated"
    if end_reason:
        # Sessions carry the old rights: end them now, not at next login.  (Tokens are
        # judged with the user's current roles on every request.)
        sessions.end_sessions_of(user.id, end_reason)
    if "active" in data and not user.active:
        # A deactivation is often a lost device or a leaked token: revoke the personal API
        # tokens for good, so that a later reactivation does not bring them back.
        s.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                         ApiToken.revoked_at.is_(None))
                  .values(revoked_at=clock.now()))
    user.version  # noqa: B018 - load before flush so version_id_col compares
    s.flush()
    chain.record(s, actor, "user:update", object_type="user", object_id=user.id,
                 purpose="changed: " + ",".join(changes) if changes else None)
    return user


def create_token(s: Session, actor: Actor, name: str, days: int) -> tuple[ApiToken, str]:
    assert actor.user_id is not None
    token = sessions.new_token("lr_")
    row = ApiToken(user_id=actor.user_id, name=name, token_hash=sessions.token_hash(token),
                   expires_at=clock.now() + timedelta(days=days))
    s.add(row)
    s.flush()
    chain.record(s, actor, "token:create", object_type="api_token", object_id=row.id)
    return row, token


def list_tokens(s: Session, actor: Actor) -> list[ApiToken]:
    return list(s.scalars(select(ApiToken).where(ApiToken.user_id == actor.user_id)
                          .order_by(ApiToken.created_at.desc())))


def revoke_token(s: Session, actor: Actor, token_id: uuid.UUID) -> None:
    row = s.get(ApiToken, token_id)
    if row is None or row.user_id != actor.user_id:
        raise errors.NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    chain.record(s, actor, "token:revoke", object_type="api_token", object_id=row.id)


def list_sessions(s: Session, actor: Actor) -> list[UserSession]:
    return list(s.scalars(select(UserSession).where(
        UserSession.user_id == actor.user_id, UserSession.ended_at.is_(None))
        .order_by(UserSession.created_at.desc())))


def end_session(s: Session, actor: Actor, session_id: uuid.UUID) -> None:
    row = s.get(UserSession, session_id)
    if row is None or row.user_id != actor.user_id or row.ended_at is not None:
        raise errors.NotFound("No such session.")
    row.ended_at, row.end_reason = clock.now(), "ended_by_user"
    chain.record(s, actor, "session:end", object_type="session", object_id=row.id)


def end_sessions(s: Session, actor: Actor, user_id: uuid.UUID | None, tokens: bool,
                 keep_session_id: uuid.UUID | None = None) -> dict[str, int]:
    """Administrator: end the open sessions of one user (``user_id``) or of everyone, and
    with ``tokens`` revoke their API tokens too."""
    if user_id is not None:
        get_user(s, user_id)
    now = clock.now()
    sessions = select(UserSession).where(UserSession.ended_at.is_(None))
    api_tokens = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if user_id is not None:
        sessions = sessions.where(UserSession.user_id == user_id)
        api_tokens = api_tokens.where(ApiToken.user_id == user_id)
    ended = revoked = 0
    for row in s.scalars(sessions):
        if row.id != keep_session_id:
            row.ended_at, row.end_reason = now, "ended_by_admin"
            ended += 1
    for token in s.scalars(api_tokens) if tokens else ():
        token.revoked_at = now
        revoked += 1
    chain.record(s, actor, "session:end_all", object_type="user", object_id=user_id,
                 purpose=f"{ended} sessions ended, {revoked} tokens revoked")
    return {"sessions_ended": ended, "tokens_revoked": revoked}


def change_password(s: Session, actor: Actor, current: str, new: str,
                    keep_session_id: uuid.UUID | None) -> None:
    user = s.get(User, actor.user_id)
    assert user is not None
    if not passwords.verify(user.password_hash, current):
        raise errors.field_error("current_password", "This is not your current password.")
    weak = passwords.problems(new, user.username, (user.display_name, user.organisation.name))
    if weak:
        raise errors.ValidationFailed({"new_password": weak})
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = clock.now()
    sessions.end_sessions_of(user.id, "password_changed", except_id=keep_session_id)
    chain.record(s, actor, "user:password_change", object_type="user", object_id=user.id)


def create_admin(s: Session, username: str, password: str, organisation_name: str) -> User:
    """Bootstrap the first administrator (CLI), with an operator organisation."""
    weak = passwords.problems(password, username)
    if weak:
        raise errors.ValidationFailed({"password": weak})
    if s.scalar(select(User.id).where(User.username == username)):
        raise errors.field_error("username", "This username is taken.")
    org = s.scalar(select(Organisation).where(Organisation.name == organisation_name))
    if org is None:
        org = Organisation(name=organisation_name, kind="other")
        s.add(org)
        s.flush()
    user = User(username=username, display_name=username, organisation_id=org.id,
                password_hash=passwords.hash_password(password),
                roles=[RoleAssignment(role="admin")])
    s.add(user)
    s.flush()
    chain.record(s, None, "user:create_admin", object_type="user", object_id=user.id)
    return user
