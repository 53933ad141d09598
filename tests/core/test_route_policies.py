"""No route without a policy: every API and HTML route declares its action."""

from __future__ import annotations

import policies
from policies.catalogue import ACTOR_LEVEL, PUBLIC_ACTIONS

PUBLIC_ENDPOINTS = {"static", "health.healthz", "health.readyz", "openapi.openapi_json",
                    "auth.login_page", "auth.choose_language", "api_accounts.login",
                    "api_accounts.csrf_token", "metrics"}


def test_every_route_declares_a_policy_action(app):
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        action = getattr(view, "policy_action", None)
        if rule.endpoint == "static":
            continue
        if not action:
            missing.append(rule.rule)
    assert missing == [], f"routes without a policy action: {missing}"


def test_public_routes_are_exactly_the_allow_list(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "policy_action", "")
              in PUBLIC_ACTIONS}
    assert public | {"static"} == PUBLIC_ENDPOINTS


def test_every_declared_action_is_in_the_catalogue(app):
    unknown = set()
    for rule in app.url_map.iter_rules():
        action = getattr(app.view_functions[rule.endpoint], "policy_action", None)
        if action and action not in ACTOR_LEVEL and action not in PUBLIC_ACTIONS \
                and action not in policies.RESOURCE_ACTIONS:
            unknown.add(action)
    assert not unknown


def test_policies_readme_lists_every_rule():
    from pathlib import Path

    text = (Path(policies.__file__).parent / "README.md").read_text()
    missing = [rule_id for rule_id in policies.RULES if f"`{rule_id}`" not in text]
    assert missing == []
