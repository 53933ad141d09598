"""What the LIVC chair's and coordinator's overview pages read: the LIVCs they run, with
their member organisations, recorded invitations and composition gate; the people a
meeting can invite; and the meetings a user manages or attends (no case data).

A LIVC is run by whoever may plan its meetings (``policies.meetings``, rule
``meeting_manager``); for anyone else it does not exist here (404).  The meeting list
puts each meeting it shows on the ledger as a read, like any other list.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

import policies
from policies.actor import Actor
from policies.meetings import MANAGER_ROLES, LivcFacts
from referral.accounts.models import RoleAssignment, User
from referral.core import errors
from referral.core.authz import authorize, read_each
from referral.meetings.access import meeting_facts
from referral.meetings.models import Meeting, MeetingAttendee, SecrecyAcknowledgement
from referral.meetings.services import composition_gaps
from referral.organisations.models import Livc, LivcMember, Organisation

# The fixed members of composition_gaps(), as the roles that make them.
FIXED_MEMBER_ROLES = {"chair": "livc_chair",
                      "police_information_officer": "police_information_officer",
                      "coordinator": "livc_coordinator"}
MEETINGS_SHOWN = 200


def runs(actor: Actor, livc_id: uuid.UUID) -> bool:
    return policies.decide(actor, "meeting:create", LivcFacts(livc_id)).allowed


def managed_livcs(s: Session, actor: Actor) -> list[dict[str, Any]]:
    ids = [lv for lv in actor.livcs_with(*MANAGER_ROLES) if runs(actor, lv)]
    if not ids:
        return []
    livcs = s.scalars(select(Livc).where(Livc.id.in_(ids)).order_by(Livc.name))
    return [{"id": lv.id, "name": lv.name, "municipality_nis": lv.municipality_nis,
             "member_count": len(lv.members), "missing": composition_gaps(s, lv.id)}
            for lv in livcs]


def livc_overview(s: Session, actor: Actor, livc_id: uuid.UUID) -> dict[str, Any]:
    livc = s.get(Livc, livc_id)
    if livc is None:
        raise errors.NotFound("No such LIVC.")
    authorize(actor, "meeting:create", LivcFacts(livc.id), object_type="livc",
              object_id=livc.id, hide=True, not_found="No such LIVC.")
    inviters: dict[uuid.UUID | None, str] = dict(s.execute(
        select(User.id, User.display_name).where(User.id.in_(
            [m.invited_by_user_id for m in livc.members if m.invited_by_user_id]))).all())
    members = [{"organisation_id": m.organisation_id, "name": m.organisation.name,
                "kind": m.organisation.kind, "invited_at": m.invited_at,
                "invited_by": inviters.get(m.invited_by_user_id)}
               for m in sorted(livc.members, key=lambda m: m.organisation.name.casefold())]
    return {"id": livc.id, "name": livc.name, "municipality_nis": livc.municipality_nis,
            "review_interval_days": livc.review_interval_days, "members": members,
            "missing": composition_gaps(s, livc.id), "people": livc_people(s, livc.id),
            "fixed_member_roles": FIXED_MEMBER_ROLES}


def livc_people(s: Session, livc_id: uuid.UUID) -> list[dict[str, Any]]:
    """Active users of member organisations holding a role in this LIVC: the people a
    meeting may invite (``services._check_attendees`` holds the same condition)."""
    members = select(LivcMember.organisation_id).where(LivcMember.livc_id == livc_id)
    rows = s.execute(
        select(User, Organisation.name, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(RoleAssignment.livc_id == livc_id, User.active.is_(True),
               User.organisation_id.in_(members))
        .order_by(Organisation.name, User.display_name, RoleAssignment.role)).all()
    people: dict[uuid.UUID, dict[str, Any]] = {}
    for user, org_name, role in rows:
        person = people.setdefault(user.id, {
            "id": user.id, "display_name": user.display_name, "organisation": org_name,
            "security_clearance": user.security_clearance, "roles": []})
        person["roles"].append(role)
    return list(people.values())


def list_meetings(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """Meetings of the LIVCs the actor runs and meetings the actor attends, by date."""
    managed = actor.livcs_with(*MANAGER_ROLES)
    attends = exists().where(MeetingAttendee.meeting_id == Meeting.id,
                             MeetingAttendee.user_id == actor.user_id)
    condition = or_(Meeting.livc_id.in_(managed), attends) if managed else attends
    rows = list(s.scalars(select(Meeting).where(condition)
                          .order_by(Meeting.scheduled_at, Meeting.id).limit(MEETINGS_SHOWN)))
    facts = {m.id: meeting_facts(s, m) for m in rows}
    read_each(s, actor, "meeting:read", Meeting, rows, lambda m: facts[m.id])
    names = dict(s.execute(select(Livc.id, Livc.name).where(
        Livc.id.in_({m.livc_id for m in rows}))).all()) if rows else {}
    acknowledged = set(s.scalars(select(SecrecyAcknowledgement.meeting_id).where(
        SecrecyAcknowledgement.user_id == actor.user_id)))
    return [{"id": m.id, "livc_name": names.get(m.livc_id, ""), "scheduled_at": m.scheduled_at,
             "location": m.location, "state": m.state,
             "manager": m.livc_id in managed,
             "attendee": actor.user_id in facts[m.id].attendee_user_ids,
             "acknowledged": m.id in acknowledged} for m in rows]
