"""The journey's steps, each as the person does it on the pages: fill in, press, read.

Selectors are what a person sees: a field by its label, a button by its name, a row of a
table by the case reference it shows.  Every text is a page msgid said through ``p.t``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from playwright.sync_api import Locator, expect

from referral.audit.actions import ACTIONS
from referral.meetings.pages import SHEET_NOTICE
from tests.e2e.journey import DISPLAY_NAMES, Person

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass
class Story:
    """What the people of one journey hand on to each other."""

    family: str
    given: str
    birth_date: str
    reference: str = ""
    case_path: str = ""
    meeting_path: str = ""
    sheet_path: str = ""
    note: str = "Gesprek met de persoon gehad; open voor begeleiding naar werk."
    decision_text: str = "De LIVC start een begeleidingstraject met het CAW als coördinator."
    action: str = "Intakegesprek voor een opleiding plannen"
    feedback: str = "De casus wordt opgevolgd in een begeleidingstraject."
    purpose: str = "Zoektocht naar een opleiding"


def choose(select: Locator, containing: str) -> None:
    """Pick the option whose text contains ``containing`` (a name, followed by its kind)."""
    options = select.locator("option").filter(has_text=containing)
    expect(options).to_have_count(1)
    select.select_option(label=options.inner_text().strip())


def _row(p: Person, text: str) -> Locator:
    """The table row that shows ``text`` (a case reference, a name)."""
    return p.page.get_by_role("row").filter(has_text=text)


# -- the reference person prepares the case -------------------------------------------

def register_case(rp: Person, *, family: str, given: str, birth_date: str,
                  consent: str = "unknown") -> str:
    """Register a signal from the case list; the new case's reference."""
    t = rp.t
    rp.go("/cases")
    rp.field(t("Family name")).fill(family)
    rp.field(t("Given names")).fill(given)
    rp.field(t("Birth date")).fill(birth_date)
    rp.field(t("Consent to voluntary services")).select_option(
        label=t.label("consent", consent))
    rp.button(t("Register")).click()
    expect(rp.page).to_have_url(re.compile(rf"/cases/{UUID}$"))
    said = rp.told_match(t.pattern("Case %(ref)s registered as %(pseudonym)s."))
    reference = said["ref"]
    expect(rp.page.locator("h1")).to_contain_text(reference)
    rp.see(said["pseudonym"])
    rp.see(t.label("state", "signalled"))
    rp.not_see(family, given)  # the identity stays encrypted behind the pseudonym
    return reference


def _step(p: Person, trigger: str, dest: str) -> None:
    t = p.t
    p.button(re.compile(re.escape(t.label("trigger", trigger)))).click()
    p.told(t("Done: %(step)s.", step=t.label("trigger", trigger)))
    p.see(t.label("state", dest))


def start_screening(rp: Person) -> None:
    _step(rp, "start_screening", "screening")


def record_informing(rp: Person) -> None:
    """The person was informed: without it, "Propose" stays disabled and says why."""
    t = rp.t
    propose = rp.button(re.compile(re.escape(t.label("trigger", "propose"))))
    expect(propose).to_be_disabled()
    rp.see(t.label("guard", "informing_recorded"))
    rp.field(t("Informing status")).select_option(
        label=t.label("informing_status", "informed"))
    rp.field(t("Who was informed")).select_option(label=t.label("informed_party", "subject"))
    rp.button(t("Save informing")).click()
    rp.told(t("Saved."))
    rp.see(t.label("informing_status", "informed"))


def write_note(rp: Person, text: str) -> None:
    t = rp.t
    rp.field(t("New note")).fill(text)
    rp.button(t("Save note")).click()
    rp.told(t("Note saved."))
    rp.see(text)


def disclose_to_livc(rp: Person, text: str) -> None:
    t = rp.t
    note = rp.page.locator("article").filter(has_text=text)
    note.get_by_text(t("Disclose this note")).click()
    note.get_by_label(t("Audience")).select_option(label=t.label("audience", "livc"))
    note.get_by_label(t("Purpose")).fill("Bespreking op de LIVC")
    note.get_by_label(t("Legal basis")).fill("art. 458ter Sw.")
    note.get_by_role("button", name=t("Disclose"), exact=True).click()
    rp.told(t("Disclosed to: %(audience)s.", audience=t.label("audience", "livc")))
    note = rp.page.locator("article").filter(has_text=text)
    expect(note).to_contain_text(t("Disclosed to: %(audience)s",
                                   audience=t.label("audience", "livc")))
    expect(note).to_contain_text(t(", the LIVC consultation"))  # who reads it, on its badge


