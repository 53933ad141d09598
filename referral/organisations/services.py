"""Organisations and LIVCs: created by administrators, listed for everyone logged in."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from policies.actor import Actor
from referral.accounts.models import RoleAssignment, User
from referral.core import errors
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.organisations.models import Livc, LivcMember, LivcMunicipality, Organisation


def create_organisation(s: Session, actor: Actor, data: dict[str, Any]) -> Organisation:
    if s.scalar(select(Organisation.id).where(Organisation.name == data["name"])):
        raise errors.field_error("name", "An organisation with this name exists already.")
    org = Organisation(name=data["name"], kind=data["kind"])
    s.add(org)
    s.flush()
    chain.record(s, actor, "organisation:create", object_type="organisation", object_id=org.id)
    return org


def list_organisations(s: Session, page: int, per_page: int, kind: str | None = None
                       ) -> tuple[list[Organisation], int]:
    stmt = select(Organisation)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    rows, total = paginate(s, stmt, page, per_page, Organisation.name)
    return list(rows), total


def get_organisation(s: Session, org_id: uuid.UUID) -> Organisation:
    org = s.get(Organisation, org_id)
    if org is None:
        raise errors.NotFound("No such organisation.")
    return org


def _existing_organisations(s: Session, ids: list[uuid.UUID], field: str) -> list[Organisation]:
    found = {o.id: o for o in s.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise errors.field_error(field, f"Unknown organisation(s): {', '.join(missing)}.")
    return [found[i] for i in ids]


def create_livc(s: Session, actor: Actor, data: dict[str, Any]) -> Livc:
    if s.scalar(select(Livc.id).where(Livc.name == data["name"])):
        raise errors.field_error("name", "A LIVC with this name exists already.")
    members = _existing_organisations(s, list(dict.fromkeys(data["member_organisation_ids"])),
                                      "member_organisation_ids")
    livc = Livc(name=data["name"], review_interval_days=data["review_interval_days"],
                retention_years=data["retention_years"])
    livc.municipalities = [LivcMunicipality(nis_code=code) for code in data["municipality_nis"]]
    livc.members = [LivcMember(organisation=o, invited_by_user_id=actor.user_id)
                    for o in members]
    s.add(livc)
    s.flush()
    chain.record(s, actor, "livc:create", object_type="livc", object_id=livc.id)
    return livc


def add_member(s: Session, actor: Actor, livc_id: uuid.UUID, organisation_id: uuid.UUID
               ) -> Livc:
    livc = get_livc(s, livc_id)
    (org,) = _existing_organisations(s, [organisation_id], "organisation_id")
    if any(m.organisation_id == org.id for m in livc.members):
        raise errors.field_error("organisation_id", "Already a member of this LIVC.")
    livc.members.append(LivcMember(organisation=org, invited_by_user_id=actor.user_id))
    s.flush()
    chain.record(s, actor, "livc:update", object_type="livc", object_id=livc.id,
                 purpose=f"member added: {org.id}")
    return livc


def update_organisation(s: Session, actor: Actor, org_id: uuid.UUID, data: dict[str, Any],
                        expected_version: int | None) -> Organisation:
    org = get_organisation(s, org_id)
    if expected_version is not None and expected_version != org.version:
        raise errors.Conflict("The organisation was changed in the meantime.",
                              current_version=org.version)
    if "name" in data and data["name"] != org.name:
        if s.scalar(select(Organisation.id).where(Organisation.name == data["name"])):
            raise errors.field_error("name", "An organisation with this name exists already.")
        org.name = data["name"]
    if "kind" in data:
        org.kind = data["kind"]
    org.version  # noqa: B018 - load before flush so version_id_col compares
    s.flush()
    chain.record(s, actor, "organisation:update", object_type="organisation", object_id=org.id,
                 purpose="changed: " + ",".join(sorted(k for k in ("name", "kind") if k in data)))
    return org


def remove_member(s: Session, actor: Actor, livc_id: uuid.UUID, organisation_id: uuid.UUID
                  ) -> Livc:
    """End an organisation's membership; its invitation stays on the ledger with the removal.

    Refused while a user of that organisation holds a role in the LIVC: the role would
    outlive the membership it was granted for.
    """
    livc = get_livc(s, livc_id)
    member = next((m for m in livc.members if m.organisation_id == organisation_id), None)
    if member is None:
        raise errors.NotFound("That organisation is not a member of this LIVC.")
    holder = s.scalar(select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id)
                      .where(RoleAssignment.livc_id == livc_id,
                             User.organisation_id == organisation_id).limit(1))
    if holder is not None:
        raise errors.field_error("organisation_id", "Users of this organisation hold roles "
                                 "in this LIVC: remove those roles first.")
    invitation = f"invited {member.invited_at:%Y-%m-%d} by {member.invited_by_user_id or '-'}"
    livc.members.remove(member)
    s.flush()
    chain.record(s, actor, "livc:update", object_type="livc", object_id=livc.id,
                 purpose=f"member removed: {organisation_id} ({invitation})")
    return livc


def list_livcs(s: Session, page: int, per_page: int) -> tuple[list[Livc], int]:
    total = s.scalar(select(func.count(Livc.id))) or 0
    rows = s.scalars(
        select(Livc).options(selectinload(Livc.municipalities),
                             selectinload(Livc.members).selectinload(LivcMember.organisation))
        .order_by(Livc.name).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def get_livc(s: Session, livc_id: uuid.UUID) -> Livc:
    livc = s.get(Livc, livc_id)
    if livc is None:
        raise errors.NotFound("No such LIVC.")
    return livc
