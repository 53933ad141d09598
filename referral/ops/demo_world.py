"""The demo's cases and meetings: a small world in which every role has something to do.

Built through the JSON API as the demo users themselves (``app.test_client()``), so every
case, note, referral and decision passes the same rules, pathways and ledger as a real one.
The people are fictitious (names of the "Voorbeeld" family, no national numbers) and the
texts are in Dutch, like a Flemish LIVC's would be.

What it holds, and who has something to do:

- ``signalled``: a fresh signal of the CAW (the CAW reference person screens it);
- ``screening``: a case in screening with an internal note and a note disclosed to the
  case team (the CAW decides whether to propose it);
- ``proposed``: a case proposed to the LIVC, on the agenda of the next planned meeting
  (attendees acknowledge the secrecy duty; the chair prepares);
- ``guidance``: decided in today's meeting (in session): a guidance programme with the
  CAW as coordinator, an open action for VDAB, an accepted referral to the justice centre,
  a draft feedback sheet awaiting the attendees' approval, and an offered referral
  waiting in VDAB's inbox;
- ``closed``: closed after screening, no concern.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from referral.core import clock

# Fictitious people: no real person's data.
PEOPLE = {
    "signalled": ("Voorbeeld", "Sam", "2007-03-14"),
    "screening": ("Voorbeeld", "Noor", "2003-09-02"),
    "proposed": ("Voorbeeld", "Milan", "2005-11-21"),
    "guidance": ("Voorbeeld", "Yara", "2001-06-30"),
    "closed": ("Voorbeeld", "Robin", "1999-01-17"),
}
ATTENDEES = ("chair", "coordinator", "caw_rp", "jh_rp", "vdab_rp", "police_io")


class DemoError(RuntimeError):
    """A demo step the API refused: the demo data and the rules have drifted apart."""


class _As:
    """A demo user's logged-in API client."""

    def __init__(self, app: Flask, username: str, password: str) -> None:
        self.client: FlaskClient = app.test_client()
        r = self.client.post("/api/v1/auth/login",
                             json={"username": username, "password": password})
        self._check(r, 200, f"login {username}")
        self.csrf = r.get_json()["csrf_token"]
        self.username = username

    def _check(self, r: Any, status: int, what: str) -> Any:
        if r.status_code != status:
            raise DemoError(f"{what}: {r.status_code} {r.get_data(as_text=True)[:300]}")
        return r.get_json() if r.data else None

    def get(self, url: str) -> Any:
        return self._check(self.client.get(url), 200, f"GET {url}")

    def post(self, url: str, body: dict[str, Any], status: int = 201) -> Any:
        r = self.client.post(url, json=body, headers={"X-CSRF-Token": self.csrf})
        return self._check(r, status, f"{self.username} POST {url}")

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        r = self.client.patch(url, json=body, headers={"X-CSRF-Token": self.csrf})
        return self._check(r, 200, f"{self.username} PATCH {url}")


def _ids(api: _As, path: str) -> dict[str, str]:
    body = api.get(path)
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    return {item["name"]: item["id"] for item in items}


def _user_ids(app: Flask, usernames: tuple[str, ...]) -> list[str]:
    from sqlalchemy import select  # noqa: PLC0415 - only this development command needs it

    from referral.accounts.models import User  # noqa: PLC0415
    from referral.core import db  # noqa: PLC0415

    with app.app_context():
        s = db.database().sessionmaker()
        try:
            rows = dict(s.execute(select(User.username, User.id)
                                  .where(User.username.in_(usernames))).all())
        finally:
            s.close()
    return [str(rows[u]) for u in usernames]


def populate(app: Flask, password: str) -> dict[str, str]:
    """Build the world; returns ``{state: case reference}``.

    Runs in a thread of its own: a request made while an application context is active
    (the CLI's) would share that context's ``g`` -- and with it the cached actor -- with
    every other request; a fresh thread has no context, so each request gets its own.
    """
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["references"] = _populate(app, password)
        except Exception as exc:  # handed to the caller's thread as it is
            result["error"] = exc

    thread = threading.Thread(target=work, name="demo-world")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    references: dict[str, str] = result["references"]
    return references