def propose(rp: Person) -> None:
    _step(rp, "propose", "proposed")


# -- the chair prepares the meeting ----------------------------------------------------

def plan_meeting(chair: Person, attendees: tuple[str, ...]) -> str:
    """Plan a meeting for tomorrow from the LIVC page; the meeting's path."""
    t = chair.t
    chair.go("/livcs")  # the chair's one LIVC: straight to its page
    chair.see("LIVC Gent", t("Plan a meeting"))
    tomorrow = date.today() + timedelta(days=1)
    chair.field(t("Date"), exact=True).fill(tomorrow.isoformat())
    chair.field(t("Time (Brussels)")).fill("14:00")
    chair.field(t("Location")).fill("Stadhuis, zaal 3")
    expect(_attendee_box(chair, "chair")).to_be_checked()  # the chair attends by default
    for username in attendees:
        _attendee_box(chair, username).check()
    chair.button(t("Plan the meeting")).click()
    chair.told(t("The meeting is planned. Put cases on its agenda below."))
    expect(chair.page).to_have_url(re.compile(rf"/meetings/{UUID}$"))
    chair.see(t.label("state", "planned"), "Stadhuis, zaal 3")
    for username in attendees:
        expect(_row(chair, DISPLAY_NAMES[username])).to_contain_text(t("not yet acknowledged"))
    return chair.path()


def _attendee_box(chair: Person, username: str) -> Locator:
    name = re.compile(re.escape(DISPLAY_NAMES[username]))
    return chair.page.get_by_role("checkbox", name=name)


def put_on_agenda(chair: Person, reference: str) -> None:
    """The proposed case is among the suggestions; the chair adds it to the agenda."""
    t = chair.t
    suggestion = _row(chair, reference)
    expect(suggestion).to_contain_text(t("Proposed to the LIVC"))
    suggestion.get_by_role("button", name=t("Add")).click()
    chair.told(t("The case is on the agenda."))
    expect(_agenda_item(chair)).to_have_count(1)


def _agenda_item(p: Person) -> Locator:
    """The journey's case on the agenda (the meeting has this one case)."""
    return p.page.locator("#agenda article")


def acknowledge(p: Person, meeting_path: str) -> None:
    """The attendee reads the secrecy duty and acknowledges it; then sees the material."""
    t = p.t
    p.go(meeting_path)
    p.see(t("Secrecy duty (art. 458ter Sw.)"))
    expect(_agenda_item(p)).to_contain_text(
        t("Pseudonym only: the case material is shown after acknowledging the secrecy duty."))
    p.button(t("I acknowledge the secrecy duty for this meeting")).click()
    p.told(t("You acknowledged the secrecy duty for this meeting."))
    expect(_row(p, p.display_name)).to_contain_text(
        t.pattern("acknowledged on %(when)s", named=False))


def open_session(chair: Person, story: Story) -> None:
    t = chair.t
    chair.go(story.meeting_path)
    chair.button(t.label("trigger", "open"), exact=True).click()
    chair.told(t("Done: %(step)s.", step=t.label("trigger", "open")))
    chair.see(t.label("state", "in_session"))
    expect(_agenda_item(chair)).to_contain_text(story.note)  # the note disclosed to the LIVC


def decide_start_programme(chair: Person, story: Story, *, coordinator: str,
                           action_for: str) -> None:
    t = chair.t
    item = _agenda_item(chair)
    item.get_by_text(t("Record a decision")).click()
    item.get_by_label(t("Decision"), exact=True).select_option(
        label=t.label("decision", "start_programme"))
    item.get_by_label(t("Decision text (LIVC material)")).fill(story.decision_text)
    item.get_by_label(t("Coordinating organisation (starting a programme)")).select_option(
        label=coordinator)
    item.get_by_label(t("Organisation"), exact=True).first.select_option(label=action_for)
    item.get_by_label(t("What is to be done")).first.fill(story.action)
    item.get_by_label(t("Due date")).first.fill((date.today() + timedelta(days=21)).isoformat())
    item.get_by_role("button", name=t("Record the decision")).click()
    chair.told(t("Decision recorded: %(decision)s.",
                 decision=t.label("decision", "start_programme")))
    expect(_agenda_item(chair)).to_contain_text(story.action)


