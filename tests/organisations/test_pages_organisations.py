"""The administrator's organisation pages: create, rename, change the kind (by its label),
errors next to the field; every other user reads the directory only."""

from __future__ import annotations

from referral.organisations.models import Organisation
from tests.accounts.admin_pages_support import Browser, html
from tests.factories import build


def test_the_admin_creates_and_edits_an_organisation(world, admin):
    browser = Browser(world, "root")
    listing = browser.text("/admin/organisations")
    assert '<option value="justice_centre">Justice centre</option>' in listing
    r = browser.post("/admin/organisations", {"name": "JH Gent", "kind": "justice_centre"})
    assert r.status_code == 303
    url = r.headers["Location"]
    page = browser.text(url)
    assert "Organisation JH Gent created." in page
    assert "Justice centre" in page
    r = browser.post(url, {"name": "Justitiehuis Gent", "kind": "justice_centre",
                           "version": "1"})
    assert r.status_code == 303
    assert "Organisation saved." in browser.text(url)
    with world.session() as s:
        org = s.query(Organisation).filter_by(name="Justitiehuis Gent").one()
        assert (org.kind, org.version) == ("justice_centre", 2)
    # A stale form (someone saved in between) overwrites nothing.
    r = browser.post(url, {"name": "Old name", "kind": "other", "version": "1"})
    assert "Someone else changed this in the meantime" in browser.text(r.headers["Location"])
    with world.session() as s:
        assert s.get(Organisation, org.id).name == "Justitiehuis Gent"


def test_errors_are_said_next_to_the_field(world, admin):
    world.org("CAW Gent")
    browser = Browser(world, "root")
    r = browser.post("/admin/organisations", {"name": "CAW Gent", "kind": "caw"})
    assert r.status_code == 422
    assert 'id="name-error"' in html(r)
    assert "An organisation with this name exists already." in html(r)
    assert 'value="CAW Gent"' in html(r)  # the input is kept
    r = browser.post("/admin/organisations", {"name": "X", "kind": "bakery"})
    assert r.status_code == 422
    assert 'id="kind-error"' in html(r)
    assert "Choose one of the options offered." in html(r)


def test_the_dutch_page_shows_kinds_by_their_dutch_label(world, admin):
    world.org("VDAB Gent", "vdab")
    page = Browser(world, "root", language=None).text("/admin/organisations")
    assert "Organisaties" in page
    assert "Nieuwe organisatie" in page
    assert ">vdab<" not in page


def test_others_read_the_directory_but_change_nothing(world):
    build(world)
    rp = Browser(world, "owner_rp")
    listing = rp.text("/admin/organisations")
    assert "CAW Gent" in listing
    assert "New organisation" not in listing
    caw = world.orgs["CAW Gent"].id
    assert "Change" not in rp.text(f"/admin/organisations/{caw}").split("</header>")[1]
    r = rp.post("/admin/organisations", {"name": "Mine", "kind": "caw"})
    assert r.status_code == 403
    assert "only administrators manage organisations" in html(r)
    r = rp.post(f"/admin/organisations/{caw}", {"name": "Renamed", "kind": "other"})
    assert r.status_code == 403
    with world.session() as s:
        assert s.get(Organisation, caw).name == "CAW Gent"


def test_the_api_changes_organisations_and_memberships_like_the_pages(world):
    build(world)
    admin = world.login("admin1")
    caw = world.orgs["CAW Gent"].id
    r = admin.patch(f"/api/v1/organisations/{caw}", json={"name": "CAW Gent-Eeklo",
                                                          "version": 1})
    assert r.status_code == 200
    assert r.get_json()["name"] == "CAW Gent-Eeklo"
    assert admin.patch(f"/api/v1/organisations/{caw}", json={"kind": "other",
                                                             "version": 1}).status_code == 409
    rp = world.login("owner_rp")
    assert rp.patch(f"/api/v1/organisations/{caw}", json={"name": "x"}).status_code == 403
    members = f"/api/v1/livcs/{world.livc.id}/members"
    vdab = world.orgs["VDAB Gent"].id
    assert rp.delete(f"{members}/{vdab}").status_code == 403
    r = admin.delete(f"{members}/{vdab}")
    assert r.status_code == 200
    assert str(vdab) not in {m["organisation_id"] for m in r.get_json()["members"]}
    assert admin.delete(f"{members}/{vdab}").status_code == 404
    r = admin.delete(f"{members}/{world.orgs['CGG Gent'].id}")  # its user is a LIVC member
    assert r.status_code == 422
    assert "organisation_id" in r.get_json()["errors"]
