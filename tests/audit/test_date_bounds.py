"""Times at the edge of the calendar are a 422 naming the field, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem

EDGES = (("since", "9999-12-31T23:00:00-12:00"), ("until", "0001-01-01T00:00:00+14:00"))


@pytest.fixture
def auditor(world):
    world.org("Operator", "other")
    world.user("auditor1", "Operator", ["auditor"])
    return world.login("auditor1")


@pytest.mark.parametrize(("field", "value"), EDGES)
@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/events.csv",
                                  "/api/v1/audit/anomalies"])
def test_overflowing_times_are_422_on_the_api(auditor, path, field, value):
    r = auditor.get(path, query_string={field: value})
    assert field in assert_problem(r, 422)["errors"]


@pytest.mark.parametrize(("field", "value"), EDGES)
@pytest.mark.parametrize("path", ["/audit/events", "/audit/anomalies"])
def test_overflowing_times_are_a_message_on_the_pages(auditor, path, field, value):
    r = auditor.get(path, query_string={field: value})
    assert r.status_code in {200, 422}
    assert "Something went wrong" not in r.get_data(as_text=True)