def draft_feedback(chair: Person, story: Story) -> None:
    t = chair.t
    item = _agenda_item(chair)
    item.get_by_label(t("Text for the police")).fill(story.feedback)
    item.get_by_role("button", name=t("Draft the feedback sheet")).click()
    chair.told(t("The feedback sheet is drafted. Every attendee present now approves it."))
    expect(_agenda_item(chair)).to_contain_text(t.label("feedback_state", "draft"))


def approve_feedback(p: Person, story: Story) -> None:
    t = p.t
    p.go(story.meeting_path)
    item = _agenda_item(p)
    expect(item).to_contain_text(story.feedback)
    item.get_by_role("button", name=t("I approve this feedback sheet")).click()
    p.told(t("You approved the feedback sheet."))
    approvals = _agenda_item(p).locator(".approvals li").filter(has_text=p.display_name)
    expect(approvals).to_contain_text(t("approved"))


def feedback_issued(chair: Person, story: Story) -> None:
    """Issued once all present approved; the printable sheet carries the purpose notice and
    prints without the page's links (kept as a PDF beside the screenshots)."""
    t = chair.t
    chair.go(story.meeting_path)
    item = _agenda_item(chair)
    expect(item).to_contain_text(t.label("feedback_state", "issued"))
    item.get_by_role("link", name=t("Printable sheet")).click()
    chair.see(story.feedback, t(str(SHEET_NOTICE)))
    chair.not_see(story.note)  # the sheet never carries a note's text
    back = chair.page.locator(".no-print")
    expect(back).to_be_visible()
    chair.page.emulate_media(media="print")
    expect(back).to_be_hidden()
    chair.pdf("feedback-sheet")
    chair.page.emulate_media(media="screen")
    story.sheet_path = chair.path()


def police_reads_the_sheet(police: Person, story: Story) -> None:
    """The police information officer, not at the meeting, reads the issued sheet: the
    consultation's answer, never the case material behind it."""
    t = police.t
    police.go(story.sheet_path)
    police.see(story.feedback, t.label("feedback_state", "issued"))
    police.not_see(story.note, story.decision_text, story.action, story.family)


# -- referral to a partner -------------------------------------------------------------

def refer(rp: Person, story: Story, *, to: str) -> None:
    t = rp.t
    rp.go(story.case_path)
    rp.see(t.label("state", "guidance"))
    rp.page.get_by_text(t("Refer to another organisation")).click()
    choose(rp.field(t("Organisation")), to)
    rp.field(t("Sphere of life")).select_option(
        label=t.label("sphere", "training_employment"))
    rp.field(t("Purpose")).last.fill(story.purpose)
    rp.button(t("Offer referral")).click()
    rp.told(t("Referral offered."))
    expect(_row(rp, to)).to_contain_text(t.label("state", "offered"))


def accept_from_inbox(partner: Person, story: Story) -> None:
    """The partner's reference person finds the offer by its purpose (the case reference is
    not theirs to see before accepting), accepts, and then reads the case."""
    t = partner.t
    partner.go("/inbox")
    expect(partner.page.locator("#actions-title + table")).to_contain_text(story.action)
    offer = _row(partner, story.purpose)
    expect(offer).to_contain_text(t.label("state", "offered"))
    offer.get_by_role("button", name=t("Accept")).click()
    partner.told(t("Done: %(step)s.", step=t.label("trigger", "accept")))
    accepted = _row(partner, story.purpose)
    expect(accepted).to_contain_text(t.label("state", "accepted"))
    accepted.get_by_role("link", name=t("Open the case")).click()
    expect(partner.page.locator("h1")).to_contain_text(story.reference)
    # The case list's "Access" column says what the case page says.
    access = partner.page.locator(".access-statement .access").inner_text().strip()
    assert access
    partner.go("/cases")
    expect(_row(partner, story.reference).locator("td.access")).to_have_text(access)


