"""The OpenAPI 3 document, generated from the routes' declared schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify

from referral.web.api import RouteSpec

bp = Blueprint("openapi", __name__)

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_FORMATS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"},
            None: {"type": "string"}, "string": {"type": "string"}}

STATUS_TEXT = {200: "OK", 201: "Created", 204: "No content", 400: "Malformed request",
               401: "Not authenticated", 403: "Not allowed (names the rule)",
               404: "Not found, or no relation", 409: "Conflict (stale version or state)",
               410: "Gone (purged)", 413: "Body too large", 415: "Not JSON",
               422: "Validation failed", 429: "Too many requests"}


def _problem_ref() -> dict[str, Any]:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="LIVC case-referral engine", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "JSON API v1. Errors are application/problem+json (RFC 9457)."},
    )
    spec.components.schema("Problem", {
        "type": "object",
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "object"}, "rule": {"type": "string"},
            "guard": {"type": "string"}, "current_version": {"type": "integer"},
        },
        "required": ["type", "title", "status", "detail"],
    })
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie",
                                               "name": "livc_session"})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        route_spec: RouteSpec | None = getattr(view, "route_spec", None)
        if route_spec is None:
            continue
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": _FORMATS.get(conv, {"type": "string"})}
                  for conv, name in _CONVERTER.findall(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                route_spec, params, rule.endpoint)
    for path, ops in sorted(paths.items()):
        spec.path(path=path, operations=ops)
    return spec.to_dict()


def _operation(rs: RouteSpec, params: list[dict[str, Any]], endpoint: str) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": rs.summary, "operationId": endpoint.replace(".", "_"),
                          "tags": list(rs.tags), "x-policy-action": rs.action,
                          "parameters": list(params), "responses": {}}
    if rs.public:
        op["security"] = []
    else:
        op["security"] = [{"cookie": []}, {"bearer": []}]
    if rs.query is not None:
        op["parameters"].append({"in": "query", "schema": rs.query})
    if rs.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": rs.body}}}
    ok: dict[str, Any] = {"description": STATUS_TEXT.get(rs.status, "OK")}
    if rs.status != 204:
        if rs.response is not None:
            ref: Any = rs.response
            if rs.paginated:
                schema: dict[str, Any] = {"type": "object", "properties": {
                    "items": {"type": "array", "items": ref}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total": {"type": "integer"},
                    "total_exact": {
                        "type": "boolean",
                        "description": "Cases and audit events only: false when more rows "
                                       "match than LIST_COUNT_LIMIT (1,000 by default); "
                                       "total is then that limit."}}}
            elif rs.many:
                schema = {"type": "array", "items": ref}
            else:
                schema = ref
            ok["content"] = {"application/json": {"schema": schema}}
        elif rs.content_type != "application/json":
            ok["content"] = {rs.content_type: {"schema": {"type": "string"}}}
    op["responses"][str(rs.status)] = ok
    errors_ = {400, 422} if rs.body or rs.query else set()
    if rs.body:
        errors_ |= {413, 415}
    if not rs.public:
        errors_ |= {401, 403}
    if params:
        errors_.add(404)
    errors_ |= set(rs.statuses)
    for status in sorted(errors_):
        op["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "Error"),
                                        "content": _problem_ref()}
    return op


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Response:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if "referral.openapi" not in app.extensions:
        app.extensions["referral.openapi"] = build_spec(app)
    return jsonify(app.extensions["referral.openapi"])


openapi_json.policy_action = "public:openapi"  # type: ignore[attr-defined]
