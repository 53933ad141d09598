"""Schemathesis against /api/v1/openapi.json, in process (WSGI, no server), as several roles.

Every documented operation gets a few generated requests per role: no 5xx, and every
status code, content type and body conforms to the document.  The budget is small here
(``FUZZ_MAX_EXAMPLES``, default 3 per operation, role and mode); ``make fuzz`` runs a
larger one.  All failures are collected and reported together.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import World, build

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
MODES = [GenerationMode(m) for m in os.environ.get("FUZZ_MODES", "positive,negative").split(",")]
ROLES = {"admin": "admin1", "reference_person": "owner_rp", "auditor": "auditor1",
         "anonymous": None}


def not_a_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]}"
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _bearer(world: World, username: str) -> dict[str, str]:
    api = world.login(username)
    r = api.post("/api/v1/tokens", json={"name": "fuzz", "expires_in_days": 1})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _known_ids(world: World, case: Any) -> dict[str, str]:
    """Ids of real objects, so that some requests get past the 404s."""
    victim = world.user("fuzz_victim", "CAW Gent", ["reference_person"])
    return {"case_id": str(case.id), "user_id": str(victim.id),
            "organisation_id": str(world.orgs["CAW Gent"].id), "livc_id": str(world.livc.id)}


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _strategy(operation: Any, mode: GenerationMode, known: dict[str, str]) -> Any:
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in known.items() if k in names}
    strategy = operation.as_strategy(generation_mode=mode)
    if fixed and mode is GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode,
                                                             path_parameters=fixed))
    return strategy


def _fuzz(operation: Any, mode: GenerationMode, known: dict[str, str],
          headers: dict[str, str], failures: list[str], counter: list[int]) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, mode, known))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        counter[0] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.append(f"{operation.label} [{mode.value}] -> {response.status_code}: "
                                f"{failure.title}: {str(failure.message)[:300]}")
        except AssertionError as exc:
            failures.append(f"{operation.label} [{mode.value}] -> {exc}")

    # Unsatisfiable: nothing to make invalid (negative mode on an operation without input).
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


def test_api_conforms_to_its_openapi_document_for_every_role(app):
    world = World(app)
    case = build(world)
    known = _known_ids(world, case)
    auth = {role: _bearer(world, user) if user else {} for role, user in ROLES.items()}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    counter = [0]
    started = time.monotonic()
    for operation in _operations(schema):
        for role, headers in auth.items():
            for mode in MODES:
                if role == "anonymous" and mode is GenerationMode.NEGATIVE:
                    continue
                _fuzz(operation, mode, known, headers, failures, counter)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {counter[0]} requests in {elapsed:.1f} s")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} findings:\n" + "\n".join(unique)
