"""The administrator's and the access manager's user pages, driven like a browser: who may
grant which role is shown before saving, refused combinations are explained in words and
refused by the server, and an access manager sees its own organisation's users only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from referral.accounts.models import RoleAssignment, User
from referral.core import clock
from tests.accounts.admin_pages_support import Browser, browser_with_mfa, html, new_user_form
from tests.factories import build, totp

OWN_PASSWORD = "a long and own passphrase"
SOD = "Separation of duties"


def _roles_of(world, username):
    with world.session() as s:
        return sorted(r.role for r in s.scalars(
            select(RoleAssignment).join(User).where(User.username == username)))


def _user_id(world, username):
    with world.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def test_the_admin_creates_an_organisation_and_its_first_access_manager(world, admin):
    browser = Browser(world, "root")
    r = browser.post("/admin/organisations", {"name": "CAW Oost-Vlaanderen", "kind": "caw"})
    assert r.status_code == 303
    org_page = browser.text(r.headers["Location"])
    assert "CAW Oost-Vlaanderen" in org_page
    assert "Welfare centre (CAW)" in org_page  # the kind by its label, not "caw"
    org_id = r.headers["Location"].rsplit("/", 1)[1]
    form = browser.text(f"/admin/users/new?organisation_id={org_id}")
    # Before saving: which roles the administrator may grant here, and why not the others.
    assert 'value="access_manager">' in form
    assert 'value="reference_person" disabled' in form
    assert "case roles are granted by the organisation&#39;s own access manager" in form
    r = browser.post("/admin/users/new", new_user_form(org_id, "anouk", ["access_manager"]))
    assert r.status_code == 303, html(r)
    user_page = browser.text(r.headers["Location"])
    assert "User Anouk created." in user_page
    assert "Access manager" in user_page
    assert _roles_of(world, "anouk") == ["access_manager"]
    # The first password works, set as the API sets it (the user changes it later).
    Browser(world, "anouk", password=OWN_PASSWORD)
    # The second access manager is not the administrator's to appoint.
    again = browser.text(f"/admin/users/new?organisation_id={org_id}")
    assert 'value="access_manager" disabled' in again
    assert "appoints only an organisation&#39;s first access manager" in again


def test_the_admin_grants_a_livc_role_through_the_user_page(world):
    build(world)
    browser = Browser(world, "admin1")
    quiet = world.user("quiet", "CGG Gent", [])
    page = browser.text(f"/admin/users/{quiet.id}")
    livc_member = f"livc_member:{world.livc.id}"
    assert f'value="{livc_member}">' in page
    r = browser.post(f"/admin/users/{quiet.id}/roles", {"roles": [livc_member],
                                                        "step": "check"})
    assert r.status_code == 200
    assert "LIVC member in LIVC Test" in html(r)
    assert "This change is allowed." in html(r)
    assert _roles_of(world, "quiet") == []  # checking saves nothing
    r = browser.post(f"/admin/users/{quiet.id}/roles", {"roles": [livc_member],
                                                        "step": "save"})
    assert r.status_code == 303
    assert "Roles saved." in browser.text(r.headers["Location"])
    assert _roles_of(world, "quiet") == ["livc_member"]


def test_a_refused_combination_is_explained_before_saving_and_refused_on_save(world):
    world.org("CAW Gent")
    world.user("anouk", "CAW Gent", ["access_manager"])
    cato = world.user("cato", "CAW Gent", ["reference_person"])
    manager = Browser(world, "anouk")
    both = {"roles": ["reference_person", "access_manager"]}
    r = manager.post(f"/admin/users/{cato.id}/roles", {**both, "step": "check"})
    assert r.status_code == 422
    assert "Refused:" in html(r)
    assert SOD in html(r)
    assert "Access manager" in html(r)  # what the change would grant, by its label
    r = manager.post(f"/admin/users/{cato.id}/roles", {**both, "step": "save"})
    assert r.status_code == 422
    assert "Not saved" in html(r)
    assert SOD in html(r)
    assert 'value="access_manager" checked' in html(r)  # the choice is kept to correct it
    assert _roles_of(world, "cato") == ["reference_person"]


def test_a_forced_grant_is_refused_by_the_server_with_the_rule_in_words(world):
    build(world)
    browser = Browser(world, "admin1")
    quiet = world.user("quiet", "CAW Gent", [])
    # The box is disabled on the page; a hand-made request gets the server's answer.
    r = browser.post(f"/admin/users/{quiet.id}/roles", {"roles": ["reference_person"],
                                                        "step": "save"})
    assert r.status_code == 403
    assert "case roles are granted by the organisation&#39;s own access manager" in html(r)
    assert _roles_of(world, "quiet") == []
    r = browser.post("/admin/users/new", new_user_form(
        world.orgs["CAW Gent"].id, "mole", ["reference_person"]))
    assert r.status_code == 403
    assert "case roles are granted" in html(r)
    assert _user_id(world, "mole") is None


def test_an_access_manager_grants_case_roles_of_its_own_organisation(world):
    world.org("CAW Gent")
    world.user("anouk", "CAW Gent", ["access_manager"])
    manager = Browser(world, "anouk")
    page = manager.text("/admin/users/new")
    assert "New user at CAW Gent" in page
    assert 'value="reference_person">' in page
    assert 'value="admin" disabled' in page
    r = manager.post("/admin/users/new", new_user_form(world.orgs["CAW Gent"].id, "wout",
                                                       ["case_worker"]))
    assert r.status_code == 303, html(r)
    assert _roles_of(world, "wout") == ["case_worker"]
    wout = _user_id(world, "wout")
    r = manager.post(f"/admin/users/{wout}/roles", {"roles": ["reference_person"],
                                                   "step": "save"})
    assert r.status_code == 303
    assert _roles_of(world, "wout") == ["reference_person"]


def test_an_access_manager_does_not_see_another_organisations_users(world):
    world.org("CAW Gent")
    world.org("VDAB Gent", "vdab")
    world.user("anouk", "CAW Gent", ["access_manager"])
    victor = world.user("victor", "VDAB Gent", ["reference_person"])
    manager = Browser(world, "anouk")
    listing = manager.text("/admin/users")
    assert "Anouk" in listing
    assert "Victor" not in listing
    assert "VDAB Gent" not in listing
    assert manager.text(f"/admin/users?organisation_id={world.orgs['VDAB Gent'].id}").count(
        "Victor") == 0
    for r in (manager.get(f"/admin/users/{victor.id}"),
              manager.post(f"/admin/users/{victor.id}/roles", {"roles": [], "step": "save"}),
              manager.post(f"/admin/users/{victor.id}/active", {"active": "false"})):
        assert r.status_code == 404
        assert "Victor" not in html(r)
        assert "victor" not in html(r)
    with world.session() as s:
        assert s.get(User, victor.id).active


def test_a_reference_person_has_no_administration(world):
    build(world)
    rp = Browser(world, "owner_rp")
    someone = _user_id(world, "owner_cw")
    for url in ("/admin", "/admin/users", "/admin/users/new", f"/admin/users/{someone}"):
        r = rp.get(url)
        assert r.status_code in {403, 404}, url
        assert "owner_cw" not in html(r)
        assert "Owner_Cw" not in html(r)
    assert "administrators and access managers manage user accounts" in html(rp.get("/admin"))
    r = rp.post(f"/admin/users/{someone}/active", {"active": "false"})
    assert r.status_code == 403
    assert "/admin" not in rp.text("/")  # no menu entry
    assert Browser(world, None).get("/admin").status_code == 302  # anonymous: to the login


def test_deactivating_a_user_ends_their_access_at_once(world):
    build(world)
    browser = Browser(world, "admin1")
    member = world.login("member")
    assert member.get("/api/v1/me").status_code == 200
    target = _user_id(world, "member")
    r = browser.post(f"/admin/users/{target}/active", {"active": "false"})
    assert r.status_code == 303
    assert "The account is deactivated" in browser.text(r.headers["Location"])
    assert member.get("/api/v1/me").status_code == 401
    r = browser.post(f"/admin/users/{target}/active", {"active": "true"})
    assert "The account is active again." in browser.text(r.headers["Location"])


def test_the_admin_ends_a_users_sessions_and_tokens(world):
    build(world)
    member = world.login("member")
    token = member.post("/api/v1/tokens", json={"name": "script"}).get_json()["token"]
    browser = Browser(world, "admin1")
    target = _user_id(world, "member")
    r = browser.post(f"/admin/users/{target}/sessions", {"tokens": "on"})
    assert r.status_code == 303
    assert "Sessions ended: 1. API tokens revoked: 1." in browser.text(r.headers["Location"])
    assert member.get("/api/v1/me").status_code == 401
    bearer = world.app.test_client().get("/api/v1/me",
                                         headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    # An access manager may not end sessions (the API's user:end_sessions is the admin's).
    world.user("anouk", "CGG Gent", ["access_manager"])
    assert Browser(world, "anouk").post(f"/admin/users/{target}/sessions").status_code == 403


def test_a_weak_first_password_is_said_next_to_the_field_and_not_sent_back(world):
    world.org("CAW Gent")
    world.user("anouk", "CAW Gent", ["access_manager"])
    manager = Browser(world, "anouk", language=None)  # Dutch, the default
    form = new_user_form(world.orgs["CAW Gent"].id, "wout", ["case_worker"],
                         password="kort")
    r = manager.post("/admin/users/new", form)
    assert r.status_code == 422
    page = html(r)
    assert 'id="password-error"' in page
    assert "Gebruik minstens 12 tekens." in page
    assert 'value="wout"' in page  # the input is kept ...
    assert "kort" not in page  # ... except the secret
    assert _user_id(world, "wout") is None
    r = manager.post("/admin/users/new", {**form, "password": OWN_PASSWORD,
                                          "username": "anouk"})
    assert r.status_code == 422
    assert "Deze gebruikersnaam is al in gebruik." in html(r)


def test_the_roles_form_speaks_dutch_by_default(world):
    world.org("CAW Gent")
    world.user("anouk", "CAW Gent", ["access_manager"])
    cato = world.user("cato", "CAW Gent", ["reference_person"])
    page = Browser(world, "anouk", language=None).text(f"/admin/users/{cato.id}")
    assert '<html lang="nl-BE">' in page
    assert "Functiescheiding" in page
    assert "Referentiepersoon" in page
    assert "reference_person</" not in page  # never the bare id as text


def test_a_role_change_needs_a_recent_second_factor(world):
    build(world)
    browser, secret = browser_with_mfa(world, "admin1")
    quiet = world.user("quiet", "CGG Gent", [])
    clock.advance(timedelta(minutes=11))
    assert "Confirm with a code" in browser.text(f"/admin/users/{quiet.id}")
    livc_member = f"livc_member:{world.livc.id}"
    r = browser.post(f"/admin/users/{quiet.id}/roles", {"roles": [livc_member],
                                                        "step": "save"})
    assert r.status_code == 303
    assert "/account/confirm" in r.headers["Location"]
    assert _roles_of(world, "quiet") == []
    r = browser.post("/account/confirm", {"code": totp(secret),
                                          "next": f"/admin/users/{quiet.id}"})
    assert r.headers["Location"].endswith(f"/admin/users/{quiet.id}")
    browser.refresh()
    r = browser.post(f"/admin/users/{quiet.id}/roles", {"roles": [livc_member],
                                                        "step": "save"})
    assert r.status_code == 303
    assert _roles_of(world, "quiet") == ["livc_member"]
