"""The auditor's search pages: by case reference or pseudonym, by user name, by organisation
and period, in plain words and Dutch by default; the CSV of the search; the timelines."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from referral.accounts.models import User
from referral.cases.models import Subject
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from tests.audit.pages_support import browser, clean, text_of
from tests.audit.workspace_support import events
from tests.factories import build, make_case


def _search(client: Any, **params: str) -> Any:
    return client.get(f"/audit/events?{urlencode(params)}")


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [text_of(r) for r in body.split("<tr")[1:]]


def _pseudonym(world: Any, case: Any) -> str:
    with world.session() as s:
        return str(s.scalar(select(Subject.pseudonym).where(Subject.id == case.subject_id)))


def _world(world: Any) -> tuple[Any, Any]:
    """A case read by its owner and refused to a stranger, and another case nobody read."""
    case = build(world)
    other = make_case(world, owner="CAW Gent", state="screening")
    assert world.login("owner_rp").get(f"/api/v1/cases/{case.id}").status_code == 200
    assert world.login("elsewhere_rp").get(f"/api/v1/cases/{case.id}").status_code == 404
    return case, other


def test_auditor_finds_the_events_of_a_case_by_reference_and_by_pseudonym(world):
    case, other = _world(world)
    client = browser(world, "auditor1")
    r = _search(client, case=case.reference)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    clean(html)
    assert '<html lang="nl-BE">' in html
    assert "Het auditlogboek doorzoeken" in html
    rows = _rows(html)
    assert rows
    assert all(case.reference in row for row in rows)
    # Who read it, by name and organisation; the action in words with its id beside it.
    read = [row for row in rows if "case:read" in row and "Owner_Rp" in row]
    assert read
    assert "CAW Gent" in read[0]
    assert "Casusgegevens bekeken" in read[0]
    assert "Toegestaan" in read[0] or "toegestaan" in read[0].lower()
    # The stranger's refusal names the rule.
    refused = [row for row in rows if "Elsewhere_Rp" in row]
    assert refused
    assert "no_relation" in refused[0]
    assert other.reference not in text_of(html)
    # No raw id is shown as text: ids stay in the links (and the support details).
    assert str(case.id) not in text_of(re.sub(r"<details>.*?</details>", "", html, flags=re.S))

    by_pseudonym = _search(client, case=_pseudonym(world, case)).get_data(as_text=True)
    assert _rows(by_pseudonym) == rows[:len(_rows(by_pseudonym))]
    assert f">{case.reference}<" in by_pseudonym

    nothing = _search(client, case="GENT-1999-NOPE-0001")
    assert nothing.status_code == 200
    page = nothing.get_data(as_text=True)
    assert "Geen enkele casus heeft deze referentie of dit pseudoniem." in page
    assert "Geen gebeurtenissen." in page
    purposes = [e.purpose for e in events(world, "audit:search")]
    assert "page search; filters: case_ids" in purposes


def test_auditor_finds_what_a_user_did_by_name(world):
    case, _ = _world(world)
    client = browser(world, "auditor1")
    html = _search(client, user="owner_rp").get_data(as_text=True)
    rows = _rows(html)
    assert rows
    assert all("Owner_Rp" in row for row in rows)
    assert any("auth:login" in row and "Aanmelden" in row for row in rows)
    assert any(case.reference in row for row in rows)
    assert "Elsewhere_Rp" not in text_of(html)
    # Part of a display name finds the users who bear it.
    html = _search(client, user="where").get_data(as_text=True)
    assert _rows(html)
    assert all("Elsewhere_Rp" in row for row in _rows(html))
    html = _search(client, user="nobody at all").get_data(as_text=True)
    assert "Geen enkele gebruiker heeft deze naam of gebruikersnaam." in html


def test_search_by_organisation_action_outcome_and_brussels_days(world):
    _case, _ = _world(world)
    client = browser(world, "auditor1")
    form = client.get("/audit/events").get_data(as_text=True)
    # The organisation is chosen by name; the action from a list in words.
    found = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>CAW Antwerpen</option>', form)
    assert found is not None
    assert re.search(r'<option value="case:reidentify"[^>]*>Identiteit opgevraagd', form)
    today = clock.now().date().isoformat()
    html = _search(client, organisation=found.group(1), outcome="denied", since=today,
                   until=today).get_data(as_text=True)
    rows = _rows(html)
    assert rows
    assert all("Elsewhere_Rp" in row and "CAW Antwerpen" in row for row in rows)
    # The day after today has no events yet; a day written the Belgian way is understood.
    tomorrow = (clock.now() + timedelta(days=1)).date()
    html = _search(client, since=tomorrow.strftime("%d/%m/%Y")).get_data(as_text=True)
    assert "Geen gebeurtenissen." in html
    assert f'value="{tomorrow.isoformat()}"' in html
    r = _search(client, since="gisteren", until=today, organisation="not-an-id")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Geef een datum als DD/MM/JJJJ of JJJJ-MM-DD." in html
    assert "Kies een organisatie uit de lijst." in html
    r = _search(client, since=today, until=(clock.now() - timedelta(days=2)).date().isoformat())
    assert r.status_code == 422
    assert "De laatste dag mag niet vóór de eerste dag liggen." in r.get_data(as_text=True)


def test_the_csv_link_downloads_the_current_search(world):
    case, _other = _world(world)
    client = browser(world, "auditor1")
    html = _search(client, case=case.reference, outcome="allowed").get_data(as_text=True)
    link = re.search(r'href="(/audit/events\.csv\?[^"]+)"', html)
    assert link is not None
    r = client.get(unescape(link.group(1)))
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows
    assert {row["case_id"] for row in rows} == {str(case.id)}
    assert {row["outcome"] for row in rows} == {"allowed"}
    assert r.headers["X-Row-Count"] == str(len(rows))
    [export] = [e for e in events(world, "audit:search")
                if e.purpose.startswith("page csv export")]
    assert export.purpose == "page csv export; filters: outcome, case_ids"


def test_timelines_name_the_case_and_the_user(world):
    case, _ = _world(world)
    client = browser(world, "auditor1")
    html = client.get(f"/audit/cases/{case.id}").get_data(as_text=True)
    clean(html)
    assert f"Casus {case.reference}" in html
    assert all(case.reference in row for row in _rows(html))
    with world.session() as s:
        owner = s.scalar(select(User).where(User.username == "owner_rp"))
    html = client.get(f"/audit/users/{owner.id}").get_data(as_text=True)
    assert "Owner_Rp (CAW Gent)" in html
    assert all("Owner_Rp" in row for row in _rows(html))
    assert 'href="/audit/events?user=owner_rp"' in html
    html = client.get(f"/audit/users/{uuid.uuid4()}").get_data(as_text=True)
    assert "Een gebruiker die niet bestaat" in html
    assert "/audit/events.csv" not in html


def test_english_on_request(world):
    _world(world)
    client = browser(world, "auditor1", language="en")
    html = client.get("/audit/events?outcome=denied").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Search the audit trail" in html
    assert "Denied" in html or "denied" in text_of(html)


def test_every_page_search_is_one_recorded_read(world):
    case, _ = _world(world)
    client = browser(world, "auditor1")
    r = _search(client, case=case.reference, user="owner_rp")
    with world.session() as s:
        recorded = s.execute(select(AuditEvent.action, AuditEvent.purpose, AuditEvent.outcome)
                             .where(AuditEvent.request_id == r.headers["X-Request-ID"])).all()
    assert recorded == [("audit:search", "page search; filters: actor_ids, case_ids",
                         "allowed")]
