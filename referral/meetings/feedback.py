"""Feedback sheets (terugkoppelingsfiches): the LIVC's only output towards the police.

Drafted by the chair for a case on the agenda, refused when the text reproduces
any note of the case (Constitutional Court 52/2021: no information covered by
professional secrecy), issued only once every attendee present who acknowledged
the secrecy duty approved it, and readable by the police information officer
only then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

import policies
from policies.actor import Actor, Decision
from policies.meetings import FeedbackFacts, MeetingFacts
from referral.accounts.models import RoleAssignment, User
from referral.cases.access import case_facts, note_facts
from referral.cases.models import Case
from referral.cases.notes.models import Note
from referral.core import clock, errors
from referral.core.authz import Reachable, load_for, read_each, register
from referral.core.db import paginate
from referral.core.ledger import chain
from referral.core.transaction import denial
from referral.identity.vault import decrypt_field, encrypt_field
from referral.meetings.access import (
    data_key,
    load_meeting,
    meeting_facts,
    probe_meeting_facts,
    require_state,
)
from referral.meetings.models import AgendaItem, FeedbackApproval, FeedbackSheet, Meeting
from referral.meetings.quotation import first_reproduced
from referral.notifications.models import Notification
from referral.organisations.models import Organisation

NOTICE = ("The content of this feedback sheet may only be used for the purpose for which the "
          "LIVC case consultation was held (art. 458ter §2 of the Criminal Code). It holds no "
          "information covered by professional secrecy.")
def _note_bodies(s: Session, actor: Actor, case: Case
                 ) -> Iterable[tuple[str, tuple[uuid.UUID, bool]]]:
    """Every note of the case, in any compartment, disclosed or not, with its author
    organisation and whether ``actor`` may read it: decrypted for this check only."""
    notes = list(s.scalars(select(Note).where(Note.case_id == case.id)
                           .order_by(Note.created_at, Note.id)))
    if not notes:
        return
    key = data_key(s, case.data_key_id)
    facts = case_facts(s, case)
    for note in notes:
        readable = policies.decide(actor, "note:read", note_facts(s, note, facts)).allowed
        yield decrypt_field(key, note.body_ciphertext or b"", table="notes", column="body",
                            row_id=note.id), (note.author_organisation_id, readable)


def _secrecy_check(s: Session, actor: Actor, action: str, case: Case, text: str,
                   object_id: uuid.UUID) -> None:
    """422 (audited) when the text reproduces a note of the case (``quotation``).

    The answer names the organisation whose note matched only where the writer may read
    that note (it was disclosed to them): naming the author of a note they cannot read
    would confirm a guess about another organisation's secret and say whose it is.
    """
    matched = first_reproduced(text, _note_bodies(s, actor, case))
    if matched is not None:
        assert isinstance(matched, tuple)
        org_id: uuid.UUID = matched[0]
        readable: bool = matched[1]
        org = s.get(Organisation, org_id) if readable else None
        source = (f"a note of {org.name}" if org is not None
                  else "information covered by professional secrecy")
        named = {"matched_organisation_id": str(org.id), "matched_organisation": org.name} \
            if org is not None else {}
        raise errors.ValidationFailed(
            {"text": [f"The text reproduces {source}. Write the feedback in your own "
                      "words, without information covered by professional secrecy."]},
            detail="A feedback sheet may not contain a note's text.", rule="feedback_no_secret",
            _audit=denial(actor, action, "feedback_no_secret", object_type="feedback_sheet",
                          object_id=object_id, case_id=case.id), **named)
    chain.record(s, actor, "feedback:secrecy_check", object_type="feedback_sheet",
                 object_id=object_id, case_id=case.id, purpose="no note reproduced")


def _approvals(s: Session, sheet: FeedbackSheet) -> set[uuid.UUID]:
    return set(s.scalars(select(FeedbackApproval.user_id)
                         .where(FeedbackApproval.sheet_id == sheet.id)))


def _required(facts: MeetingFacts) -> set[uuid.UUID]:
    return set(facts.attendee_user_ids & facts.present_user_ids & facts.acknowledged_user_ids)


def _fetch_sheet(s: Session, sheet_id: Any, lock: bool) -> FeedbackSheet | None:
    stmt = select(FeedbackSheet).where(FeedbackSheet.id == sheet_id)
    return s.scalar(stmt.with_for_update() if lock else stmt)


def _probe_sheet(s: Session, sheet_id: Any) -> None:
    s.get(Meeting, sheet_id)
    probe_meeting_facts(s, sheet_id)


def _sheet_facts(s: Session, sheet: FeedbackSheet) -> FeedbackFacts:
    meeting = s.get(Meeting, sheet.meeting_id)
    assert meeting is not None
    return FeedbackFacts(meeting_facts(s, meeting), sheet.state)


register(FeedbackSheet, Reachable(object_type="feedback_sheet", fetch=_fetch_sheet,
                                  facts=_sheet_facts, case_id=lambda sheet: sheet.case_id,
                                  missing="No such feedback sheet.", probe=_probe_sheet))


def _load(s: Session, actor: Actor, sheet_id: uuid.UUID, action: str, *, lock: bool = False,
          record: bool = False) -> tuple[FeedbackSheet, Meeting, MeetingFacts, Decision]:
    loaded = load_for(s, actor, action, FeedbackSheet, sheet_id, lock=lock, record=record)
    sheet = loaded.row
    meeting = s.get(Meeting, sheet.meeting_id)
    assert meeting is not None
    return sheet, meeting, loaded.facts.meeting, loaded.decision


def render(s: Session, sheet: FeedbackSheet, facts: MeetingFacts, text: str) -> dict[str, Any]:
    case = s.get(Case, sheet.case_id)
    assert case is not None
    approved = _approvals(s, sheet)
    return {"id": sheet.id, "meeting_id": sheet.meeting_id, "case_id": sheet.case_id,
            "pseudonym": case.subject.pseudonym, "state": sheet.state, "version": sheet.version,
            "text": text, "notice": NOTICE, "drafted_by_user_id": sheet.drafted_by_user_id,
            "created_at": sheet.created_at, "issued_at": sheet.issued_at,
            "approved_user_ids": sorted(approved, key=str),
            "awaiting_user_ids": sorted(_required(facts) - approved, key=str)}


def draft_sheet(s: Session, actor: Actor, meeting_id: uuid.UUID, data: dict[str, Any]
                ) -> dict[str, Any]:
    meeting, facts, decision = load_meeting(s, actor, meeting_id, "feedback:create", lock=True,
                                           record=False)
    require_state(meeting, ("in_session", "held"), "Drafting a feedback sheet")
    if not s.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                AgendaItem.case_id == data["case_id"])):
        raise errors.field_error("case_id", "The case is not on this meeting's agenda.")
    if s.scalar(select(FeedbackSheet.id).where(FeedbackSheet.meeting_id == meeting.id,
                                               FeedbackSheet.case_id == data["case_id"])):
        raise errors.Conflict("This meeting has a feedback sheet for the case already.")
    case = s.get(Case, data["case_id"])
    assert case is not None
    sheet = FeedbackSheet(id=uuid.uuid4(), meeting_id=meeting.id, case_id=case.id,
                          state="draft", drafted_by_user_id=actor.user_id)
    _secrecy_check(s, actor, "feedback:create", case, data["text"], sheet.id)
    sheet.text_ciphertext = _seal(s, case, sheet, data["text"])
    s.add(sheet)
    s.flush()
    chain.record(s, actor, "feedback:create", object_type="feedback_sheet", object_id=sheet.id,
                 case_id=case.id, rule=decision.rule)
    return render(s, sheet, facts, data["text"])


def _seal(s: Session, case: Case, sheet: FeedbackSheet, text: str) -> bytes:
    # Under the case's key: the sheet is crypto-shredded with the case at the end of retention.
    return encrypt_field(data_key(s, case.data_key_id), text, table="feedback_sheets",
                         column="text", row_id=sheet.id)


def _text(s: Session, sheet: FeedbackSheet) -> str:
    case = s.get(Case, sheet.case_id)
    assert case is not None
    assert sheet.text_ciphertext is not None
    return decrypt_field(data_key(s, case.data_key_id), sheet.text_ciphertext,
                         table="feedback_sheets", column="text", row_id=sheet.id)


def update_sheet(s: Session, actor: Actor, sheet_id: uuid.UUID, data: dict[str, Any],
                 expected_version: int | None) -> dict[str, Any]:
    sheet, _meeting, facts, decision = _load(s, actor, sheet_id, "feedback:update", lock=True)
    if sheet.state == "issued":
        raise errors.Conflict("An issued feedback sheet no longer changes.",
                              current_version=sheet.version)
    if expected_version is not None and expected_version != sheet.version:
        raise errors.Conflict("The sheet was changed in the meantime.",
                              current_version=sheet.version)
    case = s.get(Case, sheet.case_id)
    assert case is not None
    _secrecy_check(s, actor, "feedback:update", case, data["text"], sheet.id)
    sheet.text_ciphertext = _seal(s, case, sheet, data["text"])
    # Approvals were given to the old text: consensus starts again.
    for approval in s.scalars(select(FeedbackApproval).where(
            FeedbackApproval.sheet_id == sheet.id)):
        s.delete(approval)
    s.flush()
    chain.record(s, actor, "feedback:update", object_type="feedback_sheet", object_id=sheet.id,
                 case_id=sheet.case_id, rule=decision.rule)
    return render(s, sheet, facts, data["text"])


def _maybe_issue(s: Session, actor: Actor, sheet: FeedbackSheet, facts: MeetingFacts) -> None:
    approved = _approvals(s, sheet)
    if sheet.state != "draft" or not approved or not _required(facts) <= approved:
        return
    case = s.get(Case, sheet.case_id)
    assert case is not None
    # Checked again as it leaves the LIVC: notes written since the draft count too.
    _secrecy_check(s, actor, "feedback:issue", case, _text(s, sheet), sheet.id)
    sheet.state, sheet.issued_at = "issued", clock.now()
    chain.record(s, actor, "feedback:issue", object_type="feedback_sheet", object_id=sheet.id,
                 case_id=sheet.case_id, rule="feedback_consensus",
                 purpose=f"{len(approved)} approvals")
    police = s.scalars(select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
                       .where(RoleAssignment.role == "police_information_officer",
                              RoleAssignment.livc_id == facts.livc_id, User.active.is_(True)))
    for user_id in police:
        s.add(Notification(user_id=user_id, kind="feedback_issued",
                           message="A LIVC feedback sheet was issued.",
                           link=f"/api/v1/feedback-sheets/{sheet.id}"))


def approve(s: Session, actor: Actor, sheet_id: uuid.UUID) -> dict[str, Any]:
    sheet, meeting, facts, decision = _load(s, actor, sheet_id, "feedback:approve", lock=True)
    if meeting.state == "cancelled":
        raise errors.Conflict("The meeting was cancelled.", state=meeting.state)
    if sheet.state == "issued":
        raise errors.Conflict("The feedback sheet is issued already.")
    if actor.user_id in _approvals(s, sheet):
        raise errors.Conflict("You approved this feedback sheet already.")
    s.add(FeedbackApproval(sheet_id=sheet.id, user_id=actor.user_id))
    s.flush()
    chain.record(s, actor, "feedback:approve", object_type="feedback_sheet", object_id=sheet.id,
                 case_id=sheet.case_id, rule=decision.rule)
    _maybe_issue(s, actor, sheet, facts)
    s.flush()
    return render(s, sheet, facts, _text(s, sheet))


def reconsider_drafts(s: Session, actor: Actor, meeting: Meeting) -> None:
    """Re-count the consensus of the meeting's drafts after a change of presence."""
    facts = meeting_facts(s, meeting)
    for sheet in s.scalars(select(FeedbackSheet).where(
            FeedbackSheet.meeting_id == meeting.id, FeedbackSheet.state == "draft")
            .with_for_update()).all():
        _maybe_issue(s, actor, sheet, facts)
    s.flush()


