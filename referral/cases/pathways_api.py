"""The pathway definitions (``workflows/``) and their diagrams, for every logged-in user.

A pathway is data, not a case: it is read without a relation and leaves no read on the
ledger.  ``current`` marks the version new rows start on (``workflows.latest``); older
versions stay listed while cases still follow them.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields

import workflows
from referral.core import errors
from referral.core.schemas import OutputSchema
from referral.pathways.diagram import render_svg
from referral.web.api import api_blueprint, route

bp = api_blueprint("pathways")


class PathwayOut(OutputSchema):
    name = fields.String()
    version = fields.Integer()
    title = fields.String()
    states = fields.List(fields.String())
    current = fields.Boolean(metadata={"description": "new cases (or referrals, meetings, "
                                       "partner pathways) start on this version"})
    initial = fields.String()
    final_states = fields.List(fields.String())
    diagram = fields.String(metadata={"description": "path of the SVG diagram"})


def _describe(p: workflows.Pathway) -> dict[str, Any]:
    return {"name": p.name, "version": p.version, "title": p.title, "states": list(p.states),
            "current": workflows.latest(p.name).version == p.version, "initial": p.initial,
            "final_states": list(p.final_states),
            "diagram": f"/api/v1/pathways/{p.name}/{p.version}/diagram.svg"}


@route(bp, "/pathways", "GET", action="pathway:list", response=PathwayOut, many=True,
       summary="Every pathway definition and version; `current`: the one new rows start on")
def list_pathways() -> Any:
    return [_describe(p) for p in sorted(workflows.ALL, key=lambda p: (p.name, p.version))]


@route(bp, "/pathways/<name>/<int:version>/diagram.svg", "GET", action="pathway:diagram",
       content_type="image/svg+xml", summary="A pathway version as an SVG diagram")
def pathway_diagram(name: str, version: int) -> Any:
    try:
        pathway = workflows.get(name, version)
    except LookupError:
        raise errors.NotFound("No such pathway version.") from None
    return Response(render_svg(pathway), mimetype="image/svg+xml")
