"""A new case's reference counts its owner's cases only, never the other organisations'."""

from __future__ import annotations

from tests.factories import build

IDENTITY = {"family_name": "Peeters", "given_names": "Jan", "birth_date": "1990-05-01"}


def _register(world, username, given):
    r = world.login(username).post("/api/v1/cases", json={
        "livc_id": str(world.livc.id), "identity": {**IDENTITY, "given_names": given}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def test_references_are_numbered_per_owner(world):
    build(world)
    first = _register(world, "owner_rp", "A")
    for name in ("B", "C", "D"):  # another organisation registers three cases meanwhile
        _register(world, "member_rp", name)
    second = _register(world, "owner_rp", "E")
    assert first.endswith("-0001")
    assert second.endswith("-0002")  # not -0005: nothing about the others' cases
    tag = first.split("-")[2]
    assert second.split("-")[2] == tag
    # The tag tells nobody who the owner is: it is not the organisation's id.
    assert tag.lower() not in world.orgs["CAW Gent"].id.hex
    other = _register(world, "member_rp", "F").split("-")[2]
    assert other != tag