def _populate(app: Flask, password: str) -> dict[str, str]:
    users = {name: _As(app, name, password) for name in
             ("caw_rp", "jh_rp", "vdab_rp", "chair", "coordinator", "police_io")}
    caw, chair = users["caw_rp"], users["chair"]
    livc_id = _ids(caw, "/api/v1/livcs")["LIVC Gent"]
    orgs = _ids(caw, "/api/v1/organisations")
    cases: dict[str, dict[str, Any]] = {}

    def register(state: str, context: str = "community", phase: str | None = None) -> Any:
        family, given, born = PEOPLE[state]
        case = caw.post("/api/v1/cases", {
            "livc_id": livc_id, "context": context, "phase": phase,
            "identity": {"family_name": family, "given_names": given, "birth_date": born}})
        cases[state] = case
        return case

    def fire(case: dict[str, Any], trigger: str, **extra: Any) -> None:
        current = caw.get(f"/api/v1/cases/{case['id']}")
        caw.post(f"/api/v1/cases/{case['id']}/transitions",
                 {"trigger": trigger, "version": current["version"], **extra}, status=200)

    def prepare_for_livc(case: dict[str, Any], note_text: str) -> None:
        fire(case, "start_screening")
        current = caw.get(f"/api/v1/cases/{case['id']}")
        caw.patch(f"/api/v1/cases/{case['id']}", {
            "informing_status": "informed", "informed_party": "subject", "consent": "given",
            "version": current["version"]})
        note = caw.post(f"/api/v1/cases/{case['id']}/notes",
                        {"body": note_text, "compartment": "internal"})
        caw.post(f"/api/v1/notes/{note['id']}/disclosures", {
            "audience": "livc", "purpose": "Bespreking op de LIVC",
            "legal_basis": "art. 458ter Sw."})
        fire(case, "propose")

    # 1. A fresh signal.
    register("signalled", phase="sensitivity")

    # 2. In screening: an internal note and one disclosed to the case team.
    screening = register("screening", phase="group_membership")
    fire(screening, "start_screening")
    caw.post(f"/api/v1/cases/{screening['id']}/notes", {
        "body": "Eerste gesprek gehad. Jongere zoekt houvast na schooluitval; "
                "contact met ouders loopt moeizaam.", "compartment": "internal"})
    shared = caw.post(f"/api/v1/cases/{screening['id']}/notes", {
        "body": "Afspraak met de trajectbegeleider gepland; graag afstemming over "
                "huisvesting.", "compartment": "internal"})
    caw.post(f"/api/v1/notes/{shared['id']}/disclosures", {
        "audience": "case_team", "purpose": "Afstemming begeleiding",
        "legal_basis": "art. 458ter Sw."})

    # 3. Proposed, on the agenda of the next planned meeting.
    proposed = register("proposed", phase="group_membership")
    prepare_for_livc(proposed, "Signalen van toenemende radicalisering online; "
                               "bereid tot begeleiding door het CAW.")
    attendee_ids = _user_ids(app, ATTENDEES)
    soon = clock.now() + timedelta(days=14)
    next_meeting = chair.post(f"/api/v1/livcs/{livc_id}/meetings", {
        "scheduled_at": soon.replace(hour=9, minute=30, second=0, microsecond=0).isoformat(),
        "location": "Stadhuis, zaal 2", "attendee_user_ids": attendee_ids})
    chair.post(f"/api/v1/meetings/{next_meeting['id']}/agenda",
               {"case_id": proposed["id"], "reason": "new"})

    # 4. Decided in today's meeting: guidance, an action, referrals, a draft feedback sheet.
    guidance = register("guidance", phase="action_preparation")
    prepare_for_livc(guidance, "Begeleiding gewenst op vlak van werk en zingeving; "
                               "de persoon staat open voor een traject.")
    today = clock.now() + timedelta(hours=1)
    meeting = chair.post(f"/api/v1/livcs/{livc_id}/meetings", {
        "scheduled_at": today.replace(second=0, microsecond=0).isoformat(),
        "location": "Stadhuis, zaal 2", "attendee_user_ids": attendee_ids})
    mid = meeting["id"]
    chair.post(f"/api/v1/meetings/{mid}/agenda", {"case_id": guidance["id"], "reason": "new"})
    for name in ("chair", "coordinator", "caw_rp", "jh_rp", "vdab_rp"):
        users[name].post(f"/api/v1/meetings/{mid}/acknowledgements", {})
    for uid, username in zip(attendee_ids, ATTENDEES, strict=True):
        r = chair.client.patch(f"/api/v1/meetings/{mid}/attendees/{uid}",
                               json={"present": username != "police_io"},
                               headers={"X-CSRF-Token": chair.csrf})
        chair._check(r, 200, f"presence {username}")
    current = chair.get(f"/api/v1/meetings/{mid}")
    chair.post(f"/api/v1/meetings/{mid}/transitions",
               {"trigger": "open", "version": current["version"]}, status=200)
    chair.post(f"/api/v1/meetings/{mid}/decisions", {
        "case_id": guidance["id"], "decision": "start_programme",
        "text": "De LIVC start een begeleidingstraject met het CAW als coördinator.",
        "coordinator_organisation_id": orgs["CAW Oost-Vlaanderen"],
        "actions": [{"organisation_id": orgs["VDAB Gent"],
                     "description": "Intakegesprek voor een opleidingstraject plannen",
                     "due": (clock.now() + timedelta(days=21)).date().isoformat()}]})
    chair.post(f"/api/v1/meetings/{mid}/feedback-sheets", {
        "case_id": guidance["id"],
        "text": "De casus wordt opgevolgd binnen een begeleidingstraject. "
                "Geen bijkomende maatregelen gevraagd van de politie."})
    to_jh = caw.post(f"/api/v1/cases/{guidance['id']}/referrals", {
        "to_organisation_id": orgs["Justitiehuis Gent"], "kind": "service",
        "sphere_of_life": "psycho_social",
        "purpose": "Ondersteuning bij het naleven van de voorwaarden"})
    users["jh_rp"].post(f"/api/v1/referrals/{to_jh['id']}/transitions",
                        {"trigger": "accept", "version": to_jh["version"]}, status=200)
    caw.post(f"/api/v1/cases/{guidance['id']}/referrals", {
        "to_organisation_id": orgs["VDAB Gent"], "kind": "service",
        "sphere_of_life": "training_employment",
        "purpose": "Begeleiding naar een opleiding of werk"})

    # 5. Closed after screening.
    closed = register("closed")
    fire(closed, "start_screening")
    fire(closed, "close_no_concern", outcome="Geen zorgen over radicalisering vastgesteld.")

    return {state: case["reference"] for state, case in cases.items()}
