"""The disengagement pathway through the API: guards, conflicts, history, diagram, CLI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

import workflows
from referral.cases.models import Case
from referral.core import clock
from referral.pathways.models import StateAssignmentError, TransitionRecord
from tests.factories import assert_problem, build, make_case


def _fire(api, case_id, trigger, **body):
    return api.post(f"/api/v1/cases/{case_id}/transitions", json={"trigger": trigger, **body})


def _new_case(world, api, **identity):
    livc = world.livc.id
    ident = identity or {"family_name": "Peeters", "given_names": "Jan",
                         "birth_date": "1990-05-01"}
    r = api.post("/api/v1/cases", json={"livc_id": str(livc), "identity": ident})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_propose_needs_informing_and_a_livc_disclosure(world):
    build(world)
    owner = world.login("owner_rp")
    case = _new_case(world, owner)
    assert _fire(owner, case["id"], "start_screening", version=1).status_code == 200
    assert_problem(_fire(owner, case["id"], "propose"), 422, guard="informing_recorded")
    r = owner.patch(f"/api/v1/cases/{case['id']}", json={"informing_status": "not_informed"})
    assert "informing_ground" in assert_problem(r, 422)["errors"]
    owner.patch(f"/api/v1/cases/{case['id']}", json={
        "informing_status": "not_informed", "informing_ground": "GDPR art. 14(5)(d)"})
    assert_problem(_fire(owner, case["id"], "propose"), 422, guard="disclosed_to_livc")
    note = owner.post(f"/api/v1/cases/{case['id']}/notes",
                      json={"body": "Signal from school.", "compartment": "internal"}).get_json()
    owner.post(f"/api/v1/notes/{note['id']}/disclosures", json={
        "audience": "livc", "purpose": "case consultation", "legal_basis": "art. 458ter Sw."})
    # Only the owner's reference person proposes.
    assert_problem(_fire(world.login("owner_cw"), case["id"], "propose"), 403,
                   rule="owner_reference_person")
    r = _fire(owner, case["id"], "propose")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "proposed"
    # Now the LIVC sees the case; only its chair or coordinator decide.
    chair = world.login("chair")
    assert chair.get(f"/api/v1/cases/{case['id']}").status_code == 200
    assert_problem(_fire(owner, case["id"], "start_guidance"), 403,
                   rule="livc_chair_or_coordinator")
    # ... and only in a meeting: never from the case page or the API outside a meeting.
    assert_problem(_fire(chair, case["id"], "start_guidance"), 422, guard="decided_in_meeting")


def test_minor_needs_guardian_informed(world):
    build(world)
    owner = world.login("owner_rp")
    young = (clock.now() - timedelta(days=365 * 15)).date().isoformat()
    case = _new_case(world, owner, family_name="Janssens", given_names="Lotte",
                     birth_date=young)
    assert case["is_minor"] is True
    assert case["age_band"] == "12-17"
    _fire(owner, case["id"], "start_screening")
    owner.patch(f"/api/v1/cases/{case['id']}", json={"informing_status": "informed",
                                                      "informed_party": "subject"})
    assert_problem(_fire(owner, case["id"], "propose"), 422, guard="minor_guardian_informed")


def test_conflicts_and_unknown_triggers(world):
    build(world)
    owner = world.login("owner_rp")
    case = _new_case(world, owner)
    r = _fire(owner, case["id"], "start_screening", version=99)
    assert assert_problem(r, 409)["current_version"] == 1
    r = owner.post(f"/api/v1/cases/{case['id']}/transitions",
                   json={"trigger": "start_screening"}, headers={"If-Match": '"v7"'})
    assert_problem(r, 409)
    assert _fire(owner, case["id"], "start_screening", version=1).status_code == 200
    body = assert_problem(_fire(owner, case["id"], "start_screening"), 409)
    assert body["state"] == "screening"
    assert "trigger" in assert_problem(_fire(owner, case["id"], "to_closed"), 422)["errors"]
    assert_problem(_fire(owner, case["id"], "close_no_concern"), 422, guard="outcome_given")
    r = _fire(owner, case["id"], "close_no_concern", outcome="no concern after screening")
    assert r.get_json()["state"] == "closed"
    assert r.get_json()["retention_until"]


def test_closing_needs_no_open_referral(world):
    case = build(world, state="internal_follow_up")
    owner = world.login("owner_rp")
    assert_problem(_fire(owner, case.id, "close", outcome="done"), 422, guard="no_open_referral")


def test_suspend_and_resume_return_to_where_the_case_was(world):
    case = make_case_for(world, "internal_follow_up")
    owner = world.login("owner_rp")
    r = _fire(owner, case.id, "suspend", reason="person moved abroad")
    assert r.get_json()["state"] == "suspended"
    r = _fire(owner, case.id, "resume")
    assert r.get_json()["state"] == "internal_follow_up"


def make_case_for(world, state):
    build(world)
    return make_case(world, state=state)


def test_history_and_available_transitions(world):
    build(world)
    owner = world.login("owner_rp")
    case = _new_case(world, owner)
    _fire(owner, case["id"], "start_screening", reason="first look")
    history = owner.get(f"/api/v1/cases/{case['id']}/history").get_json()
    assert [(h["trigger"], h["from_state"], h["to_state"]) for h in history] == [
        ("create", None, "signalled"), ("start_screening", "signalled", "screening")]
    assert history[1]["reason"] == "first look"
    available = {t["trigger"]: t for t in owner.get(
        f"/api/v1/cases/{case['id']}/transitions").get_json()}
    assert available["follow_up_internally"]["allowed"] is True
    assert available["propose"]["allowed"] is False
    assert available["propose"]["reason"] == "informing_recorded"
    cw = {t["trigger"]: t for t in world.login("owner_cw").get(
        f"/api/v1/cases/{case['id']}/transitions").get_json()}
    assert cw["propose"]["reason"] == "owner_reference_person"


def test_diagram_is_svg_with_current_state_marked(world):
    case = build(world)
    r = world.login("owner_rp").get(f"/api/v1/cases/{case.id}/diagram.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    root = ET.fromstring(r.data)  # noqa: S314 - our own server's output in a test
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    current = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
               if g.get("data-current") == "true"]
    assert len(current) == 1
    assert current[0].find("{http://www.w3.org/2000/svg}text").text == "guidance"
    assert_problem(world.login("elsewhere_rp").get(f"/api/v1/cases/{case.id}/diagram.svg"), 404)


def test_state_cannot_be_assigned_outside_the_engine(world, dbs):
    case = build(world)
    row = dbs.get(Case, case.id)
    with pytest.raises(StateAssignmentError):
        row.state = "closed"
    dbs.rollback()


def test_workflows_show_cli(app):
    result = app.test_cli_runner().invoke(args=["workflows", "show", "disengagement"])
    assert result.exit_code == 0
    assert "propose" in result.output
    assert "informing_recorded" in result.output
    assert app.test_cli_runner().invoke(args=["workflows", "show", "nope"]).exit_code == 2


def test_workflows_migrate_refuses_unmapped_states(world, monkeypatch):
    build(world)  # a case in guidance
    v1 = workflows.get("disengagement", 1)
    v2 = workflows.Pathway(
        name="disengagement", version=2, title="v2", initial="signalled",
        states=(*(s for s in v1.states if s != "guidance"), "programme"),
        final_states=("closed",), transitions=(), guards=v1.guards)
    monkeypatch.setitem(workflows.REGISTRY, ("disengagement", 2), v2)
    runner = world.app.test_cli_runner()
    r = runner.invoke(args=["workflows", "migrate", "disengagement", "--from", "1", "--to", "2"])
    assert r.exit_code == 1
    assert "guidance (1 cases)" in r.output
    r = runner.invoke(args=["workflows", "migrate", "disengagement", "--from", "1", "--to", "2",
                            "--map", "guidance=nowhere"])
    assert r.exit_code != 0


def test_jobs_expire_unanswered_referrals_exactly_once(world, dbs):
    case = build(world)
    runner = world.app.test_cli_runner()
    r = runner.invoke(args=["jobs", "run", "--only", "expire_referrals"])
    assert r.exit_code == 0, r.output
    assert "changed 0" in r.output
    clock.advance(timedelta(days=8))
    r = runner.invoke(args=["jobs", "run", "--only", "expire_referrals"])
    assert "changed 1" in r.output, r.output
    r = runner.invoke(args=["jobs", "run", "--only", "expire_referrals"])
    assert "changed 0" in r.output
    rows = dbs.execute(select(TransitionRecord.trigger, TransitionRecord.actor_user_id).where(
        TransitionRecord.case_id == case.id, TransitionRecord.trigger == "expire")).all()
    dbs.rollback()
    assert rows == [("expire", None)]
    kinds = [n["kind"] for n in world.login("owner_rp").get("/api/v1/notifications")
             .get_json()["items"]]
    assert "referral_expired" in kinds


def _admit_pathway_version(app, table: str, pathway: workflows.Pathway) -> None:
    """What the Alembic migration shipping a new definition version does: widen the
    table's state CHECK to admit the new version's states (batch mode: SQLite rebuilds)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from referral.pathways.models import state_check

    by_version = workflows.states_by_version((pathway.name,)) | {pathway.key: pathway.states}
    condition = str(state_check(by_version).sqltext)
    with app.extensions["referral.db"].engine.begin() as conn:
        ops = Operations(MigrationContext.configure(conn))
        with ops.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_state_in_pathway", type_="check")
            batch.create_check_constraint("state_in_pathway", condition)


