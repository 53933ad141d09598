"""A LIVC decision's referral is sent by the LIVC: the chair's organisation does not become
its sender (its case workers neither read nor withdraw it); the chair and coordinator act
for the LIVC."""

from __future__ import annotations

from tests.factories import assert_problem, in_session, org_id


def test_the_livc_is_the_sender_of_its_decisions_referrals(world):
    case, chair, meeting = in_session(world, state="guidance")
    world.user("stad_cw", "Stad Gent", ["case_worker"])  # the chair's organisation
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "refer", "text": "Refer for assessment.",
        "referrals": [{"to_organisation_id": org_id(world, "CGG Gent"), "kind": "service",
                       "sphere_of_life": "mental_health_addiction", "purpose": "assessment"}]})
    assert r.status_code == 201, r.get_json()
    [referral_id] = r.get_json()["referral_ids"]
    body = chair.get(f"/api/v1/referrals/{referral_id}").get_json()
    assert body["from_organisation_id"] is None
    assert body["from_livc_id"] == str(world.livc.id)
    outgoing = chair.get("/api/v1/referrals?direction=outgoing").get_json()["items"]
    assert [i["id"] for i in outgoing] == [referral_id]
    colleague = world.login("stad_cw")
    assert_problem(colleague.get(f"/api/v1/referrals/{referral_id}"), 404)
    assert colleague.get("/api/v1/referrals").get_json()["items"] == []
    assert_problem(colleague.post(f"/api/v1/referrals/{referral_id}/transitions",
                                  json={"trigger": "withdraw"}), 404)
    # The recipient declines; the LIVC's chair and coordinator hear of it.
    r = world.login("member_rp").post(f"/api/v1/referrals/{referral_id}/transitions",
                                      json={"trigger": "decline", "reason": "full"})
    assert r.status_code == 200, r.get_json()
    kinds = [n["kind"] for n in world.login("coordinator").get("/api/v1/notifications")
             .get_json()["items"]]
    assert "referral_declined" in kinds


def test_the_chair_withdraws_for_the_livc(world):
    case, chair, meeting = in_session(world, state="guidance")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "refer", "text": "Refer.",
        "referrals": [{"to_organisation_id": org_id(world, "CGG Gent"), "kind": "service",
                       "sphere_of_life": "trauma", "purpose": "counselling"}]})
    [referral_id] = r.get_json()["referral_ids"]
    r = chair.post(f"/api/v1/referrals/{referral_id}/transitions", json={"trigger": "withdraw"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "withdrawn"


def test_the_livcs_withdrawal_reason_stays_with_the_livc(world):
    """Found by a review: a LIVC referral's withdrawal reason was shown to the recipient and
    the owner as if the system had written it."""
    case, chair, meeting = in_session(world, state="guidance")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/decisions", json={
        "case_id": str(case.id), "decision": "refer", "text": "Refer.",
        "referrals": [{"to_organisation_id": org_id(world, "CGG Gent"), "kind": "service",
                       "sphere_of_life": "trauma", "purpose": "counselling"}]})
    [referral_id] = r.get_json()["referral_ids"]
    secret = "Withdrawn: the family is under investigation"
    assert chair.post(f"/api/v1/referrals/{referral_id}/transitions",
                      json={"trigger": "withdraw", "reason": secret}).status_code == 200
    assert world.login("coordinator").get(f"/api/v1/referrals/{referral_id}").get_json()[
        "reason"] == secret
    for name in ("member_rp", "owner_rp"):
        body = world.login(name).get(f"/api/v1/referrals/{referral_id}").get_json()
        assert (body["reason"], body["reason_withheld"]) == (None, True), name
