"""The case page's forms, driven like a browser: informing status with its legal ground,
consent, phase, coordinator (PATCH /cases/{id} through the page, with the version), the
steps, notes, disclosure and revocation, re-identification and the access log."""

from __future__ import annotations

import re

from sqlalchemy import select

from referral.cases.models import Case
from tests.cases.page_support import Browser, label_of, said, user_id
from tests.factories import build, make_case


def _case(world, state="screening"):
    build(world, state="closed")
    return make_case(world, state=state)


def _version(world, case_id) -> int:
    with world.session() as s:
        return int(s.scalar(select(Case.version).where(Case.id == case_id)))


def test_informing_needs_its_legal_ground_said_inline_and_in_dutch(world):
    case = _case(world)
    rp = Browser(world, "owner_rp")
    url = f"/cases/{case.id}"
    page = rp.html(url)
    # Proposing waits for the informing status: the button is disabled and says why.
    propose = re.search(r'<button type="submit" disabled aria-describedby="(why-\d+)">'
                        + re.escape(label_of(world, "propose", "trigger")), page)
    assert propose, "the propose step is offered, disabled"
    why = re.search(rf'id="{propose.group(1)}">([^<]+)<', page).group(1)
    assert why == said(world, "Not now: %(why)s",
                       why=label_of(world, "informing_recorded", "guard"))
    r = rp.post(url, {"version": _version(world, case.id), "informing_status": "not_informed",
                      "informed_party": "subject", "informing_ground": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'id="informing_ground"[^>]*>\s*<p class="field-error" '
                     r'id="informing_ground-error">'
                     + re.escape(said(world, "Give the legal ground for not informing.")), html)
    assert '<option value="not_informed" selected>' in html  # the choice is kept
    page = rp.follow(url, {"version": _version(world, case.id),
                           "informing_status": "not_informed", "informed_party": "subject",
                           "informing_ground": "art. 458ter §2: danger for the worker"})
    assert said(world, "Saved.") in page
    assert label_of(world, "not_informed", "informing_status") in page
    assert "danger for the worker" in page
    assert label_of(world, "informing_recorded", "guard") not in page


def test_consent_phase_and_coordinator_through_the_page(world):
    case = _case(world, state="guidance")
    rp = Browser(world, "owner_rp")
    url = f"/cases/{case.id}"
    page = rp.follow(url, {"version": _version(world, case.id), "consent": "refused",
                           "phase": "group_membership"})
    assert said(world, "Saved.") in page
    assert re.search(r'<select id="consent" name="consent">.*?<option value="refused" selected>',
                     page, re.S)
    assert label_of(world, "group_membership", "phase") in page
    colleague = user_id(world, "owner_cw")
    page = rp.follow(url, {"version": _version(world, case.id),
                           "coordinator_user_id": colleague})
    assert "Owner_Cw" in page  # the coordinator by name
    with world.session() as s:
        row = s.get(Case, case.id)
        assert (row.consent, row.phase, str(row.coordinator_user_id)) == (
            "refused", "group_membership", colleague)
    # Someone of another organisation cannot be made coordinator: said next to the field.
    r = rp.post(url, {"version": _version(world, case.id),
                      "coordinator_user_id": user_id(world, "elsewhere_rp")})
    assert r.status_code == 422
    assert said(world, "Choose a user of the owner or coordinating organisation.") in \
        r.get_data(as_text=True)


def test_a_stale_version_says_changed_meanwhile_reload(world):
    case = _case(world)
    rp = Browser(world, "owner_rp")
    url = f"/cases/{case.id}"
    stale = _version(world, case.id)
    rp.follow(url, {"version": stale, "consent": "refused"})
    page = rp.follow(url, {"version": stale, "consent": "given"})
    from referral.core import errors
    from referral.web import problems

    with world.app.test_request_context():
        expected = problems.describe(errors.Conflict("x"))
    from markupsafe import escape

    assert str(escape(expected)) in page
    with world.session() as s:
        assert s.get(Case, case.id).consent == "refused"  # the second save did not happen


def test_steps_notes_disclosure_and_revocation_through_the_page(world):
    case = _case(world, state="signalled")
    rp = Browser(world, "owner_rp")
    url = f"/cases/{case.id}"
    page = rp.follow(f"{url}/transition", {"trigger": "start_screening",
                                           "version": _version(world, case.id)})
    assert said(world, "Done: %(step)s.", step=label_of(world, "start_screening", "trigger")) \
        in page
    assert f"<strong>{label_of(world, 'screening', 'state')}</strong>" in page
    # A step that needs an outcome asks for it with a label.
    assert re.search(r'<label for="outcome-\d+">' + re.escape(said(world, "Outcome (required)")),
                     page)
    page = rp.follow(f"{url}/notes", {"body": "Moeder maakt zich zorgen over de vrienden.",
                                      "compartment": "internal"})
    assert said(world, "Note saved.") in page
    assert "Moeder maakt zich zorgen over de vrienden." in page
    assert said(world, "Read by: %(org)s", org="CAW Gent") in page
    note_id = re.search(r'action="/notes/([0-9a-f-]+)/disclose"', page).group(1)
    page = rp.follow(f"/notes/{note_id}/disclose", {
        "case_id": str(case.id), "audience": "livc", "purpose": "LIVC-overleg",
        "legal_basis": "art. 458ter Sw."})
    assert said(world, "Disclosed to: %(audience)s.",
                audience=label_of(world, "livc", "audience")) in page
    assert said(world, ", the LIVC consultation") in page  # the badge says who reads it now
    disclosure_id = re.search(r'action="/disclosures/([0-9a-f-]+)/revoke"', page).group(1)
    page = rp.follow(f"/disclosures/{disclosure_id}/revoke", {"case_id": str(case.id)})
    assert said(world, "Disclosure revoked.") in page
    assert said(world, ", the LIVC consultation") not in page
    # A guard that fails is said in words, on the page (not an error page).
    page = rp.follow(f"{url}/transition", {"trigger": "propose",
                                           "version": _version(world, case.id)})
    assert said(world, "Not possible yet: %(guard)s.",
                guard=label_of(world, "informing_recorded", "guard")) in page


def test_reidentify_with_a_reason_shows_the_identity_once(world):
    case = _case(world)
    rp = Browser(world, "owner_rp")
    url = f"/cases/{case.id}"
    r = rp.post(f"{url}/reidentify", {"reason": " "})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Peeters" not in html
    assert re.search(r'<p class="field-error" id="reason-error">', html)
    r = rp.post(f"{url}/reidentify", {"reason": "Huisbezoek gepland, adres nodig"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Peeters" in html
    assert "3 februari 2001" in html  # the birth date as a Dutch date
    assert r.headers["Cache-Control"] == "no-store"
    assert "Peeters" not in rp.html(url)  # once: the next visit is pseudonymous again
    log = rp.html(f"{url}/access-log")
    assert said(world, "revealed the identity") in log
    assert "Owner_Rp" in log
    assert "CAW Gent" in log


def test_the_access_log_is_the_owner_reference_persons(world):
    case = _case(world)
    url = f"/cases/{case.id}"
    worker = Browser(world, "owner_cw")
    page = worker.html(url)
    assert f"{url}/access-log" not in page
    assert f"{url}/reidentify" not in page  # re-identification: the reference person
    assert worker.get(f"{url}/access-log").status_code == 403
    assert worker.post(f"{url}/reidentify", {"reason": "curious about it"}).status_code == 403
    rp = Browser(world, "owner_rp")
    assert f"{url}/access-log" in rp.html(url)
    log = rp.html(f"{url}/access-log")
    assert "Owner_Cw" in log  # the case worker's denied attempt is there, by name
    assert label_of(world, "denied", "outcome") in log
