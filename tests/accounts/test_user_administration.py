"""Administration of users and roles: separation of duties, clearance, LIVC roles, passwords,
versions."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, assert_problem


@pytest.mark.parametrize("roles", [
    [{"role": "auditor"}, {"role": "reference_person"}],
    [{"role": "admin"}, {"role": "case_worker"}],
    [{"role": "admin"}, {"role": "auditor"}],
])
def test_separation_of_duties(world, admin, roles):
    org = world.org("CAW Gent")
    r = admin.post("/api/v1/users", json={
        "username": "mixed", "display_name": "Mixed", "password": PASSWORD,
        "organisation_id": str(org.id), "roles": roles})
    body = assert_problem(r, 422)
    assert "roles" in body["errors"]


def test_police_officer_needs_secret_clearance(world, admin):
    world.org("PZ Gent", "police")
    livc = world.make_livc(members=("PZ Gent",))
    r = admin.post("/api/v1/users", json={
        "username": "pieter", "display_name": "Pieter", "password": PASSWORD,
        "organisation_id": str(world.orgs["PZ Gent"].id), "security_clearance": "confidential",
        "roles": [{"role": "police_information_officer", "livc_id": str(livc.id)}]})
    assert "security_clearance" in assert_problem(r, 422)["errors"]


def test_livc_role_needs_membership_and_livc(world, admin):
    world.org("CAW Gent")
    livc = world.make_livc(members=())
    org_id = str(world.orgs["CAW Gent"].id)
    base = {"username": "member1", "display_name": "M", "password": PASSWORD,
            "organisation_id": org_id}
    r = admin.post("/api/v1/users", json={**base, "roles": [{"role": "livc_member"}]})
    assert "roles" in assert_problem(r, 422)["errors"]
    r = admin.post("/api/v1/users", json={
        **base, "roles": [{"role": "livc_member", "livc_id": str(livc.id)}]})
    assert "roles" in assert_problem(r, 422)["errors"]


def test_weak_passwords_are_refused(world, admin):
    org = world.org("CAW Gent")
    for pw in ["short", "password1234", "welkom123"]:
        r = admin.post("/api/v1/users", json={
            "username": "weak", "display_name": "W", "password": pw,
            "organisation_id": str(org.id)})
        assert "password" in assert_problem(r, 422)["errors"]


@pytest.mark.parametrize("pw", ["1qaz2wsx3edc", "leavemealone", "qazwsxedcrfv"])
def test_passwords_common_in_breaches_are_refused(world, admin, pw):
    # From the 30,000-entry breach list (long enough to pass every other rule).
    org = world.org("CAW Gent")
    r = admin.post("/api/v1/users", json={
        "username": "breached", "display_name": "B", "password": pw,
        "organisation_id": str(org.id)})
    errors = assert_problem(r, 422)["errors"]["password"]
    assert any("too common" in e for e in errors)
    ok = admin.post("/api/v1/users", json={
        "username": "breached", "display_name": "B", "password": "zeven kleine ezels dansen",
        "organisation_id": str(org.id)})
    assert ok.status_code == 201


def test_stale_version_on_user_update_is_409(world, admin):
    user = world.user("cato", "CAW Gent", ["reference_person"])
    r = admin.patch(f"/api/v1/users/{user.id}", json={"display_name": "Cato B", "version": 1})
    assert r.status_code == 200
    assert r.headers["ETag"] == '"v2"'
    r = admin.patch(f"/api/v1/users/{user.id}", json={"display_name": "Cato C"},
                    headers={"If-Match": '"v1"'})
    body = assert_problem(r, 409)
    assert body["current_version"] == 2
