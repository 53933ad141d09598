"""Issue 15's journey, in the browser, from signal to partner and audit: every person on
their own pages, each step asserting what they see.  In Dutch, and once in English.

A reference person of the CAW registers a case, records the informing status, writes a
note, discloses it to the LIVC and proposes the case; the chair plans a meeting and puts
the case on the agenda; the attendees acknowledge the secrecy duty; the chair opens the
session and records ``start_programme`` with a coordinator and an action for VDAB; the
feedback sheet is drafted and approved by every attendee present, and the police
information officer reads it (and nothing of the case behind it); the reference person
refers to VDAB, whose reference person accepts from the inbox; the auditor finds each step
by the case reference and verifies the chain; the admin creates a user; the DPO produces
the person's access report.  A reference person of another member organisation, with no
part in the case, finds neither the case nor the meeting.  Screenshots (and the printed
feedback sheet as a PDF) in tests/artifacts/e2e/<language>/.
"""

from __future__ import annotations

import pytest

from tests.e2e import steps
from tests.e2e.steps import Story

# A fictitious person per run (no real person's data); the runs share one server.
PEOPLE = {"nl": ("Testpersoon", "Ilse", "2002-04-11"),
          "en": ("Proefpersoon", "Wim", "1998-10-23")}
# Each run's referral, told apart by its purpose in VDAB's inbox (the demo offers one too).
PURPOSES = {"nl": "Zoektocht naar een opleiding in de zorg",
            "en": "Finding a training course in logistics"}
# Where the admin appoints the first access manager (one organisation per run).
NEW_ACCESS_MANAGER_AT = {"nl": "VDAB Gent", "en": "Justitiehuis Gent"}
# Who sits in the meeting: the chair, and the reference persons of the two organisations.
ATTENDEES = ("chair", "caw_rp", "vdab_rp")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_from_signal_to_partner_and_audit(open_as, language):
    family, given, born = PEOPLE[language]
    story = Story(family=family, given=given, birth_date=born, purpose=PURPOSES[language])

    rp = open_as("caw_rp", language)
    story.reference = steps.register_case(rp, family=family, given=given, birth_date=born,
                                          consent="given")
    story.case_path = rp.path()
    rp.shot("01-case-registered")
    steps.start_screening(rp)
    steps.record_informing(rp)
    steps.write_note(rp, story.note)
    steps.disclose_to_livc(rp, story.note)
    steps.propose(rp)
    rp.shot("02-case-proposed")

    chair = open_as("chair", language)
    story.meeting_path = steps.plan_meeting(chair, ATTENDEES)
    chair.shot("03-meeting-planned")
    steps.put_on_agenda(chair, story.reference)
    chair.shot("04-agenda")

    vdab = open_as("vdab_rp", language)
    for person in (chair, rp, vdab):
        steps.acknowledge(person, story.meeting_path)
    vdab.shot("05-acknowledged")

    steps.open_session(chair, story)
    steps.decide_start_programme(chair, story, coordinator="CAW Oost-Vlaanderen",
                                 action_for="VDAB Gent")
    chair.shot("06-decision")
    steps.draft_feedback(chair, story)
    for person in (chair, rp, vdab):
        steps.approve_feedback(person, story)
    steps.feedback_issued(chair, story)
    chair.shot("07-feedback-sheet")
    police = open_as("police_io", language)
    steps.police_reads_the_sheet(police, story)

    steps.refer(rp, story, to="VDAB Gent")
    rp.shot("08-referred")
    steps.accept_from_inbox(vdab, story)
    vdab.shot("09-accepted")

    auditor = open_as("auditor", language)
    steps.audit_case(auditor, story)
    auditor.shot("10-audit-case")
    steps.verify_chain(auditor)
    auditor.shot("11-audit-chain")

    admin = open_as("admin", language)
    steps.create_user(admin, f"e2e-{language}", NEW_ACCESS_MANAGER_AT[language])
    admin.shot("12-user-created")

    dpo = open_as("dpo", language)
    steps.access_report(dpo, story)
    dpo.shot("13-access-report")

    outsider = open_as("jh_rp", language)
    steps.outsider_sees_nothing(outsider, story)
    outsider.shot("14-outsider-not-found")
