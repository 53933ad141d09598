"""The rows ``flask bench seed`` (``bench/seed.py``) loads, generated in Python: the
shared ids, keys and clock of one load (:class:`World`, made by :func:`new_world`), the
organisations, users and their tokens (:func:`small_rows`), and one generator per bulk
table, with its column list: data keys and encrypted identities, cases, offered
referrals, encrypted notes, transition history and the chained audit events.  Each
generator records the ids it makes in the world, for the generators after it and for the
plan that ``bench/seed.py`` writes.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Table

TOKEN_DAYS = 30
# One case in ten per state, in this order: the shape is the same at every size.
CASE_STATES = ("internal_follow_up", "internal_follow_up", "guidance", "guidance", "guidance",
               "screening", "signalled", "aftercare", "proposed", "closed")


@dataclass
class World:
    """Ids and keys shared by the row generators (everything else is derived from ``i``)."""

    now: datetime
    start: datetime
    step_us: int
    rng: random.Random
    org_a: uuid.UUID
    org_b: uuid.UUID
    org_ops: uuid.UUID
    livc: uuid.UUID
    owner: uuid.UUID
    partner: uuid.UUID
    auditor: uuid.UUID
    case_ids: list[uuid.UUID] = field(default_factory=list)
    subject_ids: list[uuid.UUID] = field(default_factory=list)
    key_ids: list[uuid.UUID] = field(default_factory=list)
    plain_keys: list[bytes] = field(default_factory=list)
    note_ids: list[uuid.UUID] = field(default_factory=list)
    note_cases: list[int] = field(default_factory=list)
    referral_ids: list[uuid.UUID] = field(default_factory=list)
    referral_cases: list[int] = field(default_factory=list)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, seq: int) -> datetime:
        """The time of audit event ``seq`` (and of what it records): strictly increasing."""
        return self.start + timedelta(microseconds=seq * self.step_us)


def case_state(i: int) -> str:
    return CASE_STATES[i % len(CASE_STATES)]


def is_eligible(i: int) -> bool:
    """Cases that take offered referrals and notes: open and not in the transition pool."""
    return case_state(i) not in {"closed", "internal_follow_up"}


def _notes_of(i: int) -> int:
    return 2 if i % 3 == 0 else 1


def small_rows(conn: Connection, t: dict[str, Table], w: World) -> dict[str, dict[str, Any]]:
    """Organisations, the LIVC, the three users and their tokens (Core inserts)."""
    from referral.accounts import passwords
    from referral.accounts.sessions import new_token, token_hash

    now = w.now
    conn.execute(t["organisations"].insert(), [
        {"id": w.org_a, "name": "Bench CAW (A)", "kind": "caw", "created_at": now, "version": 1},
        {"id": w.org_b, "name": "Bench VDAB (B)", "kind": "vdab", "created_at": now,
         "version": 1},
        {"id": w.org_ops, "name": "Bench operator", "kind": "other", "created_at": now,
         "version": 1},
    ])
    conn.execute(t["livcs"].insert(), [{"id": w.livc, "name": "LIVC Bench",
                                        "review_interval_days": 90, "retention_years": 5,
                                        "created_at": now, "version": 1}])
    conn.execute(t["livc_municipalities"].insert(), [{"livc_id": w.livc, "nis_code": "44021"}])
    conn.execute(t["livc_members"].insert(), [
        {"id": w.new_id(), "livc_id": w.livc, "organisation_id": org, "invited_at": now}
        for org in (w.org_a, w.org_b)])
    # Nobody logs in with a password: a random one, hashed once, never written anywhere.
    unusable = passwords.hash_password(secrets.token_urlsafe(32))
    people = {
        "owner": (w.owner, "bench_owner", w.org_a, "reference_person"),
        "partner": (w.partner, "bench_partner", w.org_b, "reference_person"),
        "auditor": (w.auditor, "bench_auditor", w.org_ops, "auditor"),
    }
    conn.execute(t["users"].insert(), [
        {"id": uid, "organisation_id": org, "username": name,
         "display_name": name.replace("_", " ").title(), "password_hash": unusable,
         "active": True, "security_clearance": "none", "mfa_required": False,
         "failed_logins": 0, "password_changed_at": now, "created_at": now, "version": 1}
        for uid, name, org, _role in people.values()])
    conn.execute(t["role_assignments"].insert(), [
        {"id": w.new_id(), "user_id": uid, "role": role, "livc_id": None, "granted_at": now}
        for uid, _name, _org, role in people.values()])
    out: dict[str, dict[str, Any]] = {}
    token_rows = []
    for who, (uid, name, org, role) in people.items():
        token = new_token("bench_")
        token_rows.append({"id": w.new_id(), "user_id": uid, "name": "bench",
                           "token_hash": token_hash(token), "created_at": now,
                           "expires_at": now + timedelta(days=TOKEN_DAYS)})
        out[who] = {"username": name, "user_id": str(uid), "organisation_id": str(org),
                    "role": role, "token": token}
    conn.execute(t["api_tokens"].insert(), token_rows)
    return out


def data_keys_and_subjects(app: Flask, w: World, n: int
                            ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from referral.identity.keys import ring_for
    from referral.identity.pseudonym import normalise_names, pseudonym, pseudonym_key_for
    from referral.identity.vault import encrypt_field

    ring = ring_for(app)
    pkey = pseudonym_key_for(app)
    keys, subjects = [], []
    for i in range(n):
        plain, wrapped, master_id = ring.new_data_key()
        key_id, subject_id, case_id = w.new_id(), w.new_id(), w.new_id()
        w.key_ids.append(key_id)
        w.subject_ids.append(subject_id)
        w.case_ids.append(case_id)
        w.plain_keys.append(plain)
        opened = w.at(i + 1)
        keys.append((key_id, master_id, wrapped, opened, None, 1))
        family, given = f"Bench{i:07d}", "Persoon"
        birth = datetime(1990 + i % 20, 1 + i % 12, 1 + i % 28, tzinfo=UTC).date()
        identity = json.dumps({"family_name": family, "given_names": given,
                               "birth_date": birth.isoformat()})
        code = pseudonym(pkey, normalise_names(family, given, birth))
        subjects.append((subject_id, code,
                         encrypt_field(plain, identity, table="subjects", column="identity",
                                       row_id=subject_id), opened))
    return keys, subjects


CASE_COLUMNS = (
    "id", "reference", "subject_id", "data_key_id", "livc_id", "owner_organisation_id",
    "created_by_user_id", "coordinator_organisation_id", "coordinator_user_id", "pathway",
    "pathway_version", "suspended_from", "state", "context", "phase", "municipality_nis",
    "age_band", "is_minor", "informing_status", "informing_ground", "informed_party", "consent",
    "screening_due", "next_review_due", "opened_at", "closed_at", "outcome", "retention_until",
    "legal_hold", "legal_hold_reason", "purged_at", "updated_at", "version")


def case_rows(w: World, n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        state = case_state(i)
        opened = w.at(i + 1)
        day = opened.date()
        closed = state == "closed"
        yield (
            w.case_ids[i], f"BENCH-{i:07d}", w.subject_ids[i], w.key_ids[i], w.livc, w.org_a,
            w.owner, w.org_a if state in {"guidance", "aftercare"} else None, None,
            "disengagement", 1, None, state, "community", "sensitivity", "44021", "18-25",
            False, "informed", None, "subject", "given",
            day + timedelta(days=7) if state in {"signalled", "screening"} else None,
            day + timedelta(days=90) if state in {"guidance", "aftercare"} else None,
            opened, opened if closed else None, "bench: done" if closed else None,
            day + timedelta(days=5 * 365) if closed else None,
            False, None, None, opened, 1)


REFERRAL_COLUMNS = ("id", "case_id", "from_organisation_id", "from_user_id",
                    "to_organisation_id", "to_user_id", "kind", "sphere_of_life", "purpose",
                    "legal_basis", "pathway", "pathway_version", "state", "reason", "outcome",
                    "meeting_id", "offered_at", "expires_at", "decided_at", "updated_at",
                    "version")


def referral_rows(w: World, n: int, offered: int) -> Iterator[tuple[Any, ...]]:
    from policies.vocabulary import VOLUNTARY_SPHERES

    eligible = [i for i in range(n) if is_eligible(i)]
    offered = min(offered, len(eligible) * len(VOLUNTARY_SPHERES))
    for j in range(offered):
        i = eligible[j % len(eligible)]
        rid = w.new_id()
        w.referral_ids.append(rid)
        w.referral_cases.append(i)
        at = w.at(i + 1)
        yield (rid, w.case_ids[i], w.org_a, w.owner, w.org_b, None, "service",
               VOLUNTARY_SPHERES[j // len(eligible)], "bench: support offered", None,
               "referral", 1, "offered", None, None, None, at, w.now + timedelta(days=60), None,
               at, 1)


NOTE_COLUMNS = ("id", "case_id", "author_user_id", "author_organisation_id", "compartment",
                "body_ciphertext", "created_at")
NOTE_BODY = ("Gesprek gehad over huisvesting en werk; volgende afspraak over twee weken. "
             "Betrokkene is gemotiveerd en werkt mee aan het traject. ") * 2


def note_rows(w: World, n: int) -> Iterator[tuple[Any, ...]]:
    from referral.identity.vault import encrypt_field

    for i in range(n):
        for _ in range(_notes_of(i)):
            nid = w.new_id()
            w.note_ids.append(nid)
            w.note_cases.append(i)
            yield (nid, w.case_ids[i], w.owner, w.org_a, "internal",
                   encrypt_field(w.plain_keys[i], NOTE_BODY, table="notes", column="body",
                                 row_id=nid),
                   w.at(i + 1))


HISTORY_COLUMNS = ("id", "object_type", "object_id", "case_id", "pathway", "pathway_version",
                   "trigger", "from_state", "to_state", "actor_user_id",
                   "actor_organisation_id", "reason", "meeting_id", "decision_id", "at")


def history_rows(w: World, n: int) -> Iterator[tuple[Any, ...]]:
    """Each case's creation, and the step into its current state."""
    for i in range(n):
        at = w.at(i + 1)
        yield (w.new_id(), "case", w.case_ids[i], w.case_ids[i], "disengagement", 1, "create",
               None, "signalled", w.owner, w.org_a, None, None, None, at)
        if case_state(i) != "signalled":
            yield (w.new_id(), "case", w.case_ids[i], w.case_ids[i], "disengagement", 1,
                   "bench", "signalled", case_state(i), w.owner, w.org_a, None, None, None, at)
    for j, rid in enumerate(w.referral_ids):
        i = w.referral_cases[j]
        yield (w.new_id(), "referral", rid, w.case_ids[i], "referral", 1, "create", None,
               "offered", w.owner, w.org_a, None, None, None, w.at(i + 1))


