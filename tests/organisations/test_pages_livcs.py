"""The administrator's LIVC pages: create a LIVC with its member organisations, invite a
member (the invitation recorded: when and by whom), end a membership; nobody else
changes a LIVC, and only the administrator sees who invited."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from referral.core.ledger.models import AuditEvent
from referral.organisations.models import Livc, LivcMember
from tests.accounts.admin_pages_support import Browser, html
from tests.factories import build


def _members(world, livc_id):
    with world.session() as s:
        return {m.organisation.name for m in s.scalars(
            select(LivcMember).where(LivcMember.livc_id == livc_id))}


def test_the_admin_creates_a_livc_and_records_each_invitation(world, admin):
    for name, kind in (("Stad Gent", "municipality"), ("PZ Gent", "police"),
                       ("CAW Gent", "caw")):
        world.org(name, kind)
    browser = Browser(world, "root")
    form = browser.text("/admin/livcs")
    assert "Municipalities (NIS codes)" in form
    r = browser.post("/admin/livcs", {
        "name": "LIVC-R Gent", "municipality_nis": "44021, 44084",
        "member_organisation_ids": [str(world.orgs["Stad Gent"].id),
                                    str(world.orgs["PZ Gent"].id)],
        "review_interval_days": "90"})
    assert r.status_code == 303, html(r)
    url = r.headers["Location"]
    page = browser.text(url)
    assert "LIVC LIVC-R Gent created." in page
    assert "44021, 44084" in page
    assert "Stad Gent" in page
    assert "PZ Gent" in page
    assert "by Root" in page  # the recorded invitation: who, and when
    livc_id = uuid.UUID(url.rsplit("/", 1)[1])
    r = browser.post(f"{url}/members", {"organisation_id": str(world.orgs["CAW Gent"].id)})
    assert r.status_code == 303
    assert "its invitation is recorded" in browser.text(url)
    assert _members(world, livc_id) == {"Stad Gent", "PZ Gent", "CAW Gent"}
    caw = world.orgs["CAW Gent"].id
    r = browser.post(f"{url}/members/{caw}/remove")
    assert r.status_code == 303
    assert "no longer a member" in browser.text(url)
    assert _members(world, livc_id) == {"Stad Gent", "PZ Gent"}
    with world.session() as s:
        purposes = list(s.scalars(select(AuditEvent.purpose).where(
            AuditEvent.action == "livc:update")))
    assert any(p.startswith(f"member removed: {caw} (invited ") for p in purposes)


def test_bad_input_is_said_next_to_the_field(world, admin):
    browser = Browser(world, "root")
    r = browser.post("/admin/livcs", {"name": "", "municipality_nis": "Gent",
                                      "review_interval_days": "2"})
    assert r.status_code == 422
    page = html(r)
    assert 'id="municipality_nis-error"' in page
    assert "5-digit NIS codes" in page
    assert 'id="review_interval_days-error"' in page
    assert 'value="Gent"' in page


def test_a_membership_with_roles_in_the_livc_is_not_ended(world):
    build(world)
    browser = Browser(world, "admin1")
    cgg = world.orgs["CGG Gent"].id  # its user "member" holds livc_member here
    r = browser.post(f"/admin/livcs/{world.livc.id}/members/{cgg}/remove")
    assert r.status_code == 303
    assert "hold roles in this LIVC: remove those roles first" in browser.text(
        r.headers["Location"])
    assert "CGG Gent" in _members(world, world.livc.id)


def test_only_the_admin_changes_a_livc_or_sees_who_invited(world):
    build(world)
    browser = Browser(world, "admin1")
    elsewhere = world.orgs["CAW Antwerpen"].id
    browser.post(f"/admin/livcs/{world.livc.id}/members", {"organisation_id": str(elsewhere)})
    chair = Browser(world, "chair")
    page = chair.text(f"/admin/livcs/{world.livc.id}")
    assert "CAW Antwerpen" in page
    assert "Admin1" not in page  # who invited is the administrator's directory
    assert "End membership" not in page
    assert "Invite an organisation" not in page
    r = chair.post(f"/admin/livcs/{world.livc.id}/members/{elsewhere}/remove")
    assert r.status_code == 403
    assert "only administrators manage organisations, LIVCs" in html(r)
    r = chair.post("/admin/livcs", {"name": "Mine", "municipality_nis": "44021"})
    assert r.status_code == 403
    assert "CAW Antwerpen" in _members(world, world.livc.id)
    with world.session() as s:
        assert s.scalar(select(Livc.id).where(Livc.name == "Mine")) is None
