"""Cases: registration (pseudonymised), header reads, lists, updates, transitions,
break-glass, access log and re-identification.  Every read is audited."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

import workflows
from policies.actor import Actor
from policies.cases import reads_free_text
from policies.scopes import case_condition
from referral.accounts.models import RoleAssignment, User
from referral.cases.access import case_facts_many, load_case
from referral.cases.guards import CASE_GUARDS
from referral.cases.models import BreakGlass, Case, CaseMatch, ReferenceCounter, Subject
from referral.cases.notes.models import Note
from referral.cases.referrals.models import Referral
from referral.core import clock, errors
from referral.core.authz import authorize, read_each
from referral.core.calendar import add_working_days, next_working_day
from referral.core.calendar import today as brussels_today
from referral.core.db import count_upto, paginate
from referral.core.ledger import chain
from referral.core.ledger.models import AuditEvent
from referral.core.transaction import denial
from referral.identity.errors import KeyDestroyed
from referral.identity.keys import create_data_key, load_data_key, ring_for
from referral.identity.registration import age_band, age_on, parse_identity
from referral.identity.vault import decrypt_field, encrypt_field
from referral.notifications.models import Notification
from referral.notifications.services import notify_organisation
from referral.organisations.models import Livc, LivcMember
from referral.pathways import engine
from referral.pathways.diagram import render_svg
from referral.pathways.models import TransitionRecord, engine_set_state

REDUCED_FIELDS = ("id", "reference", "pseudonym", "age_band", "municipality_nis", "state",
                  "livc_id")


# Free text of the case header, written by the owner or the coordinator (who manage the
# case): read by them only.
CASE_FREE_TEXT = ("informing_ground", "outcome")
WRITERS_OF_CASE_TEXT = frozenset({"owner_organisation", "case_coordinator"})
# What the LIVC's chair and coordinator see to prepare agendas, before acknowledging secrecy
# for a meeting with the case on its agenda: no reasons, no informing ground, no notes.
PREPARATION_FIELDS = ("id", "reference", "pseudonym", "age_band", "state", "livc_id",
                      "opened_at", "screening_due", "next_review_due")


def _next_reference(s: Session, livc: Livc, organisation_id: uuid.UUID) -> str:
    # One upsert: a SELECT ... FOR UPDATE locks no row while the year's counter does not
    # exist yet, so two first cases of a year both inserted it and one failed (409).
    # Both databases take the row lock (SQLite: the write lock) in this statement.
    year = clock.now().year
    table = ReferenceCounter.__table__
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    number = s.execute(
        insert(ReferenceCounter).values(livc_id=livc.id, organisation_id=organisation_id,
                                        year=year, last_number=1)
        .on_conflict_do_update(index_elements=[table.c.livc_id, table.c.organisation_id,
                                               table.c.year],
                               set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)).scalar_one()
    prefix = "".join(ch for ch in livc.name.upper().replace("LIVC", "") if ch.isalnum())[:8]
    return f"{prefix or 'LIVC'}-{year}-{owner_tag(organisation_id)}-{number:04d}"


def owner_tag(organisation_id: uuid.UUID) -> str:
    """The owner's tag in a reference: it keeps references unique across owners (each has
    its own numbers) without telling who the owner is (a keyed hash, not the id)."""
    key = hashlib.sha256(b"reference-tag|" + str(current_app.config["SECRET_KEY"]).encode())
    return hashlib.blake2b(organisation_id.bytes, key=key.digest(),
                           digest_size=4).hexdigest().upper()


def header(case: Case, rule: str, *, matches: int | None = None,
           purpose: str | None = None) -> dict[str, Any]:
    data = {c: getattr(case, c) for c in (
        "id", "reference", "state", "version", "owner_organisation_id", "livc_id", "pathway",
        "pathway_version", "coordinator_organisation_id", "coordinator_user_id", "context",
        "phase", "municipality_nis", "age_band", "is_minor", "informing_status",
        "informing_ground", "informed_party", "consent", "screening_due", "next_review_due",
        "opened_at", "closed_at", "outcome", "retention_until")}
    data["pseudonym"] = case.subject.pseudonym
    data["access"], data["access_rule"] = "full", rule
    if rule not in WRITERS_OF_CASE_TEXT:
        # The informing ground and the closing outcome are the managing organisation's own
        # text (policies.cases.reads_free_text): others see that there is one.
        withheld = [f for f in CASE_FREE_TEXT if data[f]]
        data.update(dict.fromkeys(CASE_FREE_TEXT))
        data["withheld_fields"] = withheld
    if rule == "offered_referral_reduced":
        data = {k: data[k] for k in REDUCED_FIELDS}
        data["access"], data["access_rule"], data["purpose"] = "reduced", rule, purpose
    elif rule == "livc_preparation":
        data = {k: data[k] for k in PREPARATION_FIELDS}
        data["access"], data["access_rule"] = "reduced", rule
    if matches is not None:
        data["matches"] = matches
    return data


def register_case(s: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    owner = actor.organisation_id
    assert owner is not None  # case:create is decided for users with a case role
    livc = s.get(Livc, data["livc_id"])
    if livc is None:
        raise errors.field_error("livc_id", "Unknown LIVC.")
    if not s.scalar(select(LivcMember.id).where(
            LivcMember.livc_id == livc.id, LivcMember.organisation_id == actor.organisation_id)):
        raise errors.field_error("livc_id", "Your organisation is not a member of this LIVC.")
    if data.get("informing_status") == "not_informed" and not data.get("informing_ground"):
        raise errors.field_error("informing_ground", "Give the legal ground for not informing.")
    identity = parse_identity(data["identity"])
    today = brussels_today()
    age = age_on(identity.birth_date, today)
    is_minor = age is not None and age < 18
    ring = ring_for(current_app._get_current_object())  # type: ignore[attr-defined]
    key_row, data_key = create_data_key(s, ring)
    subject = Subject(id=uuid.uuid4(), pseudonym=identity.pseudonym)
    subject.identity_ciphertext = encrypt_field(data_key, identity.plaintext, table="subjects",
                                                column="identity", row_id=subject.id)
    s.add(subject)
    case = Case(
        reference=_next_reference(s, livc, owner), subject=subject,
        data_key_id=key_row.id,
        livc_id=livc.id, owner_organisation_id=actor.organisation_id,
        created_by_user_id=actor.user_id, context=data["context"], phase=data.get("phase"),
        municipality_nis=data.get("municipality_nis") or livc.municipality_nis[0],
        age_band=age_band(age), is_minor=is_minor,
        informing_status=data.get("informing_status"),
        informing_ground=data.get("informing_ground"),
        informed_party=data.get("informed_party"), consent=data["consent"],
        screening_due=add_working_days(today, 5),
    )
    engine_set_state(case, workflows.latest("disengagement").initial)
    s.add(case)
    s.flush()
    engine.record_initial(s, actor, case, object_type="case", case_id=case.id)
    matches = _record_matches(s, actor, case)
    chain.record(s, actor, "case:create", object_type="case", object_id=case.id, case_id=case.id)
    return header(case, "owner_organisation", matches=matches)


def _record_matches(s: Session, actor: Actor, case: Case) -> int:
    """Count other open cases of the same person; tell their holders, without content."""
    others = s.execute(
        select(Case.id, Case.owner_organisation_id).join(Subject, Case.subject_id == Subject.id)
        .where(Subject.pseudonym == case.subject.pseudonym, Case.id != case.id,
               Case._state != "closed")).all()
    for other_id, owner_org in others:
        s.add(CaseMatch(case_id=case.id, other_case_id=other_id))
        s.add(CaseMatch(case_id=other_id, other_case_id=case.id))
        for org_id, cid in ((owner_org, other_id), (actor.organisation_id, case.id)):
            for user_id in s.scalars(_reference_persons(org_id)):
                s.add(Notification(user_id=user_id, kind="match",
                                   message="Another organisation is involved with the same "
                                           "person.", link=f"/api/v1/matches?case_id={cid}"))
        chain.record(s, actor, "case:match", object_type="case", object_id=other_id,
                     case_id=case.id)
    return len(others)


def _reference_persons(org_id: uuid.UUID | None) -> Any:

    return (select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.organisation_id == org_id, User.active.is_(True),
                   RoleAssignment.role == "reference_person"))


def _offered_purpose(s: Session, actor: Actor, case: Case) -> str | None:
    return s.scalar(select(Referral.purpose).where(
        Referral.case_id == case.id, Referral.to_organisation_id == actor.organisation_id,
        Referral._state == "offered").limit(1))


def read_case(s: Session, actor: Actor, case_id: uuid.UUID) -> dict[str, Any]:
    case, _facts, decision = load_case(s, actor, case_id, "case:read")
    purpose = (_offered_purpose(s, actor, case)
               if decision.rule == "offered_referral_reduced" else None)
    return header(case, decision.rule, purpose=purpose)


def list_cases(s: Session, actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    now = clock.now()
    where = [case_condition(actor, Case.__table__, now)]
    if query.get("state"):
        where.append(Case._state == query["state"])
    if query.get("livc_id"):
        where.append(Case.livc_id == query["livc_id"])
    if query.get("review_overdue") is True:
        where.append(Case.next_review_due < brussels_today())
    total, exact = count_upto(s, select(Case.id).where(*where),
                              current_app.config["LIST_COUNT_LIMIT"])
    page, per_page = query["page"], query["per_page"]
    # Order and cut on the narrow (opened_at, id) first, then load only the page's rows
    # (with their subjects): sorting whole rows costs several times more on a big scope.
    ids = list(s.scalars(select(Case.id).where(*where)
                         .order_by(Case.opened_at.desc(), Case.id.desc())
                         .offset((page - 1) * per_page).limit(per_page)))
    loaded = {c.id: c for c in s.scalars(
        select(Case).options(joinedload(Case.subject, innerjoin=True))
        .where(Case.id.in_(ids)))} if ids else {}
    rows = [loaded[i] for i in ids if i in loaded]
    facts_of = case_facts_many(s, rows, now)  # one query for the page, not four per row
    items = []
    for case, decision in read_each(s, actor, "case:read", Case, rows,
                                    lambda c: facts_of[c.id]):
        assert decision is not None
        items.append(header(case, decision.rule, purpose=(
            _offered_purpose(s, actor, case)
            if decision.rule == "offered_referral_reduced" else None)))
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "total_exact": exact}


def update_case(s: Session, actor: Actor, case_id: uuid.UUID, data: dict[str, Any],
                expected_version: int | None) -> dict[str, Any]:
    # The change is the access: it goes on the ledger below, with the fields it changed.
    case, _facts, decision = load_case(s, actor, case_id, "case:update", lock=True,
                                       record=False)
    if expected_version is not None and expected_version != case.version:
        raise errors.Conflict("The case was changed in the meantime.",
                              current_version=case.version)
    for field in ("phase", "context", "informing_status", "informing_ground", "informed_party",
                  "consent"):
        if field in data:
            setattr(case, field, data[field])
    if case.informing_status == "not_informed" and not case.informing_ground:
        raise errors.field_error("informing_ground", "Give the legal ground for not informing.")
    if "coordinator_user_id" in data:
        uid = data["coordinator_user_id"]
        if uid is not None:
            user = s.get(User, uid)
            if user is None or user.organisation_id not in {case.owner_organisation_id,
                                                            case.coordinator_organisation_id}:
                raise errors.field_error("coordinator_user_id", "Choose a user of the owner or "
                                         "coordinating organisation.")
            case.coordinator_organisation_id = user.organisation_id
        case.coordinator_user_id = uid
    case.updated_at = clock.now()
    s.flush()
    chain.record(s, actor, "case:update", object_type="case", object_id=case.id,
                 case_id=case.id, rule=decision.rule,
                 purpose="changed: " + ",".join(sorted(k for k in data if k != "version")))
    return header(case, decision.rule)


def transition_case(s: Session, actor: Actor, case_id: uuid.UUID, data: dict[str, Any],
                    expected_version: int | None, extra: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    # The engine puts the transition on the ledger.
    case, facts, decision = load_case(s, actor, case_id, "case:read", lock=True, record=False)
    if decision.rule == "offered_referral_reduced":
        authorize(actor, "case:manage", facts, object_type="case", object_id=case.id,
                  case_id=case.id)
    firing = engine.fire(
        s, actor, case, trigger=data["trigger"], object_type="case", resource=facts,
        guards=CASE_GUARDS, case_id=case.id, expected_version=expected_version,
        reason=data.get("reason"), outcome=data.get("outcome"), extra=extra)
    apply_case_effects(case, firing)
    case.updated_at = clock.now()
    s.flush()
    return header(case, decision.rule)


def apply_case_effects(case: Case, firing: engine.Firing) -> None:
    today = brussels_today()
    interval = 90
    for effect in firing.transition.effects:
        if effect == "set_retention":
            case.closed_at = clock.now()
            case.outcome = firing.outcome
            years = current_app.config["RETENTION_YEARS"]
            case.retention_until = today.replace(year=today.year + years) if not (
                today.month == 2 and today.day == 29) else today + timedelta(days=365 * years)
        elif effect == "clear_retention":
            case.closed_at, case.outcome, case.retention_until = None, None, None
        elif effect == "schedule_review":
            case.next_review_due = next_working_day(today + timedelta(days=interval))
        elif effect == "schedule_aftercare_reviews":
            case.next_review_due = next_working_day(today + timedelta(days=182))
        elif effect == "clear_review":
            case.next_review_due = None
        elif effect == "remember_suspended_from":
            case.suspended_from = firing.transition.sources[0] if len(
                firing.transition.sources) == 1 else _source_of(firing)
        elif effect == "clear_screening_deadline":
            case.screening_due = None


def _source_of(firing: engine.Firing) -> str | None:
    history = firing.session.new
    for obj in history:
        if getattr(obj, "object_id", None) == firing.row.id and hasattr(obj, "from_state"):
            return str(obj.from_state)
    return None


def available_transitions(s: Session, actor: Actor, case_id: uuid.UUID) -> list[dict[str, Any]]:
    case, facts, _decision = load_case(s, actor, case_id, "case:transitions")
    return engine.available(actor, case, facts, CASE_GUARDS, s)


_HISTORY_FIELDS = ("id", "trigger", "from_state", "to_state", "actor_user_id",
                   "actor_organisation_id", "meeting_id", "decision_id", "at")


def history(s: Session, actor: Actor, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's transitions; a reason only where ``reads_free_text`` says so (others learn
    that the step was taken, when and by which organisation, and that a reason was kept)."""
    case, _facts, _decision = load_case(s, actor, case_id, "case:history")
    entries = []
    for rec in s.scalars(select(TransitionRecord).where(
            TransitionRecord.object_type == "case", TransitionRecord.object_id == case.id)
            .order_by(TransitionRecord.at, TransitionRecord.id)):
        entry = {f: getattr(rec, f) for f in _HISTORY_FIELDS}
        shown = reads_free_text(actor, rec.actor_organisation_id,
                                for_livc=rec.meeting_id is not None)
        entry["reason"] = rec.reason if shown else None
        entry["reason_withheld"] = bool(rec.reason) and not shown
        entries.append(entry)
    return entries


