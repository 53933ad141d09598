"""Break-glass: the role check before existence, the LIVC boundary, the holder told, and the
grant lapsing with the role."""

from __future__ import annotations

import uuid

from tests.factories import assert_problem, build, grant_break_glass


def test_break_glass_role_check_does_not_depend_on_existence(world):
    case = build(world)
    police = world.login("police_io")
    a = police.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": "urgent need"})
    b = police.post(f"/api/v1/cases/{uuid.uuid4()}/break-glass", json={"reason": "urgent need"})
    assert a.status_code == b.status_code == 403
    assert a.get_json() == b.get_json()


def test_break_glass_stays_within_the_livc_and_tells_the_holder(world):
    case = build(world)
    outsider = world.login("elsewhere_rp")  # CAW Antwerpen: not a member of this LIVC
    assert_problem(outsider.post(f"/api/v1/cases/{case.id}/break-glass",
                                 json={"reason": "urgent need"}), 404)
    member = world.login("member_rp")  # CGG Gent: member organisation, no relation
    r = member.post(f"/api/v1/cases/{case.id}/break-glass", json={"reason": "urgent need"})
    assert r.status_code == 201
    assert member.get(f"/api/v1/cases/{case.id}").get_json()["access_rule"] == "break_glass"
    assert_problem(member.get(f"/api/v1/cases/{case.id}/history"), 403, rule="break_glass")
    assert member.get(f"/api/v1/cases/{case.id}/notes").status_code == 403
    kinds = [n["kind"] for n in world.login("owner_rp").get("/api/v1/notifications")
             .get_json()["items"]]
    assert "break_glass" in kinds


def test_break_glass_lapses_with_the_reference_person_role(world):
    from sqlalchemy import select

    from referral.accounts.models import RoleAssignment, User

    case = build(world)
    grant_break_glass(world, case, "member_rp")
    holder = world.login("member_rp")
    assert holder.get(f"/api/v1/cases/{case.id}").get_json()["access_rule"] == "break_glass"
    assert [c["id"] for c in holder.get("/api/v1/cases").get_json()["items"]] == [str(case.id)]
    with world.session() as s:
        uid = s.scalar(select(User.id).where(User.username == "member_rp"))
        for ra in s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == uid)):
            ra.role = "case_worker"  # moved to another job within the organisation
        s.commit()
    again = world.login("member_rp")
    assert again.get(f"/api/v1/cases/{case.id}").status_code == 404
    assert again.get("/api/v1/cases").get_json()["items"] == []
