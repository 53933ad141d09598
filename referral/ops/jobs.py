"""Periodic jobs (``flask --app wsgi jobs run``): expiries, reminders, purges, checkpoints.

Safe to start from cron on several machines at once: each job first claims its
row in ``job_locks`` (a short lease, taken under ``SELECT ... FOR UPDATE`` on
PostgreSQL and under SQLite's ``BEGIN IMMEDIATE``), so one runner does a job
while the others skip it; and each item is re-checked under its own row lock,
so an expiry or a purge happens exactly once even if two runners overlap.
Every job run and every item it changes is written to the audit trail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import workflows
from policies.actor import Actor
from referral.audit.publication import sign_and_publish
from referral.cases.models import Case, Subject
from referral.cases.notes.models import Note
from referral.cases.referrals.models import Referral
from referral.cases.referrals.services import transition_referral
from referral.core import clock, errors
from referral.core.calendar import today as brussels_today
from referral.core.ledger import chain
from referral.identity.keys import destroy_data_key
from referral.meetings.models import Decision, FeedbackSheet
from referral.notifications.delivery import deliver
from referral.notifications.models import JobLock, Notification
from referral.notifications.services import notify_organisation
from referral.ops.digest import send_digests

SYSTEM = Actor(user_id=None, organisation_id=None)
LEASE = timedelta(minutes=10)


@dataclass
class JobResult:
    name: str
    ran: bool
    changed: int = 0
    notes: list[str] = field(default_factory=list)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim(s: Session, name: str, holder: str) -> bool:
    """Take the job's lease unless another runner holds an unexpired one."""
    now = clock.now()
    row = s.scalar(select(JobLock).where(JobLock.name == name).with_for_update())
    if row is None:
        s.add(JobLock(name=name, holder=holder, locked_until=now + LEASE))
        try:
            s.commit()
        except IntegrityError:  # a concurrent runner inserted the same job first
            s.rollback()
            return False
        return True
    if row.locked_until is not None and row.locked_until > now and row.holder != holder:
        s.rollback()
        return False
    row.holder, row.locked_until = holder, now + LEASE
    s.commit()
    return True


def release(s: Session, name: str, holder: str) -> None:
    s.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
              .values(locked_until=None, last_run_at=clock.now()))
    s.commit()


def _locked(stmt: Any, s: Session) -> Any:
    # Other runners skip rows being worked on instead of waiting for them.
    if s.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def expire_referrals(s: Session, app: Flask) -> JobResult:
    """Offered referrals unanswered past their deadline expire back to the sender."""

    result = JobResult("expire_referrals", True)
    now = clock.now()
    ids = list(s.scalars(_locked(select(Referral.id).where(
        Referral._state == "offered", Referral.expires_at < now), s)))
    for referral_id in ids:
        try:
            data = transition_referral(s, SYSTEM, referral_id, {"trigger": "expire"}, None,
                                       system=True)
        except errors.Conflict:
            continue  # answered or expired meanwhile
        case = s.get(Case, data["case_id"])
        if case is not None and case.coordinator_organisation_id:
            notify_organisation(s, case.coordinator_organisation_id, "referral_expired",
                                "A referral of a case you coordinate expired unanswered.",
                                f"/api/v1/referrals/{referral_id}")
        result.changed += 1
    return result


def _notify_once(s: Session, org_id: uuid.UUID, kind: str, message: str, link: str) -> int:
    already = s.scalar(select(Notification.id).where(Notification.kind == kind,
                                                     Notification.link == link).limit(1))
    if already:
        return 0
    return notify_organisation(s, org_id, kind, message, link,
                               roles=("reference_person", "livc_coordinator"))


def review_reminders(s: Session, app: Flask) -> JobResult:
    """Cases whose LIVC review falls due: remind the coordinator and the owner, once per date."""
    result = JobResult("review_reminders", True)
    today = brussels_today()
    for case in s.scalars(select(Case).where(Case.next_review_due <= today,
                                             Case._state.in_(("guidance", "aftercare")))):
        link = f"/api/v1/cases/{case.id}?review={case.next_review_due}"
        for org in {case.owner_organisation_id, case.coordinator_organisation_id} - {None}:
            assert org is not None
            result.changed += _notify_once(s, org, "review_due", "A case review is due.", link)
    return result