def diagram(s: Session, actor: Actor, case_id: uuid.UUID) -> str:
    case, _facts, _decision = load_case(s, actor, case_id, "case:diagram")
    return render_svg(workflows.get(case.pathway, case.pathway_version), case.state)


def break_glass(s: Session, actor: Actor, case_id: uuid.UUID, reason: str) -> BreakGlass:

    # The role is checked before the case is looked up: the answer must not depend on
    # whether the id exists.
    if not actor.has_role("reference_person"):
        raise errors.Forbidden("Only reference persons may break the glass.",
                               rule="break_glass_reference_persons_only",
                               _audit=denial(actor, "case:break_glass",
                                             "break_glass_reference_persons_only",
                                             object_type="case", object_id=case_id))
    case = s.get(Case, case_id)
    member = case is not None and s.scalar(select(LivcMember.id).where(
        LivcMember.livc_id == case.livc_id, LivcMember.organisation_id == actor.organisation_id))
    if case is None or not member:
        # Emergencies stay within the LIVC's partnership; elsewhere the case does not exist.
        raise errors.NotFound("No such case.", _audit=denial(
            actor, "case:break_glass", "no_relation", object_type="case", object_id=case_id,
            case_id=case.id if case else None))
    grant = BreakGlass(case_id=case.id, user_id=actor.user_id,
                       organisation_id=actor.organisation_id, reason=reason,
                       expires_at=clock.now() + timedelta(hours=24))
    s.add(grant)
    s.flush()
    chain.record(s, actor, "case:break_glass", object_type="case", object_id=case.id,
                 case_id=case.id, purpose=reason, rule="break_glass")
    # The holder learns at once that someone opened its case (who and why: in the access log).

    notify_organisation(s, case.owner_organisation_id, "break_glass",
                        "Another organisation used break-glass on one of your cases.",
                        f"/api/v1/cases/{case.id}/access-log")
    return grant