def read_sheet(s: Session, actor: Actor, sheet_id: uuid.UUID) -> dict[str, Any]:
    sheet, _meeting, facts, _decision = _load(s, actor, sheet_id, "feedback:read", record=True)
    text = _text(s, sheet)
    return render(s, sheet, facts, text)


def printable_sheet(s: Session, actor: Actor, sheet_id: uuid.UUID) -> dict[str, Any]:
    """The sheet for printing, checked again: a note written since it was drafted may be
    what the sheet now reproduces, and paper does not take a sheet back."""
    sheet, _meeting, facts, _decision = _load(s, actor, sheet_id, "feedback:read", record=True)
    text = _text(s, sheet)
    case = s.get(Case, sheet.case_id)
    assert case is not None
    _secrecy_check(s, actor, "feedback:print", case, text, sheet.id)
    return render(s, sheet, facts, text)


def list_sheets(s: Session, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    """The chair's sheets, and issued sheets for the police information officer."""
    police, chair = actor.livcs_with("police_information_officer"), actor.livcs_with("livc_chair")
    stmt = (select(FeedbackSheet).join(Meeting, Meeting.id == FeedbackSheet.meeting_id)
            .where(or_(and_(Meeting.livc_id.in_(police), FeedbackSheet.state == "issued"),
                       Meeting.livc_id.in_(chair))))
    if query.get("state"):
        stmt = stmt.where(FeedbackSheet.state == query["state"])
    page, per_page = query["page"], query["per_page"]
    rows, total = paginate(s, stmt, page, per_page, FeedbackSheet.created_at.desc(),
                           FeedbackSheet.id)
    read_each(s, actor, "feedback:read", FeedbackSheet, rows, None)
    return {"items": rows, "page": page, "per_page": per_page, "total": total}