def screening_overdue(s: Session, app: Flask) -> JobResult:
    result = JobResult("screening_overdue", True)
    today = brussels_today()
    for case in s.scalars(select(Case).where(Case.screening_due < today,
                                             Case._state.in_(("signalled", "screening")))):
        link = f"/api/v1/cases/{case.id}?screening={case.screening_due}"
        result.changed += _notify_once(s, case.owner_organisation_id, "screening_overdue",
                                       "A signalled case waits for screening.", link)
    return result


def purge_case(s: Session, case: Case) -> None:
    """Crypto-shred: destroy the data key and remove what is personal; keep the skeleton."""
    destroy_data_key(case.data_key)
    subject = s.get(Subject, case.subject_id)
    if subject is not None:
        subject.identity_ciphertext = None
    s.execute(update(Note).where(Note.case_id == case.id).values(body_ciphertext=None))
    s.execute(update(Decision).where(Decision.case_id == case.id).values(text_ciphertext=None))
    s.execute(update(FeedbackSheet).where(FeedbackSheet.case_id == case.id)
              .values(text_ciphertext=None))
    case.informing_ground = None
    case.legal_hold_reason = None
    case.purged_at = clock.now()


def purge_expired(s: Session, app: Flask) -> JobResult:
    result = JobResult("purge_expired", True)
    today = brussels_today()
    ids = list(s.scalars(_locked(select(Case.id).where(
        Case._state == "closed", Case.retention_until < today, Case.purged_at.is_(None),
        Case.legal_hold.is_(False)), s)))
    for case_id in ids:
        case = s.get(Case, case_id)
        if case is None or case.purged_at is not None:
            continue
        purge_case(s, case)
        chain.record(s, None, "case:purge", object_type="case", object_id=case.id,
                     case_id=case.id, purpose=f"retention ended {case.retention_until}")
        result.changed += 1
    return result


def deliver_outbox(s: Session, app: Flask) -> JobResult:

    delivered, failed = deliver(s, app.config)
    return JobResult("deliver_outbox", True, delivered, [f"failed {failed}"] if failed else [])


def audit_checkpoint(s: Session, app: Flask) -> JobResult:

    cp = sign_and_publish(s, app)
    return JobResult("audit_checkpoint", True, 1, [f"seq {cp.seq}"])


def digest_job(s: Session, app: Flask) -> JobResult:
    """One digest per person of what is being forgotten (referral.ops.digest)."""
    sent, users = send_digests(s, app)
    return JobResult("digest", True, changed=sent, notes=[f"{users} users with findings"])


JOBS: dict[str, Callable[[Session, Flask], JobResult]] = {
    "expire_referrals": expire_referrals,
    "review_reminders": review_reminders,
    "screening_overdue": screening_overdue,
    "purge_expired": purge_expired,
    "deliver_outbox": deliver_outbox,
    "audit_checkpoint": audit_checkpoint,
    "digest": digest_job,
}



def run(app: Flask, only: tuple[str, ...] = ()) -> list[JobResult]:
    holder = _holder()
    maker = app.extensions["referral.db"].sessionmaker
    results = []
    for name, job in JOBS.items():
        if only and name not in only:
            continue
        with maker() as s:
            if not claim(s, name, holder):
                results.append(JobResult(name, False, notes=["held by another runner"]))
                continue
            try:
                result = job(s, app)
                chain.record(s, None, "job:run", object_type="job", object_id=name,
                             purpose=f"changed {result.changed}")
                s.commit()
            except Exception:
                s.rollback()
                with maker() as s2:
                    chain.record(s2, None, "job:run", object_type="job", object_id=name,
                                 outcome="denied", rule="job_failed")
                    s2.commit()
                raise
            finally:
                release(s, name, holder)
            results.append(result)
    return results


__all__ = ["JOBS", "JobResult", "purge_case", "run", "workflows"]
