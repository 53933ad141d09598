"""The DPO's pages (/privacy...): legal holds placed and lifted through the page and on the
ledger, the retention overview, the printable access report; nobody else sees them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select

from referral.cases.models import Case
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from referral.web.labels import label
from tests.audit.pages_support import browser, clean, text_of, token
from tests.factories import build, make_case

NN = "85031624514"  # a valid national number (check digits 14), nobody's
STATIC = Path(__file__).resolve().parents[2] / "referral" / "static"


def _dpo(world: Any) -> Any:
    build(world)
    world.user("dpo1", "Operator", ["dpo"])
    return browser(world, "dpo1")


def _case(world: Any, case_id: Any) -> Case:
    with world.session() as s:
        case = s.get(Case, case_id)
        s.expunge_all()
        return case


def _events(world: Any, action: str) -> list[Any]:
    with world.session() as s:
        return list(s.execute(select(AuditEvent.actor_user_id, AuditEvent.case_id,
                                     AuditEvent.purpose, AuditEvent.outcome)
                              .where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_dpo_places_and_lifts_a_legal_hold_through_the_page(world):
    client = _dpo(world)
    case = make_case(world, state="closed")
    html = client.get("/privacy").get_data(as_text=True)
    clean(html)
    assert '<html lang="nl-BE">' in html
    assert "Juridische bewaringen" in html
    assert "Geen enkele casus staat onder juridische bewaring." in html
    r = client.post("/privacy/legal-holds", data={
        "csrf_token": token(html), "reference": case.reference,
        "reason": "Klacht bij de Gegevensbeschermingsautoriteit"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"Juridische bewaring ingesteld op casus {case.reference}" in html
    held = html.split("Een juridische bewaring instellen")[0]
    assert case.reference in held
    assert "Klacht bij de Gegevensbeschermingsautoriteit" in held
    assert _case(world, case.id).legal_hold is True
    lift = re.search(r'action="(/privacy/legal-holds/[0-9a-f-]+/lift)"', html)
    assert lift is not None
    assert str(case.id) in lift.group(1)
    r = client.post(lift.group(1), data={"csrf_token": token(html)})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"Juridische bewaring opgeheven op casus {case.reference}" in html
    assert _case(world, case.id).legal_hold is False
    # Both acts are on the ledger, by the DPO, on the case.
    holds = _events(world, "case:legal_hold")
    assert [(e.case_id, e.purpose, e.outcome) for e in holds] == [
        (case.id, "placed: Klacht bij de Gegevensbeschermingsautoriteit", "allowed"),
        (case.id, "lifted", "allowed")]
    assert len({e.actor_user_id for e in holds}) == 1
    assert holds[0].actor_user_id
    # So is every view of the overview.
    assert [e.outcome for e in _events(world, "privacy:overview")] == ["allowed"] * 3


def test_a_hold_form_with_mistakes_comes_back_with_the_input(world):
    client = _dpo(world)
    html = client.get("/privacy").get_data(as_text=True)
    r = client.post("/privacy/legal-holds", data={"csrf_token": token(html),
                                                  "reference": "GENT-1999-XX-0001",
                                                  "reason": "inquiry by the court"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Geen enkele casus heeft deze referentie." in html
    assert 'value="GENT-1999-XX-0001"' in html
    assert "inquiry by the court</textarea>" in html
    r = client.post("/privacy/legal-holds", data={"csrf_token": token(html),
                                                  "reference": "", "reason": ""})
    assert r.status_code == 422
    assert "Geef de referentie van de casus." in r.get_data(as_text=True)
    assert _events(world, "case:legal_hold") == []


def test_retention_overview_says_what_is_purged_when(world):
    client = _dpo(world)
    due = make_case(world, state="closed")
    held = make_case(world, state="closed")
    today = clock.now().date()
    with world.session() as s:
        s.get(Case, due.id).retention_until = today + timedelta(days=30)
        row = s.get(Case, held.id)
        row.retention_until, row.legal_hold = today - timedelta(days=3), True
        row.legal_hold_reason = "lopend onderzoek"
        s.commit()
    html = client.get("/privacy").get_data(as_text=True)
    clean(html)
    overview = html.split("Bewaartermijnen: wat wanneer gewist wordt")[1]
    assert "5 jaar" in overview
    rows = text_of(overview.split("<tbody>")[1].split("</tbody>")[0])
    # Soonest first: the held case (past its date) before the one due in 30 days.
    assert rows.index(held.reference) < rows.index(due.reference)
    assert "niet zolang de juridische bewaring geldt" in rows
    purge_day = today + timedelta(days=31)
    assert str(purge_day.year) in rows.split(due.reference)[1]
    assert "verstreken: enkel de bewaring houdt ze bij" in html


def test_access_report_by_national_number_is_printable(world):
    client = _dpo(world)
    owner = world.login("owner_rp")
    r = owner.post("/api/v1/cases", json={"livc_id": str(world.livc.id),
                                          "identity": {"national_number": NN}})
    assert r.status_code == 201, r.get_json()
    reference = r.get_json()["reference"]
    assert owner.get(f"/api/v1/cases/{r.get_json()['id']}").status_code == 200
    form = client.get("/privacy/access-report").get_data(as_text=True)
    assert "Inzagerapport voor de betrokkene" in form
    assert '<label for="national_number">' in form
    r = client.post("/privacy/access-report", data={"csrf_token": token(form),
                                                    "national_number": NN})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    clean(html)
    assert NN not in html  # the national number does not come back to the browser
    assert reference in html
    assert "Wie de gegevens raadpleegde" in html
    assert "Owner_Rp" in html
    assert "Casusgegevens bekeken" in html
    # Printable: the print stylesheet applies, and it leaves out the menu and the forms.
    assert re.search(r'<link rel="stylesheet" href="/static/print\.css" media="print">', html)
    assert 'class="menu"' in html  # on screen ...
    rule = next(line for line in (STATIC / "print.css").read_text().splitlines()
                if "display: none" in line)
    assert {".menu", ".top", "form"} <= {s.strip() for s in rule.split("{")[0].split(",")}
    assert 'class="print-hint no-print"' in html
    [event] = _events(world, "dsar:generate")
    assert event.outcome == "allowed"
    assert event.purpose.startswith("1 cases, ")
    # The same report from one of the person's case references, typed in lower case.
    r = client.post("/privacy/access-report", data={"csrf_token": token(form),
                                                    "reference": reference.lower()})
    assert r.status_code == 200
    assert reference in r.get_data(as_text=True)


def test_access_report_form_explains_mistakes(world):
    client = _dpo(world)
    form = client.get("/privacy/access-report").get_data(as_text=True)
    r = client.post("/privacy/access-report", data={"csrf_token": token(form),
                                                    "national_number": "85031624515"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Dit is geen geldig rijksregisternummer" in html
    assert "85031624515" not in html
    r = client.post("/privacy/access-report", data={"csrf_token": token(form)})
    assert r.status_code == 422
    assert "Vul ofwel het rijksregisternummer ofwel een casusreferentie in" in r.get_data(
        as_text=True)
    r = client.post("/privacy/access-report", data={"csrf_token": token(form),
                                                    "reference": "NOPE-1"})
    assert r.status_code == 422
    assert "Geen enkele casus heeft deze referentie." in r.get_data(as_text=True)
    assert _events(world, "dsar:generate") == []


@pytest.mark.parametrize("username", ["auditor1", "owner_rp", "admin1"])
def test_only_the_dpo_sees_the_privacy_pages(world, username):
    build(world)
    case = make_case(world, state="closed")
    with world.session() as s:
        row = s.get(Case, case.id)
        row.legal_hold, row.legal_hold_reason = True, "geheime reden van de bewaring"
        row.retention_until = date(2031, 1, 1)
        s.commit()
    client = browser(world, username)
    with world.app.test_request_context():
        in_words = label("dpo_only", "rule")  # Dutch, the default
    html = ""
    for path in ("/privacy", "/privacy/access-report"):
        r = client.get(path)
        assert r.status_code == 403, path
        html = r.get_data(as_text=True)
        assert "Niet toegestaan" in html
        assert '<small class="id">dpo_only</small>' in html
        assert str(escape(in_words)) in html
        assert case.reference not in html
        assert "geheime reden" not in html
    csrf = token(html)
    for path, data in (("/privacy/legal-holds", {"reference": case.reference, "reason": "x"}),
                       (f"/privacy/legal-holds/{case.id}/lift", {}),
                       ("/privacy/access-report", {"national_number": NN})):
        r = client.post(path, data={"csrf_token": csrf, **data})
        assert r.status_code == 403, path
        assert case.reference not in r.get_data(as_text=True)
    assert _case(world, case.id).legal_hold is True
    assert "/privacy" not in client.get("/").get_data(as_text=True).split("<main")[0]
    assert [e.outcome for e in _events(world, "case:legal_hold")] == ["denied", "denied"]
