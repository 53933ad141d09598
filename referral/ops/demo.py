"""Demo data: one LIVC with its three fixed members and partner services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral.accounts import passwords
from referral.accounts.models import RoleAssignment, User
from referral.core.ledger import chain
from referral.organisations.models import Livc, LivcMember, LivcMunicipality, Organisation

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed on purpose, development only

ORGANISATIONS = [
    ("Stad Gent", "municipality"),
    ("Politiezone Gent", "police"),
    ("CAW Oost-Vlaanderen", "caw"),
    ("Justitiehuis Gent", "justice_centre"),
    ("VDAB Gent", "vdab"),
    ("Platformbeheer", "other"),
]

# username, display name, organisation, roles (LIVC roles get the demo LIVC), clearance
USERS = [
    ("admin", "Ada Aerts (platformbeheerder)", "Platformbeheer", ["admin"], "none"),
    ("auditor", "Aude Aelbrecht (auditor)", "Platformbeheer", ["auditor"], "none"),
    ("dpo", "Dirk De Smet (functionaris gegevensbescherming)", "Platformbeheer", ["dpo"],
     "none"),
    ("chair", "Charlotte Claeys (voorzitter, afgevaardigde burgemeester)", "Stad Gent",
     ["livc_chair"], "none"),
    ("coordinator", "Koen Coppens (coördinator, preventiedienst)", "Stad Gent",
     ["livc_coordinator"], "none"),
    ("police_io", "Pieter Peeters (informatieofficier politie)", "Politiezone Gent",
     ["police_information_officer"], "secret"),
    ("caw_rp", "Cato Claes (referentiepersoon CAW)", "CAW Oost-Vlaanderen",
     ["reference_person", "livc_member"], "none"),
    ("caw_worker", "Wout Willems (casusbegeleider CAW)", "CAW Oost-Vlaanderen",
     ["case_worker"], "none"),
    ("caw_access", "Anouk Aerts (toegangsbeheerder CAW)", "CAW Oost-Vlaanderen",
     ["access_manager"], "none"),
    ("analyst", "Rik Reynders (regionaal analist)", "Platformbeheer", ["regional_analyst"],
     "none"),
    ("jh_rp", "Jana Janssens (referentiepersoon Justitiehuis)", "Justitiehuis Gent",
     ["reference_person", "livc_member"], "none"),
    ("vdab_rp", "Victor Vermeulen (referentiepersoon VDAB)", "VDAB Gent",
     ["reference_person", "livc_member"], "none"),
]

LIVC_ROLES = {"livc_chair", "livc_coordinator", "livc_member", "police_information_officer"}


def load(s: Session) -> list[tuple[str, str, str]]:
    if s.scalar(select(Livc.id).where(Livc.name == "LIVC Gent")):
        return []
    orgs = {}
    for name, kind in ORGANISATIONS:
        org = s.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, kind=kind)
            s.add(org)
        orgs[name] = org
    s.flush()
    livc = Livc(name="LIVC Gent", review_interval_days=90, retention_years=5,
                municipalities=[LivcMunicipality(nis_code="44021")])
    livc.members = [LivcMember(organisation=orgs[n]) for n, _ in ORGANISATIONS[:5]]
    s.add(livc)
    s.flush()
    pw_hash = passwords.hash_password(DEMO_PASSWORD)
    created = []
    for username, display, org_name, roles, clearance in USERS:
        if s.scalar(select(User.id).where(User.username == username)):
            continue
        user = User(username=username, display_name=display, organisation_id=orgs[org_name].id,
                    password_hash=pw_hash, mfa_required=False, security_clearance=clearance,
                    roles=[RoleAssignment(role=r, livc_id=livc.id if r in LIVC_ROLES else None)
                           for r in roles])
        s.add(user)
        created.append((username, DEMO_PASSWORD, f"{', '.join(roles)} at {org_name}"))
    s.flush()
    chain.record(s, None, "demo:load", object_type="livc", object_id=livc.id)
    return created
