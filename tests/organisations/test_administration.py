"""Administration of organisations and LIVCs: admin only, creation with members, unique names."""

from __future__ import annotations

from tests.factories import PASSWORD, assert_problem


def test_reference_person_cannot_use_admin_endpoints(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    org_id = world.orgs["CAW Gent"].id
    for method, url, body in [
        ("post", "/api/v1/organisations", {"name": "X", "kind": "caw"}),
        ("post", "/api/v1/livcs", {"name": "L", "municipality_nis": "44021"}),
        ("post", "/api/v1/users", {"username": "eve", "display_name": "Eve",
                                   "password": PASSWORD, "organisation_id": str(org_id)}),
        ("get", "/api/v1/users", None),
    ]:
        r = getattr(api, method)(url, json=body) if body else getattr(api, method)(url)
        # Users are administered by administrators and each organisation's access manager.
        expected = "user_administration" if "/users" in url else "admin_only"
        assert_problem(r, 403, rule=expected)


def test_admin_creates_organisation_livc_and_users(world, admin):
    caw = admin.post("/api/v1/organisations", json={"name": "CAW Gent", "kind": "caw"})
    assert caw.status_code == 201
    police = admin.post("/api/v1/organisations", json={"name": "PZ Gent", "kind": "police"})
    livc = admin.post("/api/v1/livcs", json={
        "name": "LIVC Gent", "municipality_nis": ["44021"],
        "member_organisation_ids": [caw.get_json()["id"], police.get_json()["id"]]})
    assert livc.status_code == 201, livc.get_json()
    body = livc.get_json()
    assert body["municipality_nis"] == ["44021"]
    assert body["review_interval_days"] == 90
    assert {m["organisation_name"] for m in body["members"]} == {"CAW Gent", "PZ Gent"}
    assert all(m["invited_by_user_id"] for m in body["members"])
    user = admin.post("/api/v1/users", json={
        "username": "pieter", "display_name": "Pieter", "password": PASSWORD,
        "organisation_id": police.get_json()["id"], "security_clearance": "secret",
        "roles": [{"role": "police_information_officer", "livc_id": body["id"]}]})
    assert user.status_code == 201, user.get_json()
    assert user.get_json()["roles"] == [{"role": "police_information_officer",
                                         "livc_id": body["id"]}]
    assert world.login("pieter").get("/api/v1/me").status_code == 200


def test_duplicate_names_are_422(admin):
    assert admin.post("/api/v1/organisations", json={"name": "A", "kind": "caw"}).status_code == 201
    r = admin.post("/api/v1/organisations", json={"name": "A", "kind": "vdab"})
    assert "name" in assert_problem(r, 422)["errors"]
