"""The audit trail's actions in plain words, for the auditor's and the DPO's pages.

The ledger names an act by its id (``case:reidentify``); a page shows what it means,
with the id beside it in small type for a support call.  An action without a label
here (a feature added later) shows its id only.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import policies

ACTIONS: dict[str, LazyString] = {
    "auth:login": _l("Log in"),
    "auth:logout": _l("Log out"),
    "auth:lockout": _l("Account locked after failed logins"),
    "auth:step_up": _l("Second factor confirmed again"),
    "csrf:refused": _l("Request refused: form token missing"),
    "ratelimit:exceeded": _l("Too many requests"),
    "mfa:enrol": _l("Second factor enrolled"),
    "mfa:enrol_start": _l("Second factor enrolment started"),
    "mfa:recovery_codes": _l("Recovery codes made"),
    "mfa:recovery_code_used": _l("Recovery code used"),
    "mfa:reset": _l("Second factor reset"),
    "session:end": _l("Session ended"),
    "session:end_all": _l("All sessions ended"),
    "session:manage": _l("Sessions managed"),
    "token:create": _l("API token made"),
    "token:revoke": _l("API token revoked"),
    "token:manage": _l("API tokens managed"),
    "self:read": _l("Own profile read"),
    "user:create": _l("User created"),
    "user:create_admin": _l("Administrator created"),
    "user:update": _l("User changed"),
    "user:grant": _l("Role granted"),
    "user:read": _l("User read"),
    "user:list": _l("Users listed"),
    "user:end_sessions": _l("User's sessions ended"),
    "user:password_change": _l("Password changed"),
    "organisation:create": _l("Organisation created"),
    "organisation:update": _l("Organisation changed"),
    "organisation:list": _l("Organisations listed"),
    "organisation:read": _l("Organisation read"),
    "livc:create": _l("LIVC created"),
    "livc:update": _l("LIVC changed"),
    "livc:list": _l("LIVCs listed"),
    "livc:read": _l("LIVC read"),
    "livc:agenda_suggestions": _l("Agenda suggestions read"),
    "case:create": _l("Case registered"),
    "case:list": _l("Cases listed"),
    "case:read": _l("Case header read"),
    "case:update": _l("Case changed"),
    "case:history": _l("Case history read"),
    "case:transitions": _l("Available steps read"),
    "case:transition": _l("Step on the pathway"),
    "case:diagram": _l("Pathway diagram read"),
    "case:manage": _l("Case managed"),
    "case:propose": _l("Case proposed to the LIVC"),
    "case:refer": _l("Case referred"),
    "case:reidentify": _l("Identity revealed"),
    "case:access_log": _l("Access log read"),
    "case:break_glass": _l("Break-glass access"),
    "case:match": _l("Same person found in another case"),
    "case:coordination": _l("Case coordination handed over"),
    "case:livc_decide": _l("LIVC decision"),
    "case:livc_decision": _l("LIVC decision applied to the case"),
    "case:legal_hold": _l("Legal hold placed or lifted"),
    "case:purge": _l("Case purged at the end of retention"),
    "note:create": _l("Note written"),
    "note:list": _l("Notes listed"),
    "note:read": _l("Note read"),
    "note:disclose": _l("Note disclosed"),
    "disclosure:revoke": _l("Disclosure revoked"),
    "referral:create": _l("Referral sent"),
    "referral:list": _l("Referrals listed"),
    "referral:read": _l("Referral read"),
    "referral:transition": _l("Referral step"),
    "referral:decide": _l("Referral accepted or declined"),
    "referral:withdraw": _l("Referral withdrawn"),
    "referral:progress": _l("Referral progressed"),
    "referral:expire": _l("Referral expired"),
    "partner_pathway:read": _l("Partner pathway read"),
    "partner_pathway:progress": _l("Partner pathway step"),
    "partner_pathway:transition": _l("Partner pathway step"),
    "match:list": _l("Matches listed"),
    "meeting:create": _l("Meeting planned"),
    "meeting:read": _l("Meeting read"),
    "meeting:manage": _l("Meeting managed"),
    "meeting:transition": _l("Meeting step"),
    "meeting:attendee_add": _l("Attendee added"),
    "meeting:agenda_add": _l("Case put on the agenda"),
    "meeting:presence": _l("Presence recorded"),
    "meeting:acknowledge": _l("Secrecy duty acknowledged"),
    "meeting:material": _l("Meeting material read"),
    "meeting:decide": _l("Decision recorded"),
    "meeting:draft_minutes": _l("Minutes drafted"),
    "meeting:read_minutes": _l("Minutes read"),
    "meeting:approve_minutes": _l("Minutes approved"),
    "meeting:print_agenda": _l("Agenda printed"),
    "meeting:calendar": _l("Calendar entry downloaded"),
    "feedback:create": _l("Feedback sheet drafted"),
    "feedback:update": _l("Feedback sheet redrafted"),
    "feedback:read": _l("Feedback sheet read"),
    "feedback:list": _l("Feedback sheets listed"),
    "feedback:approve": _l("Feedback sheet approved"),
    "feedback:issue": _l("Feedback sheet issued"),
    "feedback:print": _l("Feedback sheet printed"),
    "feedback:secrecy_check": _l("Feedback sheet checked for secret text"),
    "action:list": _l("Actions listed"),
    "action:read": _l("Action read"),
    "action:complete": _l("Action status changed"),
    "notification:deliver": _l("Notice e-mailed"),
    "audit:search": _l("Audit trail searched"),
    "audit:verify": _l("Audit chain verified"),
    "audit:checkpoint": _l("Checkpoint signed"),
    "audit:break_glass_list": _l("Break-glass uses listed"),
    "audit:break_glass_review": _l("Break-glass use reviewed"),
    "audit:anomalies": _l("Anomaly flags read"),
    "privacy:overview": _l("Legal holds and retention read"),
    "dsar:generate": _l("Access report produced"),
    "job:run": _l("Scheduled job run"),
    "keys:rotate": _l("Keys rotated"),
    "demo:load": _l("Demo data loaded"),
}


def label(action: str) -> str:
    found = ACTIONS.get(action)
    return str(found) if found is not None else action


def label_id(action: str) -> Markup:
    """The action in words, its id beside it as small secondary text."""
    found = ACTIONS.get(action)
    if found is None:
        return Markup('<code>{}</code>').format(action)
    return Markup('{} <small class="id">{}</small>').format(str(found), escape(action))


def choices() -> list[tuple[str, str]]:
    """(id, label) of every action a search may ask for, in the order of their labels."""
    ids = set(ACTIONS) | set(policies.ACTOR_LEVEL) | set(policies.RESOURCE_ACTIONS)
    return sorted(((a, label(a)) for a in ids), key=lambda pair: (pair[1].lower(), pair[0]))
