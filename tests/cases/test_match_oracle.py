"""Hit/no-hit matching is a feature, not an oracle: registrations are rate-limited per user,
a match across LIVCs does not name the holder, and a registration closed as "no concern"
right after a match is flagged to the auditors."""

from __future__ import annotations

from tests.cases.page_support import said
from tests.factories import assert_problem, build

IDENTITY = {"family_name": "Peeters", "given_names": "Jan", "birth_date": "1990-05-01"}


def _register(api, livc_id, identity=IDENTITY):
    return api.post("/api/v1/cases", json={"livc_id": str(livc_id), "identity": identity})


def test_registrations_are_rate_limited_per_user(world):
    build(world)
    world.app.config["RATE_LIMIT_REGISTRATIONS"] = "2 per hour"
    owner = world.login("owner_rp")
    for i in range(2):
        r = _register(owner, world.livc.id, {**IDENTITY, "given_names": f"Jan {i}"})
        assert r.status_code == 201, r.get_json()
    r = _register(owner, world.livc.id, {**IDENTITY, "given_names": "Jan 3"})
    assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) >= 1
    # Another user of the organisation has a budget of their own.
    assert _register(world.login("owner_cw"), world.livc.id).status_code == 201


def _other_livc(world):
    """A second LIVC (Antwerp) where CAW Antwerpen registers cases."""
    from referral.organisations.models import Livc, LivcMember, LivcMunicipality

    with world.session() as s:
        livc = Livc(name="LIVC Antwerpen", municipalities=[LivcMunicipality(nis_code="11002")])
        livc.members = [LivcMember(organisation_id=world.orgs["CAW Antwerpen"].id)]
        s.add(livc)
        s.commit()
        return livc.id


def test_a_match_across_livcs_does_not_name_the_holder(world):
    build(world)
    antwerp = _other_livc(world)
    assert _register(world.login("owner_rp"), world.livc.id).get_json()["matches"] == 0
    probe = _register(world.login("elsewhere_rp"), antwerp)
    assert probe.get_json()["matches"] == 1  # hit/no-hit stays
    [seen] = world.login("elsewhere_rp").get("/api/v1/matches").get_json()
    assert seen["same_livc"] is False
    assert seen["other_organisation"] is None
    assert seen["contact_reference_person"] is None
    assert "CAW Gent" not in world.login("elsewhere_rp").get("/api/v1/matches").get_data(
        as_text=True)


def test_a_registration_closed_right_after_a_match_is_flagged(world):
    build(world)
    assert _register(world.login("owner_rp"), world.livc.id).status_code == 201
    prober = world.login("accepted_rp")
    world.app.config["RATE_LIMIT_REGISTRATIONS"] = "1000 per minute"
    r = _register(prober, world.livc.id)
    assert r.get_json()["matches"] == 1
    closed = prober.post(f"/api/v1/cases/{r.get_json()['id']}/transitions",
                         json={"trigger": "close_no_concern", "outcome": "no concern"})
    assert closed.status_code == 200, closed.get_json()
    flags = world.login("auditor1").get("/api/v1/audit/anomalies").get_json()["match_probes"]
    assert [f["cases"] for f in flags] == [1]
    assert said(world, "Possible match probes") in world.login("auditor1").get(
        "/audit/anomalies").get_data(as_text=True)
