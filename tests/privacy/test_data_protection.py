"""Identity and data protection through the API: matching, re-identification, retention,
legal hold, the data-subject access report, and no plaintext anywhere in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select, text

from referral.core import clock
from tests.factories import assert_problem, build


def _nn(yymmdd: str, serial: str = "001", from_2000: bool = False) -> str:
    first9 = yymmdd + serial
    check = 97 - (int(("2" if from_2000 else "") + first9) % 97)
    return f"{first9}{check:02d}"


NN = _nn("900501", "123")


def _register(world, api, identity):
    r = api.post("/api/v1/cases", json={"livc_id": str(world.livc.id), "identity": identity})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_identity_validation_names_the_field(world):
    build(world)
    api = world.login("owner_rp")
    bad = NN[:-1] + str((int(NN[-1]) + 1) % 10)
    r = api.post("/api/v1/cases", json={"livc_id": str(world.livc.id),
                                        "identity": {"national_number": bad}})
    errors = assert_problem(r, 422)["errors"]
    assert "identity.national_number" in errors
    future = (clock.now() + timedelta(days=3)).date().isoformat()
    r = api.post("/api/v1/cases", json={"livc_id": str(world.livc.id), "identity": {
        "family_name": "A", "given_names": "B", "birth_date": future}})
    assert "identity.birth_date" in assert_problem(r, 422)["errors"]


def test_same_person_same_pseudonym_and_both_holders_told(world):
    build(world)
    caw = world.login("owner_rp")
    first = _register(world, caw, {"national_number": NN})
    assert first["matches"] == 0
    jh = world.login("accepted_rp")
    dotted = f"{NN[:2]}.{NN[2:4]}.{NN[4:6]}-{NN[6:9]}.{NN[9:]}"
    second = _register(world, jh, {"national_number": dotted})
    assert second["pseudonym"] == first["pseudonym"]
    assert second["matches"] == 1
    for api in (caw, jh):
        kinds = [n for n in api.get("/api/v1/notifications").get_json()["items"]
                 if n["kind"] == "match"]
        assert kinds
        assert NN not in str(kinds)
    matches = caw.get("/api/v1/matches").get_json()
    assert [m["other_organisation"]["name"] for m in matches] == ["Justitiehuis Gent"]
    assert matches[0]["contact_reference_person"] == "Accepted_Rp"
    # Names normalise: accents, case and spacing do not change the pseudonym.
    a = _register(world, caw, {"family_name": "Dupont", "given_names": "Émile",
                               "birth_date": "2001-02-03"})
    b = _register(world, jh, {"family_name": " DUPONT", "given_names": "emile  ",
                              "birth_date": "2001-02-03"})
    assert a["pseudonym"] == b["pseudonym"]


def test_reidentification_needs_a_reason_and_a_care_relation(world, dbs):
    build(world)
    owner = world.login("owner_rp")
    case = _register(world, owner, {"national_number": NN})
    assert "reason" in assert_problem(owner.post(
        f"/api/v1/cases/{case['id']}/reidentify", json={"reason": " "}), 422)["errors"]
    r = owner.post(f"/api/v1/cases/{case['id']}/reidentify", json={"reason": "home visit"})
    assert r.get_json() == {"identity": {"national_number": NN}}
    r = owner.post(f"/api/v1/cases/{case['id']}/reidentify",
                   json={"reason": "meeting at the office", "reason_category": "care_contact"})
    assert r.status_code == 200
    assert "reason_category" in assert_problem(owner.post(
        f"/api/v1/cases/{case['id']}/reidentify",
        json={"reason": "x y", "reason_category": "curiosity"}), 422)["errors"]
    assert_problem(world.login("owner_cw").post(f"/api/v1/cases/{case['id']}/reidentify",
                                                json={"reason": "curious"}), 403)
    from referral.core.ledger.models import AuditEvent

    purposes = dbs.scalars(select(AuditEvent.purpose).where(
        AuditEvent.action == "case:reidentify", AuditEvent.outcome == "allowed")).all()
    dbs.rollback()
    # The reason's category leads it: the annual assurance report counts by category.
    assert purposes == ["other: home visit", "care_contact: meeting at the office"]


def test_retention_purge_legal_hold_and_gone(world):
    build(world)
    owner = world.login("owner_rp")
    case = _register(world, owner, {"national_number": NN})
    owner.post(f"/api/v1/cases/{case['id']}/notes", json={"body": "note", "compartment":
                                                          "internal"})
    r = owner.post(f"/api/v1/cases/{case['id']}/transitions",
                   json={"trigger": "close_no_concern", "outcome": "no concern"})
    assert r.status_code == 200, r.get_json()
    world.user("dpo1", "Operator", ["dpo"])
    dpo = world.login("dpo1")
    assert_problem(owner.post(f"/api/v1/cases/{case['id']}/legal-hold",
                              json={"reason": "court"}), 403, rule="dpo_only")
    assert dpo.post(f"/api/v1/cases/{case['id']}/legal-hold",
                    json={"reason": "court order 2026/17"}).status_code == 200
    clock.advance(timedelta(days=365 * 5 + 10))
    runner = world.app.test_cli_runner()
    r = runner.invoke(args=["jobs", "run", "--only", "purge_expired"])
    assert "changed 0" in r.output, r.output
    dpo, owner = world.login("dpo1"), world.login("owner_rp")  # five years on: new sessions
    assert dpo.delete(f"/api/v1/cases/{case['id']}/legal-hold").status_code == 200
    r = runner.invoke(args=["jobs", "run", "--only", "purge_expired"])
    assert "changed 1" in r.output, r.output
    assert_problem(owner.get(f"/api/v1/cases/{case['id']}"), 410)
    assert_problem(owner.post(f"/api/v1/cases/{case['id']}/reidentify",
                              json={"reason": "check identity"}), 410)
    # The audit chain stays valid after the purge.
    report = dpo.post("/api/v1/access-reports", json={"national_number": NN}).get_json()
    assert report["cases"][0]["purged"] is True


def test_access_report_for_the_dpo(world):
    build(world)
    owner = world.login("owner_rp")
    case = _register(world, owner, {"national_number": NN})
    owner.get(f"/api/v1/cases/{case['id']}")
    world.user("dpo1", "Operator", ["dpo"])
    dpo = world.login("dpo1")
    assert_problem(world.login("auditor1").post("/api/v1/access-reports",
                                                json={"national_number": NN}), 403)
    r = dpo.post("/api/v1/access-reports", json={"national_number": NN})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [c["reference"] for c in body["cases"]] == [case["reference"]]
    assert {"Owner_Rp"} <= {a["actor"] for a in body["accesses"]}
    assert "case:read" in {a["action"] for a in body["accesses"]}
    html = dpo.post("/api/v1/access-reports", json={"national_number": NN, "format": "html"})
    assert html.mimetype == "text/html"
    assert case["reference"] in html.get_data(as_text=True)


def test_no_plaintext_identity_or_note_in_any_table(world, app):
    build(world)
    owner = world.login("owner_rp")
    case = _register(world, owner, {"national_number": NN})
    _register(world, owner, {"family_name": "Vandenbroucke", "given_names": "Marieke",
                             "birth_date": "1999-09-09"})
    owner.post(f"/api/v1/cases/{case['id']}/notes",
               json={"body": "Zeer gevoelige observatie", "compartment": "internal"})
    owner.post(f"/api/v1/cases/{case['id']}/reidentify", json={"reason": "visit"})
    engine = app.extensions["referral.db"].engine
    needles = [NN, "Vandenbroucke", "Marieke", "Zeer gevoelige"]
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                dump = repr(tuple(row))
                for needle in needles:
                    assert needle not in dump, (table, needle)


def test_reidentification_is_rate_limited_per_user(world, app):
    build(world)
    app.config["REIDENTIFY_PER_HOUR"] = 2
    owner = world.login("owner_rp")
    case = _register(world, owner, {"national_number": NN})
    url = f"/api/v1/cases/{case['id']}/reidentify"
    assert owner.post(url, json={"reason": "visit 1"}).status_code == 200
    assert owner.post(url, json={"reason": "visit 2"}).status_code == 200
    r = owner.post(url, json={"reason": "visit 3"})
    assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) > 0


def test_reasons_need_words(world):
    case = build(world)
    owner = world.login("owner_rp")
    for reason in ("\u200b", "   ", "..."):
        r = owner.post(f"/api/v1/cases/{case.id}/reidentify", json={"reason": reason})
        assert "reason" in assert_problem(r, 422)["errors"]
