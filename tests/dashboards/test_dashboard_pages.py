"""The dashboards as their readers see them: Dutch by default, a chart and its table,
small counts as "<5", nothing that leads to a case, and each visit on the ledger."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from referral.core.ledger.models import AuditEvent
from tests.dashboards.support import populate, secrets_of


@pytest.fixture
def region(world):
    return populate(world)


def _html(response, status=200):
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def test_the_chair_sees_the_livc_in_pictures_and_numbers_in_dutch(world, region):
    html = _html(world.login("chair").get("/dashboard"))
    assert '<html lang="nl-BE">' in html
    assert "Dashboard van LIVC Test" in html
    assert "Casussen per status" in html
    assert html.count("<svg") >= 2
    assert "<table" in html
    # The table beside the chart: 7 in guidance (published rounded to 5), the small and the
    # complementary hidden.
    assert re.search(r'<th scope="row">[^<]*</th><td class="count">5</td>', html)
    assert html.count("&lt;5") >= 2
    assert 'scope="col"' in html


def test_no_case_reference_id_or_pseudonym_and_no_link_to_a_case(world, region):
    secrets = secrets_of(world, region["cases"])
    pages = [world.login("chair").get("/dashboard"),
             world.login("analyst").get("/dashboard/region"),
             world.login("analyst").get(f"/dashboard?livc_id={region['antwerp'].id}")]
    for response in pages:
        html = _html(response)
        assert not [s for s in secrets if s in html]
        assert "/cases/" not in html
        assert "/api/v1/cases" not in html


def test_no_script_and_no_inline_style_for_the_csp(world, region):
    html = _html(world.login("chair").get("/dashboard"))
    assert "<script" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert "dashboards.css" in html


def test_the_regional_analyst_gets_every_livc(world, region):
    analyst = world.login("analyst")
    r = analyst.get("/dashboard")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/dashboard/region")
    html = _html(analyst.get("/dashboard/region"))
    assert "Regionaal dashboard: alle LIVC" in html
    assert "Casussen per LIVC" in html
    assert "LIVC Antwerpen" in html
    assert "LIVC Test" in html
    html = _html(analyst.get(f"/dashboard?livc_id={region['antwerp'].id}"))
    assert "Dashboard van LIVC Antwerpen" in html


def test_another_livc_and_the_regional_view_are_refused_to_the_chair(world, region):
    chair = world.login("chair")
    html = _html(chair.get(f"/dashboard?livc_id={region['antwerp'].id}"), 403)
    assert "LIVC Antwerpen" not in html
    _html(chair.get("/dashboard/region"), 403)
    _html(chair.get("/dashboard?livc_id=not-a-livc"), 404)


@pytest.mark.parametrize("username", ["owner_rp", "member", "auditor1"])
def test_other_roles_get_the_403_page(world, region, username):
    html = _html(world.login(username).get("/dashboard"), 403)
    assert "Casussen per status" not in html


def test_anonymous_visitors_go_to_the_login_page(client, region):
    r = client.get("/dashboard")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def test_a_bad_period_is_shown_next_to_the_field(world, region):
    html = _html(world.login("chair").get("/dashboard?year=tomorrow"), 422)
    assert 'id="year-error"' in html
    assert "Kies een jaar uit de lijst." in html


def test_each_visit_is_on_the_ledger(world, region, dbs):
    r = world.login("chair").get("/dashboard?year=2026")
    events = dbs.scalars(select(AuditEvent).where(
        AuditEvent.request_id == r.headers["X-Request-ID"],
        AuditEvent.action == "statistics:read")).all()
    assert len(events) == 1
    assert events[0].outcome == "allowed"
    assert events[0].object_id == str(region["gent"].id)
    assert events[0].purpose.startswith("dashboard; since=2025-12-31T23:00:00")
    dbs.rollback()


def test_english_on_request(world, region):
    chair = world.login("chair")
    r = chair.client.post("/language", data={"language": "en", "csrf_token": chair.csrf})
    assert r.status_code == 303
    html = _html(chair.get("/dashboard"))
    assert '<html lang="en">' in html
    assert "Dashboard of LIVC Test" in html
    assert "Cases by state" in html


def test_the_response_time_is_a_median_of_working_days_from_five_answers(world, region, dbs):
    from datetime import UTC, datetime

    from referral.cases.referrals.models import Referral
    from tests.factories import make_case

    # Offered on Friday 27 March 2026, answered on Tuesday 7 April: 30 March to 3 April and
    # 7 April, as Easter Monday (6 April) and the weekends are no working days: 6.
    for _ in range(4):
        make_case(world, referrals=(("VDAB Gent", "accepted"),))
    referrals = dbs.scalars(select(Referral).where(Referral._state == "accepted")).all()
    assert len(referrals) == 5
    for referral in referrals:
        referral.offered_at = datetime(2026, 3, 27, 9, tzinfo=UTC)
        referral.decided_at = datetime(2026, 4, 7, 15, tzinfo=UTC)
    dbs.commit()
    html = _html(world.login("chair").get("/dashboard?year=2026"))  # the year of the offers
    assert "mediaan 6 werkdagen van aanbod tot antwoord" in html
    # Four answers are not enough for a median.
    referrals[0].decided_at = None
    dbs.commit()
    html = _html(world.login("chair").get("/dashboard?year=2026"))
    assert "niet getoond (minder dan 5 antwoorden)" in html


def test_every_csv_link_on_the_pages_answers(world, region):
    for username, path in (("chair", "/dashboard"), ("analyst", "/dashboard/region"),
                           ("analyst", f"/dashboard?livc_id={region['gent'].id}")):
        api = world.login(username)
        html = _html(api.get(path))
        links = re.findall(r'href="(/api/v1/statistics\.csv\?[^"]+)"', html)
        assert links
        for link in links:
            assert api.get(link.replace("&amp;", "&")).status_code == 200, (username, link)
