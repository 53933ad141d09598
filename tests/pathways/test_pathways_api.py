"""GET /api/v1/pathways and each version's diagram: for every logged-in user, no case data."""

from __future__ import annotations

import pytest

import workflows
from tests.factories import assert_problem, build


@pytest.fixture
def someone(world):
    build(world)
    return world.login("member")  # a LIVC member: no case of its own


def test_every_pathway_version_is_listed_with_the_current_one_marked(someone):
    r = someone.get("/api/v1/pathways")
    assert r.status_code == 200, r.get_json()
    listed = {(p["name"], p["version"]): p for p in r.get_json()}
    assert set(listed) == set(workflows.REGISTRY)
    disengagement = listed[("disengagement", 1)]
    assert disengagement["title"] == workflows.get("disengagement", 1).title
    assert {"signalled", "screening", "guidance", "aftercare", "closed"} <= set(
        disengagement["states"])
    assert disengagement["initial"] == "signalled"
    # Exactly one version of each pathway is the one new rows start on: the latest.
    for name in {n for n, _v in listed}:
        current = [v for (n, v), p in listed.items() if n == name and p["current"]]
        assert current == [workflows.latest(name).version]
    assert disengagement["diagram"] == "/api/v1/pathways/disengagement/1/diagram.svg"


def test_a_version_renders_as_svg(someone):
    r = someone.get("/api/v1/pathways/disengagement/1/diagram.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    svg = r.get_data(as_text=True)
    assert svg.lstrip().startswith(("<svg", "<?xml"))
    assert "<script" not in svg
    for state in ("screening", "guidance"):
        assert state in svg
    for name, version in workflows.REGISTRY:
        r = someone.get(f"/api/v1/pathways/{name}/{version}/diagram.svg")
        assert r.status_code == 200, (name, version)


@pytest.mark.parametrize("path", ["disengagement/99", "nothing/1", "referral/0"])
def test_an_unknown_pathway_or_version_is_404(someone, path):
    assert_problem(someone.get(f"/api/v1/pathways/{path}/diagram.svg"), 404)


def test_pathways_are_for_logged_in_users_only(client):
    assert_problem(client.get("/api/v1/pathways"), 401)
    assert_problem(client.get("/api/v1/pathways/disengagement/1/diagram.svg"), 401)
