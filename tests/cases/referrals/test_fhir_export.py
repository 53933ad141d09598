"""A referral exported as FHIR R4: ServiceRequest plus one Task per status, pseudonymous,
valid, only for the referral's parties, on the ledger."""

from __future__ import annotations

from sqlalchemy import select

from referral.cases.models import Subject
from referral.core.ledger.models import AuditEvent
from tests.factories import assert_problem, build, org_id

# FHIR R4 value sets (hl7.org/fhir/R4/valueset-task-status.html, request-status).
R4_TASK_STATUS = {"draft", "requested", "received", "accepted", "rejected", "ready",
                  "cancelled", "in-progress", "on-hold", "failed", "completed",
                  "entered-in-error"}
R4_REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                     "unknown"}


def _refer(world, case, owner):
    r = owner.post(f"/api/v1/cases/{case.id}/referrals", json={
        "to_organisation_id": org_id(world, "CGG Gent"), "kind": "service",
        "sphere_of_life": "mental_health_addiction", "purpose": "assessment and counselling"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_an_accepted_then_ended_referral_reads_as_servicerequest_and_its_tasks(world, dbs):
    case = build(world)
    owner = world.login("owner_rp")
    referral = _refer(world, case, owner)
    recipient = world.login("member_rp")
    r = recipient.post(f"/api/v1/referrals/{referral['id']}/transitions",
                       json={"trigger": "accept", "version": referral["version"]})
    assert r.status_code == 200, r.get_json()
    r = recipient.post(f"/api/v1/referrals/{referral['id']}/transitions",
                       json={"trigger": "end", "version": r.get_json()["version"],
                             "reason": "moved out of the region"})
    assert r.status_code == 200, r.get_json()

    r = recipient.get(f"/api/v1/referrals/{referral['id']}/fhir")
    assert r.status_code == 200
    assert r.mimetype == "application/fhir+json"
    bundle = r.get_json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    request, *tasks = [e["resource"] for e in bundle["entry"]]
    assert request["resourceType"] == "ServiceRequest"
    assert request["status"] == "revoked"
    assert request["status"] in R4_REQUEST_STATUS
    assert request["code"]["coding"][0]["code"] == "mental_health_addiction"
    assert [t["status"] for t in tasks] == ["requested", "accepted", "cancelled"]
    assert all(t["status"] in R4_TASK_STATUS for t in tasks)
    assert tasks[-1]["statusReason"]["text"] == "moved out of the region"
    # Pseudonymous: the pseudonym, never the identity the factories encrypted.
    pseudonym = dbs.scalar(select(Subject.pseudonym).where(Subject.id == case.subject_id))
    dbs.rollback()
    # The recipient of an ended referral no longer reads the case header: no pseudonym.
    assert "identifier" not in request["subject"]
    assert pseudonym not in r.get_data(as_text=True)
    as_owner = owner.get(f"/api/v1/referrals/{referral['id']}/fhir")
    assert as_owner.get_json()["entry"][0]["resource"]["subject"]["identifier"]["value"] \
        == pseudonym
    assert "Peeters" not in r.get_data(as_text=True) + as_owner.get_data(as_text=True)
    assert request["performer"][0]["display"] == "CGG Gent"


def test_the_statuses_map_as_the_issue_says():
    from referral.cases.referrals.fhir import TASK_STATUS

    assert TASK_STATUS == {"offered": "requested", "accepted": "accepted",
                           "declined": "rejected", "withdrawn": "cancelled",
                           "expired": "failed", "active": "in-progress",
                           "completed": "completed", "ended": "cancelled"}


def test_the_recipient_does_not_read_the_senders_withdrawal_reason_in_the_export(world):
    case = build(world)
    owner = world.login("owner_rp")
    referral = _refer(world, case, owner)
    r = owner.post(f"/api/v1/referrals/{referral['id']}/transitions",
                   json={"trigger": "withdraw", "version": referral["version"],
                         "reason": "the family asked us to stop"})
    assert r.status_code == 200, r.get_json()
    text = world.login("member_rp").get(f"/api/v1/referrals/{referral['id']}/fhir") \
        .get_data(as_text=True)
    assert "the family asked" not in text
    assert '"cancelled"' in text


def test_only_the_referrals_parties_export_it_and_each_export_is_on_the_ledger(world, dbs):
    case = build(world)
    referral = _refer(world, case, world.login("owner_rp"))
    url = f"/api/v1/referrals/{referral['id']}/fhir"
    for outsider in ("elsewhere_rp", "auditor1", "member"):
        assert_problem(world.login(outsider).get(url), 404)
    assert world.login("owner_rp").get(url).status_code == 200
    events = dbs.scalars(select(AuditEvent.outcome).where(
        AuditEvent.action == "referral:fhir_export")).all()
    dbs.rollback()
    assert events.count("allowed") == 1
