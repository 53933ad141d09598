"""Server-side sessions (timeouts, rotation, listing and ending), personal API tokens and
password changes, with the controllable clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from referral.accounts.models import ApiToken, User, UserSession
from referral.accounts.sessions import token_hash
from referral.core import clock
from tests.factories import PASSWORD, assert_problem


def _sessions(dbs, username):
    dbs.expire_all()
    user = dbs.scalar(select(User).where(User.username == username))
    rows = dbs.scalars(select(UserSession).where(UserSession.user_id == user.id)
                       .order_by(UserSession.created_at)).all()
    dbs.commit()
    return rows


def test_idle_session_ends_after_30_minutes(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    clock.advance(timedelta(minutes=29))
    assert api.get("/api/v1/me").status_code == 200  # activity keeps it alive
    clock.advance(timedelta(minutes=29))
    assert api.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert_problem(api.get("/api/v1/me"), 401)
    assert [r.end_reason for r in _sessions(dbs, "cato")] == ["idle_timeout"]


def test_active_session_still_ends_after_12_hours(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    for _ in range(12 * 3 - 1):  # busy all day: a request every 20 minutes
        clock.advance(timedelta(minutes=20))
        assert api.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=21))
    assert_problem(api.get("/api/v1/me"), 401)
    assert [r.end_reason for r in _sessions(dbs, "cato")] == ["absolute_timeout"]


def test_login_rotates_the_session_id(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    before = api.client.get_cookie("livc_session").value
    r = api.client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD},
                        headers={"X-CSRF-Token": api.csrf})
    assert r.status_code == 200, r.get_json()
    after = api.client.get_cookie("livc_session").value
    assert after != before
    thief = world.app.test_client()
    thief.set_cookie("livc_session", before)
    assert_problem(thief.get("/api/v1/me"), 401)
    assert [r.end_reason for r in _sessions(dbs, "cato")] == ["replaced", None]
    # The (signed) cookie holds a random id and no user id; the table only the id's hash.
    cookie = world.app.session_interface.get_signing_serializer(world.app).loads(after)
    session_id = cookie["_user_id"]
    assert len(session_id) >= 43
    assert str(_sessions(dbs, "cato")[1].user_id) not in str(cookie)
    assert _sessions(dbs, "cato")[1].token_hash == token_hash(session_id)


def test_list_and_end_sessions(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    laptop = world.login("cato")
    phone = world.login("cato")
    listed = laptop.get("/api/v1/sessions").get_json()
    assert len(listed) == 2
    assert sorted(s["current"] for s in listed) == [False, True]
    assert all(s["client_address"] == "127.0.0.1" for s in listed)
    assert all("token" not in s and "token_hash" not in s for s in listed)
    other = next(s for s in listed if not s["current"])
    # Someone else's session does not exist for you.
    assert_problem(world.login("otto").delete(f"/api/v1/sessions/{other['id']}"), 404)
    assert laptop.delete(f"/api/v1/sessions/{other['id']}").status_code == 204
    assert_problem(phone.get("/api/v1/me"), 401)
    assert laptop.get("/api/v1/me").status_code == 200
    assert [s["current"] for s in laptop.get("/api/v1/sessions").get_json()] == [True]
    assert_problem(laptop.delete(f"/api/v1/sessions/{other['id']}"), 404)


def test_tokens_are_stored_hashed_expire_and_record_their_use(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    created = api.post("/api/v1/tokens", json={"name": "script", "expires_in_days": 2})
    assert created.status_code == 201
    body = created.get_json()
    token = body["token"]
    row = dbs.get(ApiToken, uuid.UUID(body["id"]))
    dbs.commit()
    assert row.token_hash == token_hash(token)
    assert token.encode() not in row.token_hash
    assert row.last_used_at is None
    headers = {"Authorization": f"Bearer {token}"}
    bearer = world.app.test_client()
    assert bearer.get("/api/v1/me", headers=headers).status_code == 200
    listed = api.get("/api/v1/tokens").get_json()
    assert listed[0]["last_used_at"] is not None
    assert "token" not in listed[0]
    clock.advance(timedelta(days=2, seconds=1))
    assert_problem(bearer.get("/api/v1/me", headers=headers), 401)
    assert_problem(bearer.get("/api/v1/me", headers={"Authorization": "Bearer lr_nonsense"}),
                   401)


def test_revoked_token_and_other_peoples_tokens(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    created = api.post("/api/v1/tokens", json={"name": "script"}).get_json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert_problem(world.login("otto").delete(f"/api/v1/tokens/{created['id']}"), 404)
    assert world.app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert_problem(world.app.test_client().get("/api/v1/me", headers=headers), 401)
    assert api.get("/api/v1/tokens").get_json()[0]["revoked_at"] is not None


def test_password_change_ends_the_other_sessions(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    here = world.login("cato")
    elsewhere = world.login("cato")
    r = here.post("/api/v1/auth/password", json={"current_password": "wrong" * 3,
                                                  "new_password": "a brand new passphrase"})
    assert "current_password" in assert_problem(r, 422)["errors"]
    r = here.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                  "new_password": "password"})
    assert "new_password" in assert_problem(r, 422)["errors"]
    r = here.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                  "new_password": "a brand new passphrase"})
    assert r.status_code == 204
    assert here.get("/api/v1/me").status_code == 200
    assert_problem(elsewhere.get("/api/v1/me"), 401)
    assert sorted(str(r.end_reason) for r in _sessions(dbs, "cato")) == [
        "None", "password_changed"]
    world.login("cato", "a brand new passphrase")


def test_at_most_ten_sessions_per_user(world, app, dbs):
    app.config["SESSION_MAX_CONCURRENT"] = 10  # the default, raised in conftest for the others
    world.user("cato", "CAW Gent", ["reference_person"])
    first = world.login("cato")
    clock.advance(timedelta(minutes=2))
    others = []
    for _ in range(10):
        others.append(world.login("cato"))
        clock.advance(timedelta(seconds=1))
    # The eleventh session ended the least recently used one.
    assert_problem(first.get("/api/v1/me"), 401)
    assert all(api.get("/api/v1/me").status_code == 200 for api in others)
    assert [r.end_reason for r in _sessions(dbs, "cato")].count("session_limit") == 1


def test_admin_ends_the_sessions_of_a_user_or_of_everyone(world, admin):
    user = world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    cato = world.login("cato")
    token = cato.post("/api/v1/tokens", json={"name": "script"}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    otto = world.login("otto")
    assert_problem(cato.delete(f"/api/v1/users/{user.id}/sessions"), 403, rule="admin_only")
    r = admin.delete(f"/api/v1/users/{user.id}/sessions")
    assert r.get_json() == {"sessions_ended": 1, "tokens_revoked": 0}
    assert_problem(cato.get("/api/v1/me"), 401)
    assert world.app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    r = admin.delete(f"/api/v1/users/{user.id}/sessions?tokens=true")
    assert r.get_json() == {"sessions_ended": 0, "tokens_revoked": 1}
    assert_problem(world.app.test_client().get("/api/v1/me", headers=bearer), 401)
    r = admin.delete("/api/v1/users/sessions")
    assert r.status_code == 200
    assert r.get_json()["sessions_ended"] == 1  # otto's; never the admin's own
    assert_problem(otto.get("/api/v1/me"), 401)
    assert admin.get("/api/v1/me").status_code == 200


def test_logout_clears_site_data(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    r = api.post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert r.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_passwords_made_of_context_words_are_refused(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    for weak in ("livc-referral-2026!", "CAW Gent welkom 2026", "Cato Cato Cato!"):
        r = api.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                     "new_password": weak})
        assert "new_password" in assert_problem(r, 422)["errors"], weak
    r = api.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                 "new_password": "agent smith loves jazz"})
    assert r.status_code == 204
