"""Notes in secrecy compartments, and disclosures as separate, recorded, revocable acts.

Note bodies are stored encrypted under the case's data key, bound to their row
and column.  Reading a note is decided per note (``policies.decide_note``) and
listed through the same rule as SQL (``policies.scopes.note_condition``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.actor import Actor
from policies.cases import is_livc
from policies.scopes import note_condition
from referral.cases.access import load_case, note_facts
from referral.cases.models import Case
from referral.cases.notes.models import Disclosure, Note
from referral.core import clock, errors
from referral.core.authz import authorize, load_for, read_each
from referral.core.ledger import chain
from referral.core.transaction import denial
from referral.identity.errors import KeyDestroyed
from referral.identity.keys import load_data_key, ring_for
from referral.identity.vault import decrypt_field, encrypt_field


def _data_key(s: Session, case: Case) -> bytes:
    ring = ring_for(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        return load_data_key(s, ring, case.data_key_id)
    except KeyDestroyed:
        raise errors.Gone("This case's content was destroyed at the end of retention.") from None


def create_note(s: Session, actor: Actor, case_id: uuid.UUID, body: str, compartment: str
                ) -> Note:
    case, facts, decision = load_case(s, actor, case_id, "note:create", record=False)
    limit = current_app.config["NOTE_MAX_CHARS"]
    if len(body) > limit:
        raise errors.field_error("body", f"At most {limit} characters.")
    police_writer = is_livc(actor, facts, "police_information_officer")
    if (compartment == "police") != police_writer:
        rule = "case_team_only"
        detail = ("Only the police information officer writes police notes." if
                  compartment == "police" else
                  "Police information officers write in the police compartment.")
        raise errors.Forbidden(detail, rule=rule, _audit=denial(
            actor, "note:create", rule, object_type="case", object_id=case.id, case_id=case.id))
    note = Note(id=uuid.uuid4(), case_id=case.id, author_user_id=actor.user_id,
                author_organisation_id=actor.organisation_id, compartment=compartment)
    note.body_ciphertext = encrypt_field(_data_key(s, case), body, table="notes", column="body",
                                         row_id=note.id)
    s.add(note)
    s.flush()
    chain.record(s, actor, "note:create", object_type="note", object_id=note.id,
                 case_id=case.id, rule=decision.rule, purpose=compartment)
    return note


def _disclosures(s: Session, note_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Disclosure]]:
    found: dict[uuid.UUID, list[Disclosure]] = {i: [] for i in note_ids}
    if note_ids:
        for d in s.scalars(select(Disclosure).where(Disclosure.note_id.in_(note_ids),
                                                    Disclosure.revoked_at.is_(None))
                           .order_by(Disclosure.created_at)):
            found[d.note_id].append(d)
    return found


def _render(note: Note, body: str, disclosures: list[Disclosure], rule: str) -> dict[str, Any]:
    return {"id": note.id, "case_id": note.case_id, "compartment": note.compartment,
            "author_organisation_id": note.author_organisation_id,
            "author_user_id": note.author_user_id, "created_at": note.created_at,
            "body": body, "disclosures": disclosures, "access_rule": rule}


def list_notes(s: Session, actor: Actor, case_id: uuid.UUID) -> list[dict[str, Any]]:
    # The listing itself is not an event: each note read is (below).
    case, facts, _decision = load_case(s, actor, case_id, "note:list", record=False)
    notes = list(s.scalars(select(Note).where(Note.case_id == case.id,
                                              note_condition(actor, Note.__table__))
                           .order_by(Note.created_at, Note.id)))
    disclosures = _disclosures(s, [n.id for n in notes])
    key = _data_key(s, case) if notes else b""
    result = []
    for note, decision in read_each(s, actor, "note:read", Note, notes,
                                    lambda n: note_facts(s, n, facts), purpose=None):
        assert decision is not None
        body = decrypt_field(key, note.body_ciphertext or b"", table="notes", column="body",
                             row_id=note.id)
        result.append(_render(note, body, disclosures[note.id], decision.rule))
    return result


def _load_note(s: Session, actor: Actor, note_id: uuid.UUID, action: str
               ) -> tuple[Note, Case, str]:
    """The note for ``action``; whoever may not read it does not learn that it exists (404).

    Reading (``note:read``) goes on the ledger; disclosing and revoking put their own act
    there instead.
    """
    reading = action == "note:read"
    loaded = load_for(s, actor, "note:read", Note, note_id, hide=True, record=reading)
    note, facts = loaded.row, loaded.facts
    case = s.get(Case, note.case_id)
    assert case is not None
    if reading:
        return note, case, loaded.decision.rule
    decision = authorize(actor, action, facts, object_type="note", object_id=note.id,
                         case_id=case.id)
    return note, case, decision.rule


def read_note(s: Session, actor: Actor, note_id: uuid.UUID) -> dict[str, Any]:
    note, case, rule = _load_note(s, actor, note_id, "note:read")
    body = decrypt_field(_data_key(s, case), note.body_ciphertext or b"", table="notes",
                         column="body", row_id=note.id)
    return _render(note, body, _disclosures(s, [note.id])[note.id], rule)


def disclose(s: Session, actor: Actor, note_id: uuid.UUID, data: dict[str, Any]) -> Disclosure:
    note, case, rule = _load_note(s, actor, note_id, "note:disclose")
    existing = s.scalar(select(Disclosure).where(
        Disclosure.note_id == note.id, Disclosure.audience == data["audience"],
        Disclosure.revoked_at.is_(None)))
    if existing is not None:
        raise errors.Conflict("This note is already disclosed to that audience.",
                              disclosure_id=str(existing.id))
    disclosure = Disclosure(note_id=note.id, case_id=case.id, audience=data["audience"],
                            purpose=data["purpose"], legal_basis=data["legal_basis"],
                            disclosed_by_user_id=actor.user_id,
                            disclosed_by_organisation_id=actor.organisation_id)
    s.add(disclosure)
    s.flush()
    chain.record(s, actor, "note:disclose", object_type="disclosure", object_id=disclosure.id,
                 case_id=case.id, rule=rule,
                 purpose=f"{data['audience']}: {data['purpose']} ({data['legal_basis']})")
    return disclosure


def revoke(s: Session, actor: Actor, disclosure_id: uuid.UUID) -> None:
    disclosure = s.get(Disclosure, disclosure_id)
    if disclosure is None or disclosure.revoked_at is not None:
        # Probing an id leaves the same trace, and costs the same, as an unrelated one.
        raise errors.NotFound("No such disclosure.", _audit=denial(
            actor, "disclosure:revoke", "no_relation", object_type="disclosure",
            object_id=disclosure_id, case_id=disclosure.case_id if disclosure else None))
    if disclosure.disclosed_by_organisation_id != actor.organisation_id:
        # Only the author organisation ever learns a disclosure id; others get nothing.
        raise errors.NotFound("No such disclosure.", _audit=denial(
            actor, "disclosure:revoke", "author_organisation_only", object_type="disclosure",
            object_id=disclosure.id, case_id=disclosure.case_id))
    _note, case, rule = _load_note(s, actor, disclosure.note_id, "disclosure:revoke")
    disclosure.revoked_at = clock.now()
    disclosure.revoked_by_user_id = actor.user_id
    s.flush()
    chain.record(s, actor, "disclosure:revoke", object_type="disclosure",
                 object_id=disclosure.id, case_id=case.id, rule=rule)
