"""The platform administrator is not a back door: case roles are granted only by the
organisation's own access manager (policies/grants.py), every grant is announced to the
organisation's reference persons, and a new account reading content is flagged."""

from __future__ import annotations

from datetime import timedelta

from referral.core import clock
from tests.factories import PASSWORD, assert_problem, build, note


def _new_user(org_id, username, roles):
    return {"username": username, "display_name": username.title(), "password": PASSWORD,
            "organisation_id": str(org_id), "roles": roles}


def test_the_admin_cannot_make_a_reference_person(world, admin):
    case = build(world)
    note(world.login("owner_rp"), case.id, "Internal: only for CAW Gent.")
    caw = world.orgs["CAW Gent"].id
    r = admin.post("/api/v1/users", json=_new_user(caw, "mole", [{"role": "reference_person"}]))
    assert_problem(r, 403, rule="case_roles_by_access_manager")
    existing = world.user("quiet", "CAW Gent", [])
    r = admin.patch(f"/api/v1/users/{existing.id}", json={"roles": [{"role": "case_worker"}]})
    assert_problem(r, 403, rule="case_roles_by_access_manager")
    assert_problem(world.login("quiet").get(f"/api/v1/cases/{case.id}"), 404)


def test_the_admin_appoints_the_first_access_manager_only(world, admin):
    caw = world.org("CAW Gent").id
    r = admin.post("/api/v1/users", json=_new_user(caw, "anouk", [{"role": "access_manager"}]))
    assert r.status_code == 201, r.get_json()
    r = admin.post("/api/v1/users", json=_new_user(caw, "bart", [{"role": "access_manager"}]))
    assert_problem(r, 403, rule="first_access_manager")
    r = world.login("anouk").post("/api/v1/users", json=_new_user(
        caw, "bart", [{"role": "access_manager"}]))
    assert r.status_code == 201, r.get_json()


def test_an_access_manager_grants_case_roles_in_its_own_organisation(world):
    world.org("CAW Gent")
    world.make_livc(members=("CAW Gent",))
    world.user("anouk", "CAW Gent", ["access_manager"])
    world.user("cato", "CAW Gent", ["reference_person"])
    world.org("VDAB Gent", "vdab")
    manager = world.login("anouk")
    caw, vdab = world.orgs["CAW Gent"].id, world.orgs["VDAB Gent"].id
    r = manager.post("/api/v1/users", json=_new_user(caw, "wout", [{"role": "case_worker"}]))
    assert r.status_code == 201, r.get_json()
    kinds = [n["kind"] for n in world.login("cato").get("/api/v1/notifications").get_json()[
        "items"]]
    assert "case_role_granted" in kinds
    r = manager.post("/api/v1/users", json=_new_user(vdab, "eve", [{"role": "case_worker"}]))
    assert_problem(r, 403, rule="own_organisation_only")
    stranger = world.user("victor", "VDAB Gent", ["reference_person"])
    assert_problem(manager.get(f"/api/v1/users/{stranger.id}"), 404)
    assert_problem(manager.patch(f"/api/v1/users/{stranger.id}", json={"active": False}), 404)
    listed = {u["username"] for u in manager.get("/api/v1/users").get_json()["items"]}
    assert listed == {"anouk", "cato", "wout"}
    r = manager.post("/api/v1/users", json=_new_user(caw, "lid", [
        {"role": "livc_member", "livc_id": str(world.livc.id)}]))
    assert_problem(r, 403, rule="platform_roles_by_admin")


def test_an_access_manager_reads_no_case(world):
    case = build(world)
    world.user("anouk", "CAW Gent", ["access_manager"])
    manager = world.login("anouk")
    assert_problem(manager.get(f"/api/v1/cases/{case.id}"), 404)
    assert str(case.id) not in manager.get("/api/v1/cases").get_data(as_text=True)
    r = manager.post("/api/v1/users", json=_new_user(world.orgs["CAW Gent"].id, "both", [
        {"role": "access_manager"}, {"role": "reference_person"}]))
    assert "roles" in assert_problem(r, 422)["errors"]  # separation of duties


def test_a_new_account_reading_content_is_flagged(world):
    case = build(world)
    note_id = note(world.login("owner_rp"), case.id, "Internal note.")
    world.user("anouk", "CAW Gent", ["access_manager"])
    r = world.login("anouk").post("/api/v1/users", json=_new_user(
        world.orgs["CAW Gent"].id, "fresh", [{"role": "reference_person"}]))
    assert r.status_code == 201, r.get_json()
    fresh_id = r.get_json()["id"]
    clock.advance(timedelta(hours=2))
    assert world.login("fresh").get(f"/api/v1/notes/{note_id}").status_code == 200
    flags = world.login("auditor1").get("/api/v1/audit/anomalies").get_json()["new_accounts"]
    assert [(f["user_id"], f["reads"]) for f in flags] == [(fresh_id, 1)]
    auditor = world.login("auditor1")
    auditor.post("/language", data={"language": "en", "csrf_token": auditor.csrf})
    assert "New accounts reading case content" in auditor.get(
        "/audit/anomalies").get_data(as_text=True)


def test_deactivating_the_access_manager_does_not_let_the_admin_appoint_another(world, admin):
    """Found by a review: the admin deactivated the organisation's access manager, appointed
    one of its own, and through it made a reference person who read every note."""
    caw = world.org("CAW Gent").id
    manager = world.user("anouk", "CAW Gent", ["access_manager"])
    assert admin.patch(f"/api/v1/users/{manager.id}", json={"active": False}).status_code == 200
    r = admin.post("/api/v1/users", json=_new_user(caw, "evil", [{"role": "access_manager"}]))
    assert_problem(r, 403, rule="first_access_manager")
    quiet = world.user("quiet", "CAW Gent", [])
    r = admin.patch(f"/api/v1/users/{quiet.id}", json={"roles": [{"role": "access_manager"}]})
    assert_problem(r, 403, rule="first_access_manager")
    # The way back is the organisation's own access manager, reactivated.
    assert admin.patch(f"/api/v1/users/{manager.id}", json={"active": True}).status_code == 200


def test_appointing_an_access_manager_is_announced(world, admin):
    world.user("cato", "CAW Gent", ["reference_person"])
    r = admin.post("/api/v1/users", json=_new_user(world.orgs["CAW Gent"].id, "anouk",
                                                   [{"role": "access_manager"}]))
    assert r.status_code == 201, r.get_json()
    kinds = [n["kind"] for n in world.login("cato").get("/api/v1/notifications").get_json()[
        "items"]]
    assert "case_role_granted" in kinds
