"""GET /api/v1/statistics and its CSV: who reads which LIVC, what is counted, what is
hidden, and that every request is on the ledger."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from referral.core import calendar
from referral.core.ledger.models import AuditEvent
from tests.dashboards.support import populate, secrets_of
from tests.factories import assert_problem

URL = "/api/v1/statistics"


@pytest.fixture
def region(world):
    return populate(world)


def _cells(response, *fields):
    assert response.status_code == 200, response.get_json()
    return {tuple(c[f] for f in fields): c["count"] for c in response.get_json()["cells"]}


def test_the_chair_reads_the_own_livc_with_small_counts_hidden(world, region):
    r = world.login("chair").get(f"{URL}?group_by=state")
    # 7 in guidance (published rounded: 5); 3 in screening read "<5", and the 5 closed too:
    # otherwise the total (15, published by group_by=month) minus 7 would give the 3 away.
    assert _cells(r, "state") == {("guidance",): 5, ("screening",): "<5", ("closed",): "<5"}
    body = r.get_json()
    assert body["suppressed"] == 2
    assert body["unit"] == "cases"
    assert body["group_by"] == ["state"]
    # Antwerp's six signalled cases are not the Gent chair's.
    assert ("signalled",) not in _cells(r, "state")


def test_every_count_is_five_or_more_or_reads_less_than_five(world, region):
    r = world.login("coordinator").get(f"{URL}?group_by=state&group_by=month")
    for cell in r.get_json()["cells"]:
        assert cell["count"] == "<5" or (isinstance(cell["count"], int) and cell["count"] >= 5)
        assert set(cell) == {"state", "month", "count"}


def test_another_livc_is_refused_with_the_rule_and_on_the_ledger(world, region, dbs):
    chair = world.login("chair")
    antwerp = region["antwerp"].id
    r = chair.get(f"{URL}?group_by=state&livc_id={antwerp}")
    assert_problem(r, 403, rule="statistics_own_livc")
    assert "signalled" not in r.get_data(as_text=True)
    assert_problem(chair.get(f"{URL}?group_by=state&livc_id={uuid.uuid4()}"), 404)
    denied = dbs.scalars(select(AuditEvent).where(AuditEvent.action == "statistics:livc",
                                                  AuditEvent.outcome == "denied")).all()
    assert [e.rule for e in denied] == ["statistics_own_livc"]
    assert denied[0].object_id == str(antwerp)
    dbs.rollback()
    # Their own LIVC by id is fine.
    gent = region["gent"].id
    assert chair.get(f"{URL}?group_by=state&livc_id={gent}").status_code == 200


def test_the_regional_analyst_reads_every_livc_and_each_one(world, region):
    analyst = world.login("analyst")
    everything = _cells(analyst.get(f"{URL}?group_by=state"), "state")
    assert everything[("signalled",)] == 5  # 6, rounded to a multiple of 5
    assert everything[("guidance",)] == 5  # 7
    antwerp = _cells(analyst.get(f"{URL}?group_by=state&livc_id={region['antwerp'].id}"),
                     "state")
    assert antwerp == {("signalled",): 5}  # 6, rounded


@pytest.mark.parametrize("username", ["owner_rp", "member_rp", "member", "police_io",
                                      "auditor1", "admin1"])
def test_others_are_refused_naming_the_rule(world, region, username):
    r = world.login(username).get(f"{URL}?group_by=state")
    assert_problem(r, 403, rule="statistics_readers")
    r = world.login(username).get(f"{URL}.csv?group_by=state")
    assert_problem(r, 403, rule="statistics_readers")


def test_anonymous_is_asked_to_log_in(client, region):
    assert_problem(client.get(f"{URL}?group_by=state"), 401)


@pytest.mark.parametrize(("query", "field"), [
    ("group_by=name", "group_by"),
    ("group_by=state,month,context", "group_by"),
    ("group_by=state,state", "group_by"),
    ("", "group_by"),
    ("group_by=state&case_id=00000000-0000-0000-0000-000000000000", "case_id"),
    ("group_by=state&organisation_id=x", "organisation_id"),
    ("group_by=state&livc_id=nope", "livc_id"),
    ("group_by=state&since=2026-05-01T00:00:00Z&until=2026-04-01T00:00:00Z", "until"),
])
def test_bad_queries_are_422_naming_the_field(world, region, query, field):
    r = world.login("chair").get(f"{URL}?{query}")
    body = assert_problem(r, 422)
    assert field in body["errors"], body


def test_referrals_by_sphere_and_outcome(world, region):
    r = world.login("chair").get(f"{URL}?group_by=sphere_of_life,outcome")
    assert r.get_json()["unit"] == "referrals"
    # build() gives one case an offered and an accepted referral in social context.
    assert _cells(r, "sphere_of_life", "outcome") == {
        ("social_context", "accepted"): "<5", ("social_context", "pending"): "<5"}


def test_the_period_is_one_calendar_year_in_brussels(world, region):
    chair = world.login("chair")
    r = chair.get(f"{URL}?group_by=state&since=2000-01-01T00:00:00%2B01:00"
                  f"&until=2001-01-01T00:00:00%2B01:00")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["cells"] == []
    # Any other period -- a month, a second off, a year in UTC -- is refused: two
    # overlapping periods would give a small count away by subtraction.
    for since, until in (("2026-01-01T00:00:00%2B01:00", "2026-02-01T00:00:00%2B01:00"),
                         ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                         ("2026-12-02T01:54:35.9%2B00:00", "")):
        query = f"{URL}?group_by=state&since={since}" + (f"&until={until}" if until else "")
        assert "since" in assert_problem(chair.get(query), 422)["errors"]


def test_no_case_id_reference_or_pseudonym_in_any_answer(world, region):
    secrets = secrets_of(world, region["cases"])
    analyst, chair = world.login("analyst"), world.login("chair")
    for api in (analyst, chair):
        for group_by in ("state", "state,month", "context,age_band", "phase",
                         "sphere_of_life,outcome", "outcome,month"):
            for url in (f"{URL}?group_by={group_by}", f"{URL}.csv?group_by={group_by}"):
                text = api.get(url).get_data(as_text=True)
                assert not [s for s in secrets if s in text], url


def test_the_csv_has_a_row_per_published_cell(world, region):
    r = world.login("chair").get(f"{URL}.csv?group_by=state")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0] == "state,count"
    assert sorted(lines[1:]) == ["closed,<5", "guidance,5", "screening,<5"]


def test_every_statistics_request_is_on_the_ledger(world, region, dbs):
    chair = world.login("chair")
    r1 = chair.get(f"{URL}?group_by=state,month")
    r2 = chair.get(f"{URL}.csv?group_by=context")
    # No period given: this calendar year, Brussels time.
    this_year = calendar.today().year
    year = (f"since={calendar.start_of_day(date(this_year, 1, 1)).isoformat()}; "
            f"until={calendar.start_of_day(date(this_year + 1, 1, 1)).isoformat()}")
    for r, what in ((r1, f"api; group_by=state,month; {year}"),
                    (r2, f"csv; group_by=context; {year}")):
        events = dbs.scalars(select(AuditEvent).where(
            AuditEvent.request_id == r.headers["X-Request-ID"])).all()
        assert [(e.action, e.outcome, e.rule, e.purpose) for e in events] == [
            ("statistics:read", "allowed", "statistics_readers", what)]
        assert events[0].case_id is None
    dbs.rollback()


def test_the_openapi_document_describes_the_statistics(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/api/v1/statistics"]["get"]["x-policy-action"] == "statistics:read"
    assert "/api/v1/statistics.csv" in paths


def test_the_dashboard_tables_through_the_api(world, region, dbs):
    chair = world.login("chair")
    r = chair.get("/api/v1/statistics/dashboard")
    assert r.status_code == 200, r.get_json()
    tables = r.get_json()["tables"]
    assert tables["cases_by_state"]["rows"] == [["closed", "<5"], ["guidance", 5],
                                                ["screening", "<5"]]
    assert tables["cases_by_state"]["total"] == 15
    assert "cases_by_livc" not in tables  # one LIVC: no per-LIVC table
    assert tables["response_days"] == {"all": None}
    text = r.get_data(as_text=True)
    assert not [s for s in secrets_of(world, region["cases"]) if s in text]
    analyst = world.login("analyst").get("/api/v1/statistics/dashboard").get_json()
    assert analyst["tables"]["cases_by_livc"]["rows"] == [["LIVC Antwerpen", 5],
                                                          ["LIVC Test", 15]]
    assert_problem(world.login("owner_rp").get("/api/v1/statistics/dashboard"), 403,
                   rule="statistics_readers")
    assert_problem(chair.get(f"/api/v1/statistics/dashboard?livc_id={region['antwerp'].id}"),
                   403, rule="statistics_own_livc")
    events = dbs.scalars(select(AuditEvent).where(
        AuditEvent.request_id == r.headers["X-Request-ID"])).all()
    assert [(e.action, e.purpose.split(";")[0]) for e in events] == [
        ("statistics:read", "api dashboard")]
    dbs.rollback()


def test_the_region_minus_the_other_livcs_gives_no_small_count_away(world, region):
    analyst = world.login("analyst")
    whole = _cells(analyst.get(f"{URL}?group_by=state"), "state")
    gent = _cells(analyst.get(f"{URL}?group_by=state&livc_id={region['gent'].id}"), "state")
    antwerp = _cells(analyst.get(f"{URL}?group_by=state&livc_id={region['antwerp'].id}"),
                     "state")
    # The chair of Gent is given the same row as the analyst.
    assert _cells(world.login("chair").get(f"{URL}?group_by=state"), "state") == gent
    for state, n in gent.items():
        if n == "<5":  # hidden for Gent: not recoverable as the region minus Antwerp
            assert "<5" in (whole.get(state, 0), antwerp.get(state, 0)), state


def test_two_field_tables_are_for_the_readers_of_one_livc(world, region):
    analyst = world.login("analyst")
    for query in ("group_by=state,month",
                  f"group_by=state,month&livc_id={region['antwerp'].id}"):
        body = assert_problem(analyst.get(f"{URL}?{query}"), 422)
        assert "group_by" in body["errors"]
    assert world.login("chair").get(f"{URL}?group_by=state,month").status_code == 200
