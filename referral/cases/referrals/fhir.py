"""A referral in an open standard: FHIR R4 ``ServiceRequest`` plus one ``Task`` per status.

For a partner's own system (a CAW's or VDAB's case file), so that a hand-off need not be
typed in twice.  The export says what the referral's reader may read and nothing more:
the person only by pseudonym, organisations by name and id, reasons and outcomes only
where the reader may read them (``render`` already withholds the others).  Built as plain
JSON and validated by the ``fhir.resources`` models, whose ServiceRequest and Task are the
R4 ones (``fhir.resources`` ships them under R4B, where these two resources are unchanged).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from policies.actor import Actor
from referral.cases.access import case_facts
from referral.cases.models import Case, Subject
from referral.cases.referrals.models import Referral
from referral.cases.referrals.services import render
from referral.core.authz import load_for
from referral.organisations.models import Livc, Organisation
from referral.pathways.models import TransitionRecord

SYSTEM = "urn:livc-referral"
# The referral pathway's states as FHIR Task.status codes (issue 16): an ended referral is
# "cancelled" with its reason in statusReason.
TASK_STATUS = {"offered": "requested", "accepted": "accepted", "declined": "rejected",
               "withdrawn": "cancelled", "expired": "failed", "active": "in-progress",
               "completed": "completed", "ended": "cancelled"}
# ...and the request itself: open while anyone may still act on it.
REQUEST_STATUS = {"offered": "active", "accepted": "active", "active": "active",
                  "completed": "completed", "declined": "revoked", "withdrawn": "revoked",
                  "expired": "revoked", "ended": "revoked"}


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _organisation(s: Session, org_id: uuid.UUID | None, livc_id: uuid.UUID | None = None
                  ) -> dict[str, Any] | None:
    if org_id is not None:
        org = s.get(Organisation, org_id)
        return {"identifier": {"system": f"{SYSTEM}:organisation", "value": str(org_id)},
                "display": org.name if org else None, "type": "Organization"}
    if livc_id is not None:
        livc = s.get(Livc, livc_id)
        return {"identifier": {"system": f"{SYSTEM}:livc", "value": str(livc_id)},
                "display": livc.name if livc else None, "type": "Organization"}
    return None


def _subject(s: Session, actor: Actor, case: Case) -> dict[str, Any]:
    # The pseudonym is header data: shown only to a reader of the case header (every party
    # to a referral is one; the check keeps it so if that ever changes).
    if policies.decide(actor, "case:read", case_facts(s, case)).allowed:
        pseudonym = s.scalar(select(Subject.pseudonym).where(Subject.id == case.subject_id))
        return {"identifier": {"system": f"{SYSTEM}:pseudonym", "value": pseudonym},
                "type": "Patient"}
    return {"display": "pseudonymised person", "type": "Patient"}


def export(s: Session, actor: Actor, referral_id: uuid.UUID) -> dict[str, Any]:
    """The referral as a FHIR ``Bundle`` (``collection``); the read is on the ledger."""
    loaded = load_for(s, actor, "referral:read", Referral, referral_id,
                      event="referral:fhir_export")
    referral = loaded.row
    data = render(s, referral, actor)
    case = s.get(Case, referral.case_id)
    assert case is not None
    subject = _subject(s, actor, case)
    sender = _organisation(s, referral.from_organisation_id, referral.from_livc_id)
    recipient = _organisation(s, referral.to_organisation_id)
    request_url = f"urn:uuid:{referral.id}"
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.id),
        "identifier": [{"system": f"{SYSTEM}:referral", "value": str(referral.id)}],
        "status": REQUEST_STATUS[referral.state],
        "intent": "order",
        "category": [{"coding": [{"system": f"{SYSTEM}:referral-kind",
                                  "code": referral.kind}]}],
        "subject": subject,
        "authoredOn": _instant(referral.offered_at),
        "requester": sender,
        "performer": [recipient],
        "note": [{"text": data["purpose"]}],
    }
    if referral.sphere_of_life:
        request["code"] = {"coding": [{"system": f"{SYSTEM}:sphere-of-life",
                                       "code": referral.sphere_of_life}]}
    if referral.expires_at is not None:
        request["occurrencePeriod"] = {"start": _instant(referral.offered_at),
                                       "end": _instant(referral.expires_at)}
    entries = [{"fullUrl": request_url, "resource": request}]
    history = s.scalars(select(TransitionRecord).where(
        TransitionRecord.object_type == "referral", TransitionRecord.object_id == referral.id)
        .order_by(TransitionRecord.at, TransitionRecord.id))
    for step in history:
        task: dict[str, Any] = {
            "resourceType": "Task",
            "id": str(step.id),
            "status": TASK_STATUS[step.to_state],
            "businessStatus": {"coding": [{"system": f"{SYSTEM}:referral-state",
                                           "code": step.to_state}]},
            "intent": "order",
            "basedOn": [{"reference": request_url}],
            "focus": {"reference": request_url},
            "for": subject,
            "authoredOn": _instant(step.at),
            "lastModified": _instant(step.at),
            "requester": sender,
            "owner": recipient,
        }
        if step.to_state == "ended" or (step.to_state == referral.state and data["reason"]):
            reason = data["reason"] if step.to_state == referral.state else None
            task["statusReason"] = {"coding": [{"system": f"{SYSTEM}:referral-state",
                                                "code": step.to_state}],
                                    **({"text": reason} if reason else {})}
        entries.append({"fullUrl": f"urn:uuid:{step.id}", "resource": task})
    bundle = {"resourceType": "Bundle", "type": "collection",
              "identifier": {"system": f"{SYSTEM}:referral", "value": str(referral.id)},
              "entry": entries}
    # Validated before it leaves: a partner's system must be able to read what we send.
    validated: dict[str, Any] = Bundle.model_validate(bundle).model_dump(
        mode="json", exclude_none=True)
    return validated
