"""TOTP second factor: enrolment with an SVG QR code, login with a code, recovery codes,
step-up, and the HTML pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from referral.accounts import mfa
from referral.accounts.models import RecoveryCode, User, UserSession
from referral.core import clock
from referral.core.ledger.models import AuditEvent
from referral.identity.errors import DecryptionError
from referral.identity.models import DataKey
from tests.factories import PASSWORD, assert_problem, totp


def _user(dbs, username):
    dbs.expire_all()
    user = dbs.scalar(select(User).where(User.username == username))
    dbs.commit()  # end the read transaction (SQLite: BEGIN IMMEDIATE holds the write lock)
    return user


def _csrf_from(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]


def test_enrolment_shows_an_svg_qr_code_and_stores_the_secret_encrypted(world, app, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    api = world.login("cato")
    # Changing the factors needs the password again (ASVS 7.5.1).
    assert "password" in assert_problem(api.post("/api/v1/auth/mfa/enrol", json={}),
                                        422)["errors"]
    r = api.post("/api/v1/auth/mfa/enrol", json={"password": "not my password"})
    assert "password" in assert_problem(r, 422)["errors"]
    r = api.post("/api/v1/auth/mfa/enrol", json={"password": PASSWORD})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    secret = body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/LIVC%20referral:cato?secret=")
    assert body["qr_svg"].startswith("data:image/svg+xml")
    assert "<svg" in body["qr_svg"] or "%3Csvg" in body["qr_svg"]
    user = _user(dbs, "cato")
    assert user.totp_secret_encrypted is None
    assert secret.encode() not in user.totp_pending_encrypted
    status = api.get("/api/v1/auth/mfa").get_json()
    assert status["enrolled"] is False
    assert status["enrolment_pending"] is True

    wrong = api.post("/api/v1/auth/mfa/confirm", json={"otp": "000000"})
    assert "otp" in assert_problem(wrong, 422)["errors"]
    old_cookie = api.client.get_cookie("livc_session").value
    r = api.post("/api/v1/auth/mfa/confirm", json={"otp": totp(secret)})
    assert r.status_code == 200, r.get_json()
    codes = r.get_json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)

    user = _user(dbs, "cato")
    assert user.mfa_enrolled_at is not None
    assert user.totp_pending_encrypted is None
    assert secret.encode() not in user.totp_secret_encrypted
    with app.app_context():
        assert mfa.unseal(dbs, user, "totp_secret_encrypted") == secret
    key = dbs.get(DataKey, user.totp_data_key_id)  # in data_keys: `keys rotate` re-wraps it
    assert key.wrapped_key is not None
    assert key.master_key_id == "k1"
    stored = dbs.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    dbs.commit()
    assert len(stored) == 10
    assert all(row.code_hash.startswith("$argon2id$") for row in stored)
    assert not {c.replace("-", "") for c in codes} & {row.code_hash for row in stored}
    # Completing the factor rotated the session id: the old cookie is dead.
    assert api.client.get_cookie("livc_session").value != old_cookie
    thief = world.app.test_client()
    thief.set_cookie("livc_session", old_cookie)
    assert_problem(thief.get("/api/v1/me"), 401)
    api.csrf = r.get_json()["csrf_token"]
    assert api.get("/api/v1/me").get_json()["mfa_enrolled"] is True


def test_a_secret_copied_to_another_user_does_not_open(world, app, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    world.user("otto", "CAW Gent", ["reference_person"])
    world.enrol(world.login("cato"))
    cato, otto = _user(dbs, "cato"), _user(dbs, "otto")
    otto.totp_secret_encrypted = cato.totp_secret_encrypted
    otto.totp_data_key_id = cato.totp_data_key_id
    with app.app_context(), pytest.raises(DecryptionError):
        mfa.unseal(dbs, otto, "totp_secret_encrypted")
    dbs.rollback()


def test_login_asks_for_the_code_after_the_password(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    assert assert_problem(r, 401)["mfa_required"] is True
    assert_problem(client.get("/api/v1/me"), 401)
    # A wrong password still says nothing about MFA.
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": "w" * 12})
    assert "mfa_required" not in assert_problem(r, 401)
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD,
                                                "otp": "123456"})
    assert assert_problem(r, 401)["mfa_required"] is True
    code = totp(secret)
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD,
                                                "otp": code})
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/v1/me").get_json()["username"] == "cato"
    # The same code never works twice.
    again = world.app.test_client().post(
        "/api/v1/auth/login", json={"username": "cato", "password": PASSWORD, "otp": code})
    assert assert_problem(again, 401)["mfa_required"] is True


def test_a_recovery_code_works_once(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    _, codes = world.enrol(world.login("cato"))
    api = world.login("cato", otp=codes[0].upper())
    status = api.get("/api/v1/auth/mfa").get_json()
    assert status["recovery_codes_left"] == 9
    r = world.app.test_client().post("/api/v1/auth/login", json={
        "username": "cato", "password": PASSWORD, "otp": codes[0]})
    assert_problem(r, 401)
    used = dbs.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "mfa:recovery_code_used")).all()
    dbs.commit()
    assert used == ["mfa:recovery_code_used"]


def test_wrong_codes_lock_the_account_for_a_while_only(world, client, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    for _ in range(5):
        r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD,
                                                    "otp": "000000"})
        assert_problem(r, 401)
    # Even the right code is refused while the back-off runs (2 s after the fifth failure).
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD,
                                                "otp": pyotp.TOTP(secret).at(clock.now())})
    assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) >= 1
    rules = dbs.scalars(select(AuditEvent.rule).where(AuditEvent.outcome == "denied")).all()
    dbs.commit()
    assert rules.count("otp_invalid") == 5
    assert "too_many_failures" in rules
    assert "account_locked" in rules
    clock.advance(timedelta(minutes=16))  # the back-off is capped at 15 minutes
    world.login_mfa("cato", secret)


def test_required_mfa_means_enrolment_before_anything_else(world, app):
    app.config["MFA_REQUIRED"] = True
    user = world.user("cato", "CAW Gent", ["reference_person"])
    with world.session() as s:
        s.get(User, user.id).mfa_required = True
        s.commit()
    client = world.app.test_client()
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    body = assert_problem(r, 401, mfa_required=True, enrolment_required=True)
    headers = {"X-CSRF-Token": body["csrf_token"]}
    # The password alone reaches nothing but the enrolment.
    assert_problem(client.get("/api/v1/me"), 401, mfa_required=True)
    assert_problem(client.get("/api/v1/organisations"), 401, mfa_required=True)
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/auth/mfa").get_json()["required"] is True
    # The pending session has just given the password: no need to repeat it.
    r = client.post("/api/v1/auth/mfa/enrol", json={}, headers=headers)
    secret = r.get_json()["secret"]
    r = client.post("/api/v1/auth/mfa/confirm", json={"otp": totp(secret)}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/v1/me").get_json()["username"] == "cato"


def test_a_pending_login_expires(world, app):
    app.config["MFA_REQUIRED"] = True
    user = world.user("cato", "CAW Gent", ["reference_person"])
    with world.session() as s:
        s.get(User, user.id).mfa_required = True
        s.commit()
    client = world.app.test_client()
    client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    assert client.get("/api/v1/auth/mfa").status_code == 200
    clock.advance(timedelta(minutes=16))
    assert_problem(client.get("/api/v1/auth/mfa"), 401)


def test_no_exemption_from_mfa_when_the_app_requires_it(world):
    org = world.org("CAW Gent")
    world.user("anouk", "CAW Gent", ["access_manager"])  # case roles are granted in-house
    admin = world.login("anouk")
    world.app.config["MFA_REQUIRED"] = True
    body = {"username": "newbie", "display_name": "Newbie", "password": "a long passphrase 1",
            "organisation_id": str(org.id), "roles": [{"role": "reference_person"}]}
    r = admin.post("/api/v1/users", json={**body, "mfa_required": False})
    assert "mfa_required" in assert_problem(r, 422)["errors"]
    r = admin.post("/api/v1/users", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["mfa_required"] is True


def test_step_up_is_needed_after_ten_minutes(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    api = world.login_mfa("cato", secret)
    assert api.post("/api/v1/tokens", json={"name": "now"}).status_code == 201
    clock.advance(timedelta(minutes=11))
    r = api.post("/api/v1/tokens", json={"name": "later"})
    assert_problem(r, 401, mfa_required=True, step_up=True)
    assert api.get("/api/v1/me").status_code == 200  # the session itself goes on
    assert_problem(api.post("/api/v1/auth/step-up", json={"otp": "000000"}), 401)
    old_cookie = api.client.get_cookie("livc_session").value
    r = api.post("/api/v1/auth/step-up", json={"otp": totp(secret)})
    assert r.status_code == 200, r.get_json()
    assert api.client.get_cookie("livc_session").value != old_cookie
    api.csrf = r.get_json()["csrf_token"]
    assert api.post("/api/v1/tokens", json={"name": "later"}).status_code == 201
    denied = dbs.scalars(select(AuditEvent.rule).where(AuditEvent.action == "auth:step_up",
                                                       AuditEvent.outcome == "denied")).all()
    dbs.commit()
    assert "step_up_required" in denied
    assert "otp_invalid" in denied


def test_bearer_tokens_cannot_step_up(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    api = world.login_mfa("cato", secret)
    token = api.post("/api/v1/tokens", json={"name": "script"}).get_json()["token"]
    bearer = world.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert bearer.get("/api/v1/me", headers=headers).status_code == 200
    r = bearer.post("/api/v1/tokens", json={"name": "more"}, headers=headers)
    assert_problem(r, 401, mfa_required=True, step_up=True)
    r = bearer.post("/api/v1/auth/step-up", json={"otp": totp(secret)}, headers=headers)
    assert_problem(r, 401, step_up=True)


def test_admin_resets_a_lost_factor(world, admin, dbs):
    user = world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    api = world.login_mfa("cato", secret)
    r = admin.patch(f"/api/v1/users/{user.id}", json={"reset_mfa": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["mfa_enrolled"] is False
    assert_problem(api.get("/api/v1/me"), 401)
    after = _user(dbs, "cato")
    assert after.totp_secret_encrypted is None
    assert after.totp_data_key_id is None
    world.login("cato")  # not required here, and no longer enrolled


def test_html_login_asks_for_the_code(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    client = world.app.test_client()
    client.set_cookie("livc_lang", "en")  # the page texts below are the English ones
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": "cato", "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/login/code")
    assert client.get("/").headers["Location"].endswith("/login/code")
    pending_cookie = client.get_cookie("livc_session").value
    page = client.get("/login/code")
    assert b'autocomplete="one-time-code"' in page.data
    token = _csrf_from(page.get_data(as_text=True))
    r = client.post("/login/code", data={"code": "000000", "csrf_token": token})
    assert r.status_code == 401
    assert b"wrong" in r.data
    r = client.post("/login/code", data={"code": totp(secret), "csrf_token": token})
    assert r.status_code == 302
    home = client.get("/").data
    assert b"Cato" in home
    assert b'action="/logout"' in home  # every authenticated page offers logout
    assert client.get_cookie("livc_session").value != pending_cookie


def test_html_enrolment_shows_the_qr_inline_and_the_codes_once(world, dbs):
    world.user("cato", "CAW Gent", ["reference_person"])
    client = world.app.test_client()
    client.set_cookie("livc_lang", "en")  # the page texts below are the English ones
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "cato", "password": PASSWORD, "csrf_token": token})
    assert b"exempt" in client.get("/").data
    page = client.get("/mfa").get_data(as_text=True)
    assert 'type="password"' in page  # a full session changes its factors with the password
    r = client.post("/mfa", data={"action": "start", "csrf_token": _csrf_from(page)})
    assert r.status_code == 422
    r = client.post("/mfa", data={"action": "start", "password": PASSWORD,
                                  "csrf_token": _csrf_from(page)})
    assert r.status_code == 302
    page = client.get("/mfa").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page).group(1)
    r = client.post("/mfa", data={"action": "confirm", "code": totp(secret),
                                  "csrf_token": _csrf_from(page)})
    assert r.status_code == 200
    shown = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", r.get_data(as_text=True))
    assert len(shown) == 10
    page = client.get("/mfa").get_data(as_text=True)
    assert "Recovery codes left: 10" in page
    assert not any(code in page for code in shown)
    user = _user(dbs, "cato")
    assert user.mfa_enrolled_at is not None
    sessions = dbs.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    dbs.commit()
    assert {s.end_reason for s in sessions} == {None, "mfa_enrolled"}
    assert pyotp.TOTP(secret).now()  # a real base32 secret


def test_a_code_lives_for_its_own_step_and_a_short_grace():
    from datetime import UTC, datetime

    secret = pyotp.random_base32()
    totp_ = pyotp.TOTP(secret)
    start = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # a step boundary
    step = totp_.timecode(start)
    code = totp_.generate_otp(step)
    assert mfa._matching_step(secret, code, start + timedelta(seconds=29)) == step
    grace = mfa.GRACE_SECONDS
    assert mfa._matching_step(secret, code, start + timedelta(seconds=30 + grace - 1)) == step
    assert mfa._matching_step(secret, code, start + timedelta(seconds=30 + grace)) is None
    future = totp_.generate_otp(step + 1)
    assert mfa._matching_step(secret, future, start + timedelta(seconds=29)) is None


def test_ending_another_session_needs_a_recent_code(world):
    world.user("cato", "CAW Gent", ["reference_person"])
    secret, _ = world.enrol(world.login("cato"))
    here = world.login_mfa("cato", secret)
    world.login_mfa("cato", secret)
    other = next(s for s in here.get("/api/v1/sessions").get_json() if not s["current"])
    clock.advance(timedelta(minutes=11))
    r = here.delete(f"/api/v1/sessions/{other['id']}")
    assert_problem(r, 401, mfa_required=True, step_up=True)
    r = here.post("/api/v1/auth/step-up", json={"otp": totp(secret)})
    here.csrf = r.get_json()["csrf_token"]
    assert here.delete(f"/api/v1/sessions/{other['id']}").status_code == 204
