"""The catalogue: every action (``resource:verb``) and every rule, with stable ids.

A DPO can read this file to know what the system lets anyone do.  A denial in
the API names one of these rule ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    text: str


_RULES = (
    Rule("authentication_required", "Anonymous users may do nothing but log in."),
    Rule("admin_only", "Only administrators manage organisations, LIVCs, users and roles."),
    Rule("authenticated_directory",
         "Any logged-in user may list organisations and LIVCs (names and kinds only), to "
         "address a referral or a meeting."),
    Rule("self_service", "Every user may read their own profile and manage their own sessions "
         "and API tokens."),
    Rule("oversight_no_content",
         "Administrators, auditors and DPOs never read case content (separation of duties)."),
    Rule("auditor_only", "Only auditors search and verify the audit trail."),
    Rule("no_relation", "Without a relation to the case it does not exist for you (404)."),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}

# Actions decided from the actor alone (no resource): routes check them up front.
# action: (roles of which any one suffices -- () means any authenticated user, rule id)
ACTOR_LEVEL: dict[str, tuple[tuple[str, ...], str]] = {
    "organisation:create": (("admin",), "admin_only"),
    "organisation:update": (("admin",), "admin_only"),
    "organisation:list": ((), "authenticated_directory"),
    "organisation:read": ((), "authenticated_directory"),
    "livc:create": (("admin",), "admin_only"),
    "livc:update": (("admin",), "admin_only"),
    "livc:list": ((), "authenticated_directory"),
    "livc:read": ((), "authenticated_directory"),
    "user:create": (("admin",), "admin_only"),
    "user:update": (("admin",), "admin_only"),
    "user:list": (("admin",), "admin_only"),
    "user:read": (("admin",), "admin_only"),
    "self:read": ((), "self_service"),
    "session:manage": ((), "self_service"),
    "token:manage": ((), "self_service"),
    "auth:logout": ((), "self_service"),
    "audit:search": (("auditor",), "auditor_only"),
    "audit:verify": (("auditor",), "auditor_only"),
    "audit:checkpoint": (("auditor", "admin"), "auditor_only"),
}

# Actions decided per object (case, note, referral, ...): see policies.cases.
RESOURCE_ACTIONS: dict[str, str] = {}

# Routes open to anonymous users: the explicit public allow-list.
PUBLIC_ACTIONS = ("auth:login", "auth:csrf", "public:health", "public:openapi", "public:static",
                  "public:login_page")


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