def access_log(s: Session, actor: Actor, case_id: uuid.UUID, page: int, per_page: int
               ) -> dict[str, Any]:
    case, _facts, _decision = load_case(s, actor, case_id, "case:access_log")
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id)
    if not actor.has_role("auditor"):
        # Who read or wrote the police compartment is itself police information: the
        # owner's reference persons see every access but those (the auditor sees all).
        police_notes = [str(i) for i in s.scalars(select(Note.id).where(
            Note.case_id == case.id, Note.compartment == "police"))]
        stmt = stmt.where(~and_(AuditEvent.object_type == "note",
                                AuditEvent.object_id.in_(police_notes)),
                          ~and_(AuditEvent.action == "note:create",
                                AuditEvent.purpose == "police"))
    rows, total = paginate(s, stmt, page, per_page, AuditEvent.seq.desc())
    return {"items": list(rows), "page": page, "per_page": per_page, "total": total}


def reidentify(s: Session, actor: Actor, case_id: uuid.UUID, reason: str,
               category: str = "other") -> dict[str, Any]:
    # The category leads the ledger's purpose: the assurance report counts by it.
    case, _facts, _decision = load_case(s, actor, case_id, "case:reidentify",
                                        purpose=f"{category}: {reason}")
    ring = ring_for(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        key = load_data_key(s, ring, case.data_key_id)
    except KeyDestroyed:
        raise errors.Gone("The identity was destroyed at the end of retention.") from None
    assert case.subject.identity_ciphertext is not None
    identity = json.loads(decrypt_field(key, case.subject.identity_ciphertext, table="subjects",
                                        column="identity", row_id=case.subject.id))
    return {"identity": identity}