class _Event:
    """What :func:`chain_hash` reads, reused for every event (no allocation per row)."""

    __slots__ = ("action", "actor_organisation_id", "actor_user_id", "case_id",
                 "client_address", "object_id", "object_type", "outcome", "purpose",
                 "request_id", "rule")

    action: str
    actor_user_id: uuid.UUID | None
    actor_organisation_id: uuid.UUID | None
    case_id: uuid.UUID | None
    client_address: str | None
    object_id: str | None
    object_type: str | None
    outcome: str
    purpose: str | None
    request_id: str | None
    rule: str | None

    def __init__(self) -> None:
        self.outcome, self.client_address, self.action = "allowed", "127.0.0.1", ""
        self.actor_user_id = self.actor_organisation_id = self.case_id = None
        self.object_type = self.object_id = self.purpose = self.rule = self.request_id = None


EVENT_COLUMNS = ("seq", "at", "actor_user_id", "actor_organisation_id", "action",
                 "object_type", "object_id", "case_id", "purpose", "outcome", "rule",
                 "request_id", "client_address", "prev_hash", "hash")


def event_rows(w: World, n: int, m: int, last: list[bytes]) -> Iterator[tuple[Any, ...]]:
    """``m`` chained events: the cases' creation first, then a mix of everyday acts."""
    from referral.core.ledger.chain import GENESIS_HASH, chain_hash

    rng = w.rng
    ev = _Event()
    case_strs = [str(c) for c in w.case_ids]
    note_strs = [str(x) for x in w.note_ids]
    ref_strs = [str(x) for x in w.referral_ids]
    prev = GENESIS_HASH
    for seq in range(1, m + 1):
        ev.purpose = ev.rule = None
        if seq <= n:
            i = seq - 1
            ev.actor_user_id, ev.actor_organisation_id = w.owner, w.org_a
            ev.action, ev.object_type = "case:create", "case"
            ev.object_id, ev.case_id = case_strs[i], w.case_ids[i]
        else:
            r = rng.random()
            if r < 0.05 and ref_strs:
                j = rng.randrange(len(ref_strs))
                ev.actor_user_id, ev.actor_organisation_id = w.partner, w.org_b
                ev.action, ev.object_type, ev.object_id = "referral:read", "referral", ref_strs[j]
                ev.case_id = w.case_ids[w.referral_cases[j]]
            elif r < 0.20 and note_strs:
                j = rng.randrange(len(note_strs))
                ev.actor_user_id, ev.actor_organisation_id = w.owner, w.org_a
                ev.action = "note:create" if r < 0.12 else "note:read"
                ev.object_type, ev.object_id = "note", note_strs[j]
                ev.case_id = w.case_ids[w.note_cases[j]]
                ev.rule, ev.purpose = "author_organisation", "internal"
            elif r < 0.22:
                ev.actor_user_id, ev.actor_organisation_id = w.auditor, w.org_ops
                ev.action, ev.object_type, ev.object_id = "audit:search", "audit_events", None
                ev.case_id, ev.purpose = None, "search; filters: case_id"
            else:
                i = rng.randrange(n)
                ev.actor_user_id, ev.actor_organisation_id = w.owner, w.org_a
                ev.object_type, ev.object_id, ev.case_id = "case", case_strs[i], w.case_ids[i]
                if r < 0.30:
                    ev.action, ev.purpose = "case:transition", "suspend: guidance -> suspended"
                else:
                    ev.action, ev.rule = "case:read", "owner_organisation"
                    if r < 0.40:
                        ev.purpose = "list"
        ev.request_id = f"{rng.getrandbits(64):016x}"
        at = w.at(seq)
        digest = chain_hash(prev, seq, at, ev)
        yield (seq, at, ev.actor_user_id, ev.actor_organisation_id, ev.action, ev.object_type,
               ev.object_id, ev.case_id, ev.purpose, ev.outcome, ev.rule, ev.request_id,
               ev.client_address, prev, digest)
        prev = digest
    last.append(prev)


def new_world(seed_value: int, cases: int, events: int) -> World:
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    start = now - timedelta(days=365)
    span_us = int((now - start).total_seconds() * 1_000_000)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    return World(now=now, start=start, step_us=max(1, span_us // max(events, cases, 1)),
                  rng=rng, org_a=new_id(), org_b=new_id(), org_ops=new_id(), livc=new_id(),
                  owner=new_id(), partner=new_id(), auditor=new_id())
