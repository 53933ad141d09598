"""What the tests build and assert with: the world factory, a LIVC with every relation,
meeting arrangements and the problem assertion.

The fixtures that hand these out (``world``, ``admin`` ...) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from referral.cases.models import BreakGlass, Case, Subject
from referral.cases.referrals.models import Referral
from referral.core import clock
from referral.identity.keys import create_data_key, ring_for
from referral.identity.vault import encrypt_field
from referral.pathways.models import engine_set_state

PASSWORD = "correct horse battery"


# -- the world: organisations, users, logged-in clients --------------------------

@dataclass
class Api:
    """A logged-in client: sends the CSRF token on state-changing requests."""

    client: FlaskClient
    csrf: str | None = None
    bearer: str | None = None

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.csrf:
            headers.setdefault("X-CSRF-Token", self.csrf)
        if self.bearer:
            headers.setdefault("Authorization", f"Bearer {self.bearer}")
        return headers

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(headers), **kw)

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None,
             **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(headers), **kw)

    def patch(self, url: str, json: Any = None, headers: dict[str, str] | None = None,
              **kw: Any) -> Any:
        return self.client.patch(url, json=json, headers=self._headers(headers), **kw)

    def delete(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(headers), **kw)


_HASHES: dict[str, str] = {}


class World:
    """Factories that read like the rules: ``world.user('caw', roles=['reference_person'])``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.orgs: dict[str, Any] = {}
        self.livc: Any = None

    def session(self) -> Any:
        return self.app.extensions["referral.db"].sessionmaker()

    def org(self, name: str, kind: str = "caw") -> Any:
        from referral.organisations.models import Organisation

        if name not in self.orgs:
            with self.session() as s:
                org = Organisation(name=name, kind=kind)
                s.add(org)
                s.commit()
                self.orgs[name] = org
        return self.orgs[name]

    def make_livc(self, name: str = "LIVC Test", members: tuple[str, ...] = ()) -> Any:
        from referral.organisations.models import Livc, LivcMember, LivcMunicipality

        with self.session() as s:
            livc = Livc(name=name, municipalities=[LivcMunicipality(nis_code="44021")])
            livc.members = [LivcMember(organisation_id=self.orgs[m].id) for m in members]
            s.add(livc)
            s.commit()
            self.livc = livc
        return livc

    def user(self, username: str, org: str, roles: list[str] | None = None,
             clearance: str = "none", password: str = PASSWORD) -> Any:
        from referral.accounts import passwords
        from referral.accounts.models import RoleAssignment, User
        from referral.ops.demo import LIVC_ROLES

        organisation = self.orgs.get(org) or self.org(org)
        if password not in _HASHES:  # argon2 is slow on purpose; hash each password once
            _HASHES[password] = passwords.hash_password(password)
        with self.session() as s:
            user = User(username=username, display_name=username.title(),
                        organisation_id=organisation.id, mfa_required=False,
                        password_hash=_HASHES[password],
                        security_clearance=clearance,
                        roles=[RoleAssignment(role=r,
                                              livc_id=self.livc.id if r in LIVC_ROLES else None)
                               for r in roles or []])
            s.add(user)
            s.commit()
            return user

    def login(self, username: str, password: str = PASSWORD, otp: str | None = None) -> Api:
        """A logged-in client (``otp`` for accounts with a second factor: see ``totp``)."""
        client = self.app.test_client()
        body = {"username": username, "password": password}
        if otp is not None:
            body["otp"] = otp
        r = client.post("/api/v1/auth/login", json=body)
        assert r.status_code == 200, r.get_json()
        return Api(client, csrf=r.get_json()["csrf_token"])

    def enrol(self, api: Api) -> tuple[str, list[str]]:
        """Enrol TOTP for a logged-in client: (secret, recovery codes)."""
        r = api.post("/api/v1/auth/mfa/enrol", json={"password": PASSWORD})
        assert r.status_code == 201, r.get_json()
        secret = r.get_json()["secret"]
        r = api.post("/api/v1/auth/mfa/confirm", json={"otp": totp(secret)})
        assert r.status_code == 200, r.get_json()
        api.csrf = r.get_json()["csrf_token"]
        return secret, r.get_json()["recovery_codes"]

    def login_mfa(self, username: str, secret: str, password: str = PASSWORD) -> Api:
        return self.login(username, password, otp=totp(secret))


