"""The inbox and the home page: referrals to accept or decline (with a reason), cases that
need a step, overdue screenings and reviews, matches, the organisation's open LIVC actions;
the home page counts them per role, without case content."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from referral.cases.models import Case
from referral.cases.referrals.models import Referral
from referral.core import clock
from tests.cases.page_support import Browser, label_of, said
from tests.factories import build, grant_break_glass, make_case


def _offered(world, case):
    with world.session() as s:
        return s.scalar(select(Referral).where(Referral.case_id == case.id,
                                               Referral.to_organisation_id
                                               == world.orgs["VDAB Gent"].id))


def _count(html: str, anchor: str) -> int:
    found = re.search(rf'#{anchor}"><span class="count">(\d+)</span>', html)
    assert found, anchor
    return int(found.group(1))


def test_the_recipient_accepts_or_declines_with_a_reason_from_the_inbox(world):
    case = build(world)
    second = make_case(world, referrals=(("VDAB Gent", "offered"),))
    vdab = Browser(world, "offered_rp")
    inbox = vdab.html("/inbox")
    assert '<html lang="nl-BE">' in inbox
    assert inbox.count("help with housing") == 2
    assert said(world, "Reason for declining") in inbox
    referral = _offered(world, case)
    url = f"/referrals/{referral.id}/transition"
    page = vdab.follow(url, {"trigger": "decline", "reason": "  "})
    assert said(world, "Say why you decline the referral.") in page
    page = vdab.follow(url, {"trigger": "decline", "reason": "Geen plaats in de groep"})
    assert said(world, "Done: %(step)s.", step=label_of(world, "decline", "trigger")) in page
    assert _offered(world, case).state == "declined"
    page = vdab.follow(f"/referrals/{_offered(world, second).id}/transition",
                       {"trigger": "accept"})
    assert _offered(world, second).state == "accepted"
    assert "help with housing" in page  # accepted: the inbox offers to start it now
    assert said(world, "Start") in page


def test_a_case_worker_of_the_recipient_sees_the_referral_but_not_the_decision(world):
    build(world)
    world.user("vdab_cw", "VDAB Gent", ["case_worker"])
    inbox = Browser(world, "vdab_cw").html("/inbox")
    assert "help with housing" in inbox
    assert 'value="accept"' not in inbox
    assert said(world, "Your organisation's reference person decides.") in inbox


def test_the_owner_sees_steps_overdue_work_and_matches(world):
    build(world, state="closed")
    signalled = make_case(world, state="signalled")
    late = make_case(world, state="guidance")
    with world.session() as s:
        s.get(Case, late.id).next_review_due = clock.now().date() - timedelta(days=3)
        s.get(Case, signalled.id).screening_due = clock.now().date() - timedelta(days=1)
        s.commit()
    rp = Browser(world, "owner_rp")
    identity = {"livc_id": str(world.livc.id), "family_name": "Maes", "given_names": "Lotte",
                "birth_date": "1999-09-09", "consent": "given"}
    assert rp.post("/cases/new", identity).status_code == 302
    assert Browser(world, "member_rp").post("/cases/new", identity).status_code == 302
    inbox = rp.html("/inbox")
    steps = inbox.split('id="action-title"')[1].split("</section>")[0]
    assert signalled.reference in steps
    assert said(world, "start the screening") in steps
    overdue = inbox.split('id="overdue-title"')[1].split("</section>")[0]
    assert late.reference in overdue
    assert signalled.reference in overdue
    matches = inbox.split('id="matches-title"')[1].split("</section>")[0]
    assert "CGG Gent" in matches
    home = rp.html("/")
    assert _count(home, "action-title") >= 2
    assert _count(home, "overdue-title") == 2
    assert _count(home, "matches-title") == 1
    assert "Maes" not in home
    assert late.reference not in home  # counts only


def test_the_organisations_open_livc_actions(world):
    from tests.meetings.actions_support import decide_actions

    decide_actions(world, ("CAW Gent", "Huisbezoek met de moeder plannen", 7),
                   ("CGG Gent", "Intake bij de psycholoog", 14))
    rp = Browser(world, "owner_rp")
    inbox = rp.html("/inbox")
    actions = inbox.split('id="actions-title"')[1].split("</section>")[0]
    assert "Huisbezoek met de moeder plannen" in actions
    assert "Intake bij de psycholoog" not in inbox  # another organisation's action
    assert _count(rp.html("/"), "actions-title") == 1


def test_home_says_per_role_what_needs_attention_without_case_content(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Vertrouwelijke inhoud",
                                                           "compartment": "internal"})
    assert r.status_code == 201
    vdab = Browser(world, "offered_rp").html("/")
    assert _count(vdab, "incoming-title") == 1
    assert label_of(world, "reference_person", "role") in vdab
    auditor_view = Browser(world, "auditor1")
    assert 'class="count">0<' in auditor_view.html("/")
    grant_break_glass(world, case, "elsewhere_rp")
    home = auditor_view.html("/")
    assert re.search(r'/audit/break-glass[^"]*"><span class="count">1</span>', home)
    assert "/inbox" not in home
    chair = Browser(world, "chair").html("/")
    assert "LIVC Test" in chair  # the chair's role with its LIVC by name
    assert str(world.livc.id) not in chair
    for html in (vdab, home, chair):
        assert "Vertrouwelijke inhoud" not in html
        assert case.reference not in html