# -- auditor, admin, DPO ---------------------------------------------------------------

# The ledger's actions of the journey's steps, each found by the case reference.
JOURNEY_ACTIONS = ("case:create", "case:update", "case:transition", "note:create",
                   "note:disclose", "meeting:agenda_add", "meeting:decide", "feedback:create",
                   "feedback:approve", "referral:create", "referral:transition")


def audit_case(auditor: Person, story: Story, actions: tuple[str, ...] = JOURNEY_ACTIONS
               ) -> None:
    """Each step of the journey, found by the case reference and the action; the actors by
    name and organisation; then the case's timeline."""
    t = auditor.t
    auditor.go("/audit/events")
    auditor.field(t("Case reference or pseudonym")).fill(story.reference)
    for action in actions:  # the form keeps the reference: only the action changes
        choose(auditor.field(t("Action"), exact=True), f"({action})")
        auditor.button(t("Search")).click()
        expect(auditor.field(t("Case reference or pseudonym"))).to_have_value(story.reference)
        events = auditor.page.locator("table.events tbody tr")
        expect(events.first).to_contain_text(story.reference)
        expect(events.first).to_contain_text(t(str(ACTIONS[action])))
    auditor.link(story.reference).first.click()
    auditor.see(story.reference, DISPLAY_NAMES["caw_rp"], "CAW Oost-Vlaanderen")
    auditor.not_see(story.family, story.given, story.note)  # never identity nor content


def verify_chain(auditor: Person) -> None:
    t = auditor.t
    auditor.go("/audit")
    auditor.told_match(t.pattern(
        "The chain is intact: %(count)s events verified from number %(first)s up to the last "
        "one (number %(head)s), every signed checkpoint included."))
    expect(auditor.page.get_by_role("alert")).to_have_count(0)


def create_user(admin: Person, username: str, organisation: str) -> None:
    """An organisation's first access manager (the platform admin grants no case role): the
    organisation first, then the form; the separation of duties is shown before saving."""
    t = admin.t
    admin.go("/admin/users/new")
    choose(admin.field(t("Organisation")), organisation)
    admin.button(t("Next")).click()
    admin.see(t("New user at %(organisation)s", organisation=organisation))
    admin.field(t("Username")).fill(username)
    admin.field(t("Name"), exact=True).fill(f"Eva {username}")
    admin.field(t("First password")).fill("a long first password 2026")
    admin.page.get_by_role("checkbox", name=t.label("role", "access_manager")).check()
    admin.button(t("Check the roles first")).click()
    expect(admin.page.locator("#preview")).to_contain_text(t.label("role", "access_manager"))
    # A secret is never sent back: the check step empties the password field.
    admin.field(t("First password")).fill("a long first password 2026")
    admin.button(t("Create user")).click()
    admin.told(t("User %(name)s created.", name=f"Eva {username}"))
    admin.see(username, organisation, t.label("role", "access_manager"))


def access_report(dpo: Person, story: Story) -> None:
    """The person's access report, asked for by one of their case references."""
    t = dpo.t
    dpo.go("/privacy/access-report")
    dpo.field(t("Reference of one of the person's cases")).fill(story.reference)
    dpo.button(t("Produce the report")).click()
    dpo.see(story.reference, DISPLAY_NAMES["vdab_rp"], DISPLAY_NAMES["chair"])
    dpo.not_see(story.family, story.given, story.note)  # no identity, no case content


# -- what others do not see ------------------------------------------------------------

def outsider_sees_nothing(outsider: Person, story: Story) -> None:
    """A reference person of a member organisation with no part in the case or the meeting:
    "not found" (existence is not leaked), and no text of the case anywhere on the page."""
    secrets = (story.reference, story.note, story.decision_text, story.feedback, story.family)
    for path in (story.case_path, story.meeting_path):
        outsider.go(path, status=404)
        outsider.see(outsider.t("Not found"))
        outsider.not_see(*secrets)
    outsider.go("/cases")
    outsider.not_see(*secrets)