def test_workflows_migrate_moves_open_referrals_too(world, dbs, monkeypatch):
    from referral.cases.referrals.models import Referral
    from referral.core.ledger.models import AuditEvent

    case = build(world)  # a case with an offered and an accepted referral
    v1 = workflows.get("referral", 1)
    v2 = workflows.Pathway(name="referral", version=2, title="Referral v2", initial=v1.initial,
                           states=v1.states, final_states=v1.final_states,
                           transitions=v1.transitions, guards=v1.guards)
    monkeypatch.setitem(workflows.REGISTRY, ("referral", 2), v2)
    _admit_pathway_version(world.app, "referrals", v2)

    r = world.app.test_cli_runner().invoke(
        args=["workflows", "migrate", "referral", "--from", "1", "--to", "2"])
    assert r.exit_code == 0, r.output
    assert "migrated 2 open rows of referral" in r.output

    versions = dbs.execute(select(Referral.pathway_version, Referral._state)
                           .where(Referral.case_id == case.id)).all()
    assert sorted(versions) == [(2, "accepted"), (2, "offered")]
    assert dbs.get(Case, case.id).pathway_version == 1  # another pathway: untouched
    history = dbs.scalars(select(TransitionRecord.object_type).where(
        TransitionRecord.case_id == case.id, TransitionRecord.trigger == "migrate")).all()
    events = dbs.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id, AuditEvent.action.like("%:migrate"))).all()
    dbs.rollback()
    assert history == ["referral", "referral"]
    assert events == ["referral:migrate", "referral:migrate"]
    # The migrated referrals go on along the (new version of the) pathway.
    offered = next(i for i in (r.id for r in dbs.scalars(select(Referral).where(
        Referral.case_id == case.id, Referral._state == "offered"))))
    dbs.rollback()
    r = world.login("offered_rp").post(f"/api/v1/referrals/{offered}/transitions",
                                       json={"trigger": "decline", "reason": "no capacity"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "declined"
    assert dbs.get(Referral, offered).pathway_version == 2
    dbs.rollback()