def totp(secret: str) -> str:
    """A code for the next 30-second step (moves the clock on: codes are single-use)."""
    clock.advance(timedelta(seconds=30))
    return pyotp.TOTP(secret).at(clock.now())


# -- a LIVC with every relation the access rules know, built directly in the database --

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
              pseudonym: str | None = None, consent: str = "given") -> Case:
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
                    # The person agreed to voluntary services (tests of consent say otherwise).
                    consent=consent,
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
    from referral.accounts.models import User

    with world.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        s.add(BreakGlass(case_id=case.id, user_id=user.id, organisation_id=user.organisation_id,
                         reason="test", expires_at=clock.now() + timedelta(hours=hours)))
        s.commit()


def _any_user(org_id: uuid.UUID) -> Any:
    from referral.accounts.models import User

    return select(User.id).where(User.organisation_id == org_id).limit(1)


# -- meetings: a planned meeting, a case on the agenda of an open one -------------

ATTENDEES = ("chair", "coordinator", "member")


def user_id(world: World, username: str) -> str:
    from referral.accounts.models import User

    with world.session() as s:
        return str(s.scalar(select(User.id).where(User.username == username)))


def org_id(world: World, name: str) -> str:
    return str(world.orgs[name].id)


def when(days: int = 7) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


def plan(world: World, chair: Any, attendees: tuple[str, ...] = ATTENDEES) -> dict[str, Any]:
    r = chair.post(f"/api/v1/livcs/{world.livc.id}/meetings", json={
        "scheduled_at": when(), "location": "Town hall, room 2",
        "attendee_user_ids": [user_id(world, u) for u in attendees]})
    assert r.status_code == 201, r.get_json()
    meeting: dict[str, Any] = r.get_json()
    return meeting


def note(api: Any, case_id: Any, body: str, disclose_to: str | None = None) -> str:
    r = api.post(f"/api/v1/cases/{case_id}/notes", json={"body": body,
                                                         "compartment": "internal"})
    assert r.status_code == 201, r.get_json()
    nid: str = r.get_json()["id"]
    if disclose_to:
        r = api.post(f"/api/v1/notes/{nid}/disclosures", json={
            "audience": disclose_to, "purpose": "LIVC consultation",
            "legal_basis": "art. 458ter Sw."})
        assert r.status_code == 201, r.get_json()
    return nid


def in_session(world: World, state: str = "proposed", referrals: bool = True
               ) -> tuple[Any, Any, dict[str, Any]]:
    """A case on the agenda of an open meeting; returns (case, chair api, meeting)."""
    if referrals:
        case = build(world, state=state)
    else:
        build(world, state="closed")
        case = make_case(world, state=state)
    chair = world.login("chair")
    meeting = plan(world, chair)
    mid = meeting["id"]
    r = chair.post(f"/api/v1/meetings/{mid}/agenda", json={"case_id": str(case.id),
                                                          "reason": "new"})
    assert r.status_code == 201, r.get_json()
    r = chair.post(f"/api/v1/meetings/{mid}/transitions", json={"trigger": "open"})
    assert r.status_code == 200, r.get_json()
    return case, chair, r.get_json()


def count(dbs: Any, model: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == (uuid.UUID(value) if isinstance(value, str)
                                                  else value))
    n = dbs.scalar(stmt) or 0
    dbs.rollback()  # end the read: on SQLite it holds the write lock
    return int(n)


def put(api: Any, url: str, body: dict[str, Any]) -> Any:
    return api.client.put(url, json=body, headers=api._headers(None))


# -- assertions ------------------------------------------------------------------

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, **expected: Any) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and these fields)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM, response.mimetype
    body: dict[str, Any] = response.get_json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    for key, value in expected.items():
        assert body.get(key) == value, body
    return body
