"""A LIVC with every relation the access rules know, built directly in the database."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from referral.cases.models import BreakGlass, Case, Subject
from referral.cases.referrals.models import Referral
from referral.core import clock
from referral.identity.keys import create_data_key, ring_for
from referral.identity.vault import encrypt_field
from referral.pathways.models import engine_set_state
from tests.conftest import World

# relation name -> (username, organisation, kind, roles)
RELATIONS = {
    "owner_rp": ("owner_rp", "CAW Gent", "caw", ["reference_person"]),
    "owner_cw": ("owner_cw", "CAW Gent", "caw", ["case_worker"]),
    "offered_partner": ("offered_rp", "VDAB Gent", "vdab", ["reference_person"]),
    "accepted_partner": ("accepted_rp", "Justitiehuis Gent", "justice_centre",
                         ["reference_person"]),
    "livc_chair": ("chair", "Stad Gent", "municipality", ["livc_chair"]),
    "livc_coordinator": ("coordinator", "Stad Gent", "municipality", ["livc_coordinator"]),
    "livc_member": ("member", "CGG Gent", "mental_health", ["livc_member"]),
    "police_io": ("police_io", "PZ Gent", "police", ["police_information_officer"]),
    "member_org_rp": ("member_rp", "CGG Gent", "mental_health", ["reference_person"]),
    "elsewhere_rp": ("elsewhere_rp", "CAW Antwerpen", "caw", ["reference_person"]),
    "auditor": ("auditor1", "Operator", "other", ["auditor"]),
    "admin": ("admin1", "Operator", "other", ["admin"]),
}


def build(world: World, state: str = "guidance") -> Any:
    for _, org, kind, _roles in RELATIONS.values():
        world.org(org, kind)
    world.make_livc(members=("CAW Gent", "VDAB Gent", "Justitiehuis Gent", "Stad Gent",
                             "CGG Gent", "PZ Gent"))
    for username, org, _kind, roles in RELATIONS.values():
        world.user(username, org, roles, clearance="secret" if "police" in username else "none")
    return make_case(world, state=state, referrals=(("VDAB Gent", "offered"),
                                                     ("Justitiehuis Gent", "accepted")))


def make_case(world: World, *, owner: str = "CAW Gent", state: str = "guidance",
              referrals: tuple[tuple[str, str], ...] = (), coordinator: str | None = None,
              pseudonym: str | None = None) -> Case:
    orgs = world.orgs
    with world.session() as s:
        key, plain = create_data_key(s, ring_for(world.app))
        subject = Subject(id=uuid.uuid4(), pseudonym=pseudonym or uuid.uuid4().hex[:19])
        subject.identity_ciphertext = encrypt_field(
            plain, '{"family_name": "Peeters", "given_names": "Jan", "birth_date": "2001-02-03"}',
            table="subjects", column="identity", row_id=subject.id)
        s.add(subject)
        s.flush()
        owner_id = orgs[owner].id
        creator = s.scalar(_any_user(owner_id))
        case = Case(reference=f"T-{uuid.uuid4().hex[:10]}", subject_id=subject.id,
                    data_key_id=key.id, livc_id=world.livc.id, owner_organisation_id=owner_id,
                    created_by_user_id=creator, age_band="18-25",
                    coordinator_organisation_id=(orgs[coordinator].id if coordinator else
                                                 owner_id if state in {"guidance", "aftercare"}
                                                 else None))
        engine_set_state(case, state)
        if state == "closed":
            case.closed_at, case.outcome = clock.now(), "done"
        s.add(case)
        s.flush()
        for org, rstate in referrals:
            r = Referral(case_id=case.id, from_organisation_id=owner_id, from_user_id=creator,
                         to_organisation_id=orgs[org].id, kind="service",
                         sphere_of_life="social_context", purpose="help with housing",
                         expires_at=clock.now() + timedelta(days=7))
            engine_set_state(r, rstate)
            if rstate == "declined":
                r.reason = "no capacity"
            if rstate == "completed":
                r.outcome = "done"
            s.add(r)
        s.commit()
        return case


def grant_break_glass(world: World, case: Case, username: str, hours: int = 24) -> None:
    from sqlalchemy import select

    from referral.accounts.models import User

    with world.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        s.add(BreakGlass(case_id=case.id, user_id=user.id, organisation_id=user.organisation_id,
                         reason="test", expires_at=clock.now() + timedelta(hours=hours)))
        s.commit()


def _any_user(org_id: uuid.UUID) -> Any:
    from sqlalchemy import select

    from referral.accounts.models import User

    return select(User.id).where(User.organisation_id == org_id).limit(1)
