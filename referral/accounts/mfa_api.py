"""MFA endpoints: status, enrolment with a QR code, confirmation, recovery codes, step-up.

A session that passed the password of an account that must use MFA but has not
enrolled yet reaches only these (and logout): it enrols, confirms with a first
code and thereby becomes a complete session under a new id.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from referral.accounts import mfa, services, sessions
from referral.accounts.blueprint import bp
from referral.accounts.models import User
from referral.accounts.schemas import (
    MfaChangeIn,
    MfaEnrolOut,
    MfaStatusOut,
    OtpIn,
    RecoveryCodesOut,
    StepUpOut,
)
from referral.core import clock, db, errors
from referral.core.actor import current_actor
from referral.core.ledger import chain
from referral.web import ratelimit
from referral.web.api import route


def _me() -> User:
    user = db.session().get(User, current_user.user.id)
    assert user is not None
    return user


def _session_only() -> None:
    if current_user.via_token:
        raise errors.Unauthorized("A second factor is entered in a session, not with a bearer "
                                  "token.", mfa_required=True, step_up=True)


@route(bp, "/auth/mfa", "GET", action="session:manage", response=MfaStatusOut,
       summary="Your second factor: enrolled or not, recovery codes left")
def mfa_status() -> Any:
    user = _me()
    row = current_user.session_row
    return {"enrolled": user.mfa_enrolled, "enrolled_at": user.mfa_enrolled_at,
            "required": sessions.mfa_applies(user),
            "enrolment_pending": user.totp_pending_encrypted is not None,
            "recovery_codes_left": mfa.recovery_codes_left(db.session(), user),
            "mfa_verified_at": row.mfa_verified_at if row is not None else None}


def _reauthenticate(user: User, body: dict[str, Any], action: str) -> None:
    """Changing a factor needs full re-authentication: the password (see
    :func:`mfa.reauthenticate`) and, once a factor is enrolled, a recent code."""
    mfa.reauthenticate(db.session(), user, body.get("password"),
                       pending=current_user.mfa_pending, action=action)
    if user.mfa_enrolled:
        sessions.require_recent_mfa()


@route(bp, "/auth/mfa/enrol", "POST", action="session:manage", body=MfaChangeIn,
       response=MfaEnrolOut, status=201, summary="Start TOTP enrolment: a new secret and its "
       "QR code (SVG). Needs the password (except in the pending session of a first login) "
       "and, to replace an enrolled factor, a recent second factor", statuses=(429,))
@ratelimit.mfa_limit
def mfa_enrol(body: dict[str, Any]) -> Any:
    _session_only()
    user = _me()
    _reauthenticate(user, body, "mfa:enrol")
    secret = mfa.begin_enrolment(db.session(), current_actor(), user)
    uri = mfa.provisioning_uri(user, secret)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": mfa.qr_data_uri(uri)}


@route(bp, "/auth/mfa/confirm", "POST", action="session:manage", body=OtpIn,
       response=RecoveryCodesOut, summary="Confirm enrolment with a first code: returns ten "
       "recovery codes (shown once) and rotates the session id", statuses=(409, 429))
@ratelimit.mfa_limit
def mfa_confirm(body: dict[str, Any]) -> Any:
    _session_only()
    s = db.session()
    user = _me()
    pending = current_user.mfa_pending
    row = current_user.session_row
    assert row is not None
    codes = mfa.confirm_enrolment(s, current_actor(), user, body["otp"], row.id)
    if pending:
        services.complete_login(s, user, "password+totp (enrolment)")
    sessions.rotate_session("mfa_completed" if pending else "mfa_enrolled")
    return {"recovery_codes": codes, "csrf_token": generate_csrf()}


@route(bp, "/auth/mfa/recovery-codes", "POST", action="session:manage", body=MfaChangeIn,
       response=RecoveryCodesOut, status=201, summary="Replace your recovery codes (shown once; "
       "needs the password and a recent second factor)", statuses=(409, 429))
@ratelimit.mfa_limit
def mfa_recovery_codes(body: dict[str, Any]) -> Any:
    _session_only()
    user = _me()
    if not user.mfa_enrolled:
        raise errors.Conflict("No second factor is enrolled.")
    _reauthenticate(user, body, "mfa:recovery_codes")
    codes = mfa.new_recovery_codes(db.session(), current_actor(), user)
    return {"recovery_codes": codes, "csrf_token": generate_csrf()}


@route(bp, "/auth/step-up", "POST", action="session:manage", body=OtpIn, response=StepUpOut,
       summary="Enter a second factor again (step-up): the session may do sensitive actions "
       "for 10 minutes; rotates the session id", statuses=(409, 429))
@ratelimit.mfa_limit
def step_up(body: dict[str, Any]) -> Any:
    _session_only()
    s = db.session()
    user = _me()
    if not user.mfa_enrolled:
        raise errors.Conflict("No second factor is enrolled: enrol first (POST "
                              "/api/v1/auth/mfa/enrol).")
    factor = mfa.check_second_factor(s, user, body["otp"], "auth:step_up")
    fresh = sessions.rotate_session("step_up")
    chain.record(s, current_actor(), "auth:step_up", object_type="user", object_id=user.id,
                 purpose=f"factor: {factor}")
    assert fresh.session_row is not None
    return {"mfa_verified_at": fresh.session_row.mfa_verified_at or clock.now(),
            "csrf_token": generate_csrf()}
