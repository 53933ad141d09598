"""Every route that reads case data, API or page, leaves a read event on the audit trail.

The test walks the URL map: every GET route (JSON API and HTML pages) whose policy action concerns
cases, notes, referrals, partner pathways, meetings, feedback sheets or the audit trail
is called once, as an actor with a relation, with ids from a world built through the API.
The response must be 200 and at least one event with outcome ``allowed`` must carry that
request's id (``X-Request-ID``, stored in ``audit_events.request_id``).  A new route in
scope fails the test until it is called here or, if it reads no case data, listed in
:data:`NO_CASE_DATA` with the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.core.ledger.models import AuditEvent
from tests.factories import build, plan

API = "/api/v1/"
IN_SCOPE = ("case:", "note:", "referral:", "partner_pathway:", "meeting:", "feedback",
            "audit")

# GET routes in scope that read no case data, by endpoint, with the reason.  Keep it short:
# every entry is a route whose reads are not on the audit trail.
NO_CASE_DATA = {
    # The signed checkpoints: sequence numbers, chain-head hashes, signatures and key ids.
    # No event, no case, no person; the same values are meant to be handed out for
    # safekeeping outside the system.
    "api_audit.checkpoints": "chain-head signatures only",
}

# Who calls which routes: a user with a relation to the objects of the built world.
AUDITOR, OWNER, CHAIR = "auditor1", "owner_rp", "chair"

PARAPHRASE = "The partners follow up together; next review in three months."


def _in_scope(rule: Any, view: Any) -> bool:
    action = getattr(view, "policy_action", "") or ""
    return "GET" in (rule.methods or ()) and action.startswith(IN_SCOPE)


def _caller(action: str) -> str:
    if action.startswith("audit"):
        return AUDITOR
    if action.startswith(("meeting:", "feedback")):
        return CHAIR
    return OWNER


def _world_through_the_api(world: Any) -> dict[str, str]:
    """A case with a note, an active referral with its partner pathway, an open meeting
    with the case on its agenda and a feedback sheet; returns the ids by URL argument."""
    case = build(world)
    owner = world.login(OWNER)
    url = f"/api/v1/cases/{case.id}"
    r = owner.post(f"{url}/notes", json={"body": "Met at the youth centre; doing better.",
                                         "compartment": "internal"})
    assert r.status_code == 201, r.get_json()
    note_id = r.get_json()["id"]
    assert owner.patch(url, json={"consent": "given"}).status_code == 200
    r = owner.post(f"{url}/referrals", json={
        "to_organisation_id": str(world.orgs["CGG Gent"].id), "kind": "service",
        "sphere_of_life": "trauma", "purpose": "trauma counselling"})
    assert r.status_code == 201, r.get_json()
    referral_id = r.get_json()["id"]
    recipient = world.login("member_rp")
    for trigger in ("accept", "start"):
        r = recipient.post(f"/api/v1/referrals/{referral_id}/transitions",
                           json={"trigger": trigger})
        assert r.status_code == 200, r.get_json()

    chair = world.login(CHAIR)
    meeting_id = plan(world, chair)["id"]
    meeting = f"/api/v1/meetings/{meeting_id}"
    r = chair.post(f"{meeting}/agenda", json={"case_id": str(case.id), "reason": "review"})
    assert r.status_code == 201, r.get_json()
    assert chair.post(f"{meeting}/transitions", json={"trigger": "open"}).status_code == 200
    for name in ("chair", "coordinator", "member"):
        api = chair if name == "chair" else world.login(name)
        assert api.post(f"{meeting}/acknowledgements").status_code == 201
    r = chair.post(f"{meeting}/feedback-sheets",
                   json={"case_id": str(case.id), "text": PARAPHRASE})
    assert r.status_code == 201, r.get_json()
    return {"case_id": str(case.id), "note_id": note_id, "referral_id": referral_id,
            "meeting_id": meeting_id, "sheet_id": r.get_json()["id"],
            "user_id": owner.get("/api/v1/me").get_json()["id"]}


def _allowed_events(world: Any, request_id: str) -> list[Any]:
    with world.session() as s:
        return list(s.execute(select(AuditEvent.action, AuditEvent.outcome)
                              .where(AuditEvent.request_id == request_id,
                                     AuditEvent.outcome == "allowed")))


def test_every_case_data_read_is_audited(world):
    app = world.app
    ids = _world_through_the_api(world)
    adapter = app.url_map.bind("localhost")
    clients: dict[str, Any] = {}
    walked, failures = set(), []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if not _in_scope(rule, view) or rule.endpoint in NO_CASE_DATA:
            continue
        missing = [a for a in rule.arguments if a not in ids]
        if missing:
            failures.append(f"{rule.rule}: no id in the built world for {missing}")
            continue
        path = adapter.build(rule.endpoint, {a: ids[a] for a in rule.arguments})
        caller = _caller(view.policy_action)
        if caller not in clients:
            clients[caller] = world.login(caller)
        r = clients[caller].get(path)
        request_id = r.headers["X-Request-ID"]  # the server's own id, as in the chain
        walked.add(rule.endpoint)
        if r.status_code != 200:
            failures.append(f"{rule.rule} as {caller}: {r.status_code} {r.get_data(as_text=True)}")
            continue
        if not _allowed_events(world, request_id):
            failures.append(f"{rule.rule} ({view.policy_action}) as {caller}: no allowed "
                            f"audit event with its request id")
    assert failures == []
    # The walk reached the routes that matter (a guard against an empty walk).
    for endpoint in ("api_cases.get_case", "api_notes.get_note", "api_referrals.get_referral",
                     "api_referrals.get_partner_pathway", "meetings.api_meetings.read_minutes",
                     "meetings.api_meetings.read_sheet", "api_audit.list_events"):
        assert endpoint in walked
    # ... and the pages.
    for endpoint in ("case_pages.case_page", "case_pages.inbox",
                     "meetings.meetings_web.workspace", "meetings.meetings_web.print_sheet",
                     "audit_pages.events"):
        assert endpoint in walked


def test_the_allow_list_names_only_routes_in_scope(app):
    in_scope = {rule.endpoint for rule in app.url_map.iter_rules()
                if _in_scope(rule, app.view_functions[rule.endpoint])}
    assert set(NO_CASE_DATA) <= in_scope
