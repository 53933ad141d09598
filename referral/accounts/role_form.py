"""The roles form of the user pages: which roles this actor may grant, and what saving a
choice would do, said before anything is saved.

Each checkbox is a role (``reference_person``) or a role in one LIVC
(``livc_member:<livc id>``).  Whether the actor may grant or remove it is the decision
of ``policies.grants`` (through ``services.role_choices``); what a whole choice would do
(separation of duties, LIVC membership, clearance) is ``services.check_roles``, run
without saving.  The page only lays both out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.vocabulary import (
    ACCESS_ROLES,
    CASE_ROLES,
    LIVC_ROLES,
    OVERSIGHT_ROLES,
    REQUIRED_CLEARANCE,
)
from referral.accounts import messages
from referral.accounts import services as accounts
from referral.core import errors
from referral.organisations.models import Livc, LivcMember
from referral.web import problems
from referral.web.labels import label

Pair = tuple[str, uuid.UUID | None]

@dataclass(frozen=True)
class RoleOption:
    value: str
    role: str
    livc_name: str | None
    checked: bool
    allowed: bool
    rule: str
    requires: str | None  # the clearance the role needs, if any


@dataclass(frozen=True)
class Preview:
    ok: bool
    added: list[str]
    removed: list[str]
    message: str


def value_of(pair: Pair) -> str:
    role, livc_id = pair
    return f"{role}:{livc_id}" if livc_id else role


def parse(values: list[str]) -> list[dict[str, Any]]:
    """Checkbox values to the API's ``roles`` list (a malformed LIVC id is an unknown LIVC)."""
    roles: list[dict[str, Any]] = []
    for value in dict.fromkeys(values):
        role, _sep, livc = value.partition(":")
        try:
            livc_id = uuid.UUID(livc) if livc else None
        except ValueError:
            livc_id = uuid.UUID(int=0)
        roles.append({"role": role, "livc_id": livc_id})
    return roles


def pairs_of(roles: list[dict[str, Any]]) -> set[Pair]:
    return {(r["role"], r.get("livc_id")) for r in roles}


def member_livcs(s: Session, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The LIVCs the organisation is a member of: where its users may hold LIVC roles."""
    rows = s.execute(select(Livc.id, Livc.name).join(LivcMember, LivcMember.livc_id == Livc.id)
                     .where(LivcMember.organisation_id == organisation_id).order_by(Livc.name))
    return [(row[0], row[1]) for row in rows]


def _livc_names(s: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in s.execute(select(Livc.id, Livc.name)
                                                .where(Livc.id.in_(ids)))}


def options(s: Session, actor: Actor, organisation_id: uuid.UUID, user_id: uuid.UUID | None,
            held: set[Pair], selected: set[Pair]) -> dict[str, list[RoleOption]]:
    """The checkboxes, by group: what the user holds or was chosen, and what may be granted."""
    choices = accounts.role_choices(s, actor, organisation_id, user_id)
    livcs = member_livcs(s, organisation_id)
    names = dict(livcs) | _livc_names(s, {lv for _r, lv in held | selected if lv})

    def option(role: str, livc_id: uuid.UUID | None) -> RoleOption:
        decision = choices[role]
        return RoleOption(value=value_of((role, livc_id)), role=role,
                          livc_name=names.get(livc_id) if livc_id else None,
                          checked=(role, livc_id) in selected, allowed=decision.allowed,
                          rule=decision.rule, requires=REQUIRED_CLEARANCE.get(role))

    livc_ids = [lv for lv, _name in livcs] + sorted(
        {lv for r, lv in held | selected if lv and lv not in dict(livcs)}, key=str)
    return {
        "case": [option(r, None) for r in CASE_ROLES],
        "access": [option(r, None) for r in ACCESS_ROLES],
        "livc": [option(r, lv) for lv in livc_ids for r in LIVC_ROLES],
        "oversight": [option(r, None) for r in OVERSIGHT_ROLES],
    }


def _role_label(pair: Pair, names: dict[uuid.UUID, str]) -> str:
    role, livc_id = pair
    if livc_id is None:
        return label(role, "role")
    return _("%(role)s in %(livc)s", role=label(role, "role"),
             livc=names.get(livc_id, _("an unknown LIVC")))


def explain(problem: errors.Problem) -> str:
    """A refusal of a roles change in words: the rule, or the combination that is refused."""
    if isinstance(problem, errors.ValidationFailed):
        found = messages.field_messages(problem)
        return " ".join(" ".join(msgs) for msgs in found.values()) or problems.describe(
            problem)
    return problems.describe(problem)


def preview(s: Session, actor: Actor, organisation_id: uuid.UUID, user_id: uuid.UUID | None,
            before: set[Pair], roles: list[dict[str, Any]], clearance: str) -> Preview:
    """What saving ``roles`` would do, with the same checks as saving; nothing is saved and
    nothing is recorded (a preview is not an act)."""
    after = pairs_of(roles)
    names = _livc_names(s, {lv for _r, lv in before | after if lv})
    added = sorted(_role_label(p, names) for p in after - before)
    removed = sorted(_role_label(p, names) for p in before - after)
    try:
        accounts.check_roles(s, actor, organisation_id, user_id, before, roles, clearance)
    except errors.Problem as exc:
        exc.extra.pop("_audit", None)
        return Preview(False, added, removed, explain(exc))
    finally:
        s.rollback()
    if not added and not removed:
        return Preview(True, added, removed, _("Nothing would change."))
    return Preview(True, added, removed, _("This change is allowed. Save it to apply it."))
