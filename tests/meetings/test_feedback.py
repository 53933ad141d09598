"""The feedback sheet: no note's text, consensus of those present, police read it issued."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from referral.core.ledger.models import AuditEvent
from referral.meetings.feedback import NOTICE
from referral.meetings.models import FeedbackSheet
from referral.meetings.quotation import first_reproduced, overlaps, skeleton
from tests.factories import assert_problem, count, in_session, note, user_id

NOTE = "He told the social worker that he stopped visiting the Qur'an study group in Ledeberg."
PARAPHRASE = ("The LIVC discussed the person; a guidance programme is in place and partners "
              "follow up. No police action is asked.")


def test_quotations_are_compared_on_a_skeleton():
    assert skeleton("  Élève\tÇA  va\n\nBIEN ") == "elevecavabien"
    note_text = "x" * 10 + "Ce garçon fréquente à nouveau le centre de jeunesse du quartier"
    quoted = "Summary: CE GARCON  frequente a nouveau le centre de JEUNESSE du quartier."
    assert first_reproduced(quoted, [(note_text, "CAW")]) == "CAW"
    assert first_reproduced("Le garçon fréquente un centre.", [(note_text, "CAW")]) is None
    assert first_reproduced(quoted, []) is None
    # The run rule on its own: 39 skeleton characters in common are not a quotation; 40 are.
    body = skeleton(note_text)
    run = body[10:49]
    assert not overlaps(skeleton("a") + run + "b", body, coverage=1.01)
    assert overlaps(skeleton("a") + body[10:50] + "b", body, coverage=1.01)
    # The coverage rule on its own: 20-character pieces with filler between them (no run of
    # 40) cover the note; one shared phrase does not.
    pieces = "q".join(body[i:i + 20] for i in range(0, len(body), 20))
    assert overlaps(pieces, body)
    assert not overlaps(skeleton("le centre de jeunesse du quartier"), body)


def test_a_sheet_quoting_any_note_is_refused(world, dbs):
    case, chair, meeting = in_session(world, state="guidance")
    # Undisclosed, in the owner's compartment: the chair never saw it, the check still does.
    note(world.login("owner_rp"), case.id, NOTE)
    url = f"/api/v1/meetings/{meeting['id']}/feedback-sheets"
    quoted = ("Feedback: he told the SOCIAL worker that he   stopped visiting the Qur'an "
              "study group.")
    r = chair.post(url, json={"case_id": str(case.id), "text": quoted})
    problem = assert_problem(r, 422, rule="feedback_no_secret")
    assert "text" in problem["errors"]
    assert NOTE not in r.get_data(as_text=True)
    assert count(dbs, FeedbackSheet, case_id=case.id) == 0
    denied = dbs.scalar(select(AuditEvent.outcome).where(AuditEvent.rule == "feedback_no_secret"))
    dbs.rollback()
    assert denied == "denied"
    assert_problem(world.login("member").post(url, json={"case_id": str(case.id),
                                                         "text": PARAPHRASE}), 403,
                   rule="feedback_chair")
    r = chair.post(url, json={"case_id": str(case.id), "text": PARAPHRASE})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["state"], r.get_json()["notice"]) == ("draft", NOTICE)
    assert_problem(chair.post(url, json={"case_id": str(case.id), "text": PARAPHRASE}), 409)
    stored = dbs.scalar(select(FeedbackSheet.text_ciphertext).where(
        FeedbackSheet.case_id == case.id))
    dbs.rollback()
    assert b"guidance programme" not in stored
    # Redrafting is checked in the same way.
    sheet_url = f"/api/v1/feedback-sheets/{r.get_json()['id']}"
    assert_problem(chair.patch(sheet_url, json={"text": NOTE}), 422, rule="feedback_no_secret")


def test_consensus_of_attendees_present_then_the_police_reads_it(world):
    case, chair, meeting = in_session(world, state="guidance")
    mid = meeting["id"]
    coordinator, member = world.login("coordinator"), world.login("member")
    police = world.login("police_io")
    for api in (chair, coordinator, member):
        assert api.post(f"/api/v1/meetings/{mid}/acknowledgements").status_code == 201
    r = chair.post(f"/api/v1/meetings/{mid}/feedback-sheets",
                   json={"case_id": str(case.id), "text": PARAPHRASE})
    sheet = r.get_json()
    url = f"/api/v1/feedback-sheets/{sheet['id']}"
    assert len(sheet["awaiting_user_ids"]) == 3
    assert_problem(police.get(url), 403, rule="feedback_issued_only")
    assert police.get("/api/v1/feedback-sheets").get_json()["items"] == []
    assert_problem(world.login("owner_rp").get(url), 404)
    assert_problem(police.post(f"{url}/approvals"), 403, rule="feedback_consensus")
    r = chair.post(f"{url}/approvals")
    assert (r.status_code, r.get_json()["state"]) == (201, "draft")
    assert_problem(chair.post(f"{url}/approvals"), 409)
    r = coordinator.post(f"{url}/approvals")
    assert r.get_json()["state"] == "draft"
    assert r.get_json()["awaiting_user_ids"] == [user_id(world, "member")]
    assert_problem(police.get(f"/feedback-sheets/{sheet['id']}/print",
                              headers={"Accept": "application/json"}), 403)
    r = member.post(f"{url}/approvals")
    assert r.get_json()["state"] == "issued"
    assert r.get_json()["issued_at"]
    body = police.get(url).get_json()
    assert (body["text"], body["notice"], body["state"]) == (PARAPHRASE, NOTICE, "issued")
    assert [i["id"] for i in police.get("/api/v1/feedback-sheets").get_json()["items"]] == [
        sheet["id"]]
    printed = police.get(f"/feedback-sheets/{sheet['id']}/print")
    assert printed.status_code == 200
    assert "art. 458ter §2" in printed.get_data(as_text=True)
    assert_problem(chair.patch(url, json={"text": "changed"}), 409)
    kinds = [n["kind"] for n in police.get("/api/v1/notifications").get_json()["items"]]
    assert "feedback_issued" in kinds


def test_only_acknowledged_attendees_present_count(world):
    case, chair, meeting = in_session(world, state="guidance")
    mid = meeting["id"]
    member = world.login("member")  # attends but never acknowledges: not part of consensus
    chair.post(f"/api/v1/meetings/{mid}/acknowledgements")
    coordinator = world.login("coordinator")
    coordinator.post(f"/api/v1/meetings/{mid}/acknowledgements")
    sheet = chair.post(f"/api/v1/meetings/{mid}/feedback-sheets",
                       json={"case_id": str(case.id), "text": PARAPHRASE}).get_json()
    url = f"/api/v1/feedback-sheets/{sheet['id']}"
    assert_problem(member.get(url), 403, rule="feedback_readers")
    assert_problem(member.post(f"{url}/approvals"), 403, rule="feedback_consensus")
    assert chair.post(f"{url}/approvals").get_json()["state"] == "draft"
    # The coordinator leaves the meeting: the chair's approval is now everyone's.
    r = chair.patch(f"/api/v1/meetings/{mid}/attendees/{user_id(world, 'coordinator')}",
                    json={"present": False})
    assert r.status_code == 200, r.get_json()
    assert chair.get(url).get_json()["state"] == "issued"
    assert_problem(coordinator.post(f"{url}/approvals"), 403, rule="feedback_consensus")
    assert_problem(chair.patch(f"/api/v1/meetings/{mid}/attendees/{uuid.uuid4()}",
                               json={"present": True}), 404)
