"""Lists over tables without bound count at most LIST_COUNT_LIMIT matches, and say so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import build, make_case


@pytest.fixture
def gent(world: Any) -> Any:
    build(world, state="guidance")  # one case held by CAW Gent
    for _ in range(4):
        make_case(world, state="guidance")
    return world


def test_case_list_counts_exactly_below_the_limit(app, gent):
    api = gent.login("owner_rp")
    body = api.get("/api/v1/cases?per_page=2").get_json()
    assert body["total"] == 5
    assert body["total_exact"] is True
    assert len(body["items"]) == 2


def test_case_list_caps_the_count_and_still_pages_through_everything(app, gent):
    app.config["LIST_COUNT_LIMIT"] = 3
    api = gent.login("owner_rp")
    first = api.get("/api/v1/cases?per_page=2").get_json()
    assert (first["total"], first["total_exact"]) == (3, False)
    seen = [c["id"] for page in (1, 2, 3)
            for c in api.get(f"/api/v1/cases?per_page=2&page={page}").get_json()["items"]]
    # The cap only limits the count: every case is still listed, once, newest first.
    assert len(seen) == len(set(seen)) == 5
    assert api.get("/api/v1/cases?per_page=2&page=4").get_json()["items"] == []
    # Exactly at the limit the count is exact.
    app.config["LIST_COUNT_LIMIT"] = 5
    body = api.get("/api/v1/cases").get_json()
    assert (body["total"], body["total_exact"]) == (5, True)


def test_capped_count_never_counts_what_the_actor_may_not_see(app, gent):
    app.config["LIST_COUNT_LIMIT"] = 3
    make_case(gent, owner="CAW Antwerpen", state="guidance")
    elsewhere = gent.login("elsewhere_rp").get("/api/v1/cases").get_json()
    assert (elsewhere["total"], elsewhere["total_exact"]) == (1, True)
    assert len(elsewhere["items"]) == 1


def test_case_list_page_says_more_than_the_limit(app, gent):
    app.config["LIST_COUNT_LIMIT"] = 3
    client = gent.login("owner_rp").client
    client.set_cookie("livc_lang", "en")
    page = client.get("/cases")
    assert page.status_code == 200
    assert "More than 3 cases" in page.get_data(as_text=True)


def test_audit_search_caps_the_count(app, gent):
    api = gent.login("auditor1")
    for _ in range(3):
        gent.login("owner_rp")
    exact = api.get("/api/v1/audit/events?per_page=2").get_json()
    assert exact["total_exact"] is True
    assert exact["total"] >= 4
    app.config["LIST_COUNT_LIMIT"] = 2
    capped = api.get("/api/v1/audit/events?per_page=2&page=2").get_json()
    assert (capped["total"], capped["total_exact"]) == (2, False)
    assert len(capped["items"]) == 2  # pages beyond the count are still served
    app.config["LIST_COUNT_LIMIT"] = 10_000
    logins = api.get("/api/v1/audit/events?action=auth:login").get_json()
    assert (logins["total"], logins["total_exact"]) == (len(logins["items"]), True)
    assert logins["total"] >= 4  # the auditor's and the owner's three
