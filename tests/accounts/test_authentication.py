"""Login, logout, sessions, CSRF and bearer tokens."""

from __future__ import annotations

from tests.factories import PASSWORD, assert_problem, build


def test_login_returns_user_and_csrf_token(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"]["username"] == "cato"
    assert body["user"]["organisation"]["name"] == "CAW Gent"
    assert body["csrf_token"]
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/api/v1/me").get_json()["username"] == "cato"


def test_unknown_user_and_wrong_password_get_the_same_answer(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    wrong = client.post("/api/v1/auth/login", json={"username": "cato", "password": "nope" * 4})
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "x" * 16})
    a = assert_problem(wrong, 401)
    b = assert_problem(unknown, 401)
    assert a == b


def test_no_session_means_401(client):
    assert_problem(client.get("/api/v1/me"), 401)
    assert_problem(client.get("/api/v1/organisations"), 401)


def test_logout_ends_the_session_even_for_a_stolen_cookie(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    cookie = api.client.get_cookie("livc_session")
    assert cookie is not None
    r = api.post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert_problem(api.get("/api/v1/me"), 401)
    # Replaying the old cookie value does not bring the session back.
    thief = world.app.test_client()
    thief.set_cookie("livc_session", cookie.value)
    assert_problem(thief.get("/api/v1/me"), 401)


def test_state_change_without_csrf_token_is_refused(world, admin):
    r = admin.post("/api/v1/organisations", json={"name": "VDAB", "kind": "vdab"},
                   headers={"X-CSRF-Token": ""})
    assert_problem(r, 403, rule="csrf_token_required")
    admin.csrf = None
    assert_problem(admin.post("/api/v1/organisations", json={"name": "VDAB", "kind": "vdab"}),
                   403, rule="csrf_token_required")
    assert admin.get("/api/v1/organisations").get_json()["total"] == 1


def test_bearer_token_needs_no_csrf_and_dies_with_deactivation(world, admin):
    user = world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    r = api.post("/api/v1/tokens", json={"name": "script", "expires_in_days": 7})
    assert r.status_code == 201
    token = r.get_json()["token"]
    listed = api.get("/api/v1/tokens").get_json()
    assert all("token" not in t for t in listed)
    bearer = world.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert bearer.get("/api/v1/me", headers=headers).status_code == 200
    # Bearer requests carry no ambient credential: no CSRF token needed.
    r = bearer.post("/api/v1/tokens", json={"name": "second"}, headers=headers)
    assert r.status_code == 201
    r = admin.patch(f"/api/v1/users/{user.id}", json={"active": False})
    assert r.status_code == 200
    assert_problem(bearer.get("/api/v1/me", headers=headers), 401)
    assert_problem(api.get("/api/v1/me"), 401)
    # Reactivating the account does not bring the old tokens back (a deactivation is often
    # a lost device or a leaked token): they were revoked, not suspended.
    assert admin.patch(f"/api/v1/users/{user.id}", json={"active": True}).status_code == 200
    assert_problem(bearer.get("/api/v1/me", headers=headers), 401)
    assert all(t["revoked_at"] for t in world.login("cato").get("/api/v1/tokens").get_json())


def test_revoked_token_stops_working(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    created = api.post("/api/v1/tokens", json={"name": "script"}).get_json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert world.app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert_problem(world.app.test_client().get("/api/v1/me", headers=headers), 401)


def test_role_change_ends_sessions(world):
    world.make_livc()
    user = world.user("cato", "CAW Gent", ["reference_person"])
    world.user("anouk", "CAW Gent", ["access_manager"])  # case roles are granted in-house
    api = world.login("cato")
    r = world.login("anouk").patch(f"/api/v1/users/{user.id}",
                                   json={"roles": [{"role": "case_worker"}]})
    assert r.status_code == 200, r.get_json()
    assert_problem(api.get("/api/v1/me"), 401)
    fresh = world.login("cato")
    assert [x["role"] for x in fresh.get("/api/v1/me").get_json()["roles"]] == ["case_worker"]


def test_repeated_failures_back_off_with_retry_after(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "cato", "password": "w" * 12})
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) >= 1


def test_html_login_page_and_form_login(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    page = client.get("/login")
    assert page.status_code == 200
    assert b'name="csrf_token"' in page.data
    html = page.get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "cato", "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 302
    home = client.get("/")
    assert b"Cato" in home.data
    # Without the token the form is refused.
    other = world.app.test_client()
    r = other.post("/login", data={"username": "cato", "password": PASSWORD})
    assert r.status_code == 403


def test_production_sends_hsts_and_secure_cookies(database_url, tmp_path):
    from referral import create_app
    from tests.conftest import TEST_SECRETS

    app = create_app({"DATABASE_URL": database_url, "ENV": "production", **TEST_SECRETS})
    try:
        assert app.config["MFA_REQUIRED"] is True
        assert app.config["SESSION_COOKIE_SECURE"] is True
        client = app.test_client()
        for url in ("/login", "/api/v1/me", "/healthz"):
            h = client.get(url, base_url="https://livc.example").headers
            assert h["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
            assert "Server" not in h
            assert "X-Powered-By" not in h
        csrf = app.test_client().get("/api/v1/auth/csrf", base_url="https://livc.example")
        assert "Secure" in csrf.headers["Set-Cookie"]
    finally:
        app.extensions["referral.db"].dispose()


def test_development_sends_no_hsts_and_no_server_banner(client):
    for url in ("/login", "/api/v1/me", "/static/style.css", "/api/v1/no-such-thing"):
        with client.get(url) as r:
            assert "Strict-Transport-Security" not in r.headers
            assert "Server" not in r.headers


def test_nul_characters_are_refused_not_a_server_error(world, client):
    # PostgreSQL text cannot hold NUL; schemathesis found GET /cases?state=%00 answering 500.
    world.user("cato", "CAW Gent", ["reference_person"])
    r = client.post("/api/v1/auth/login", json={"username": "ca\u0000to", "password": PASSWORD})
    assert assert_problem(r, 422)["errors"] == {"username": ["NUL characters are not allowed."]}
    api = world.login("cato")
    assert "state" in assert_problem(api.get("/api/v1/cases?state=%00"), 422)["errors"]
    token = client.get("/login").get_data(as_text=True).split(
        'name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "ca\x00to", "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 401


def test_bearer_header_decides_alone(world):
    case = build(world)
    owner = world.login("owner_rp")
    r = owner.post(f"/api/v1/cases/{case.id}/notes", json={"body": "x", "compartment":
                                                           "internal"},
                   headers={"Authorization": "Bearer not-a-token", "X-CSRF-Token": ""})
    assert_problem(r, 401)
    owner.csrf = None
    r = owner.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert_problem(r, 401)
