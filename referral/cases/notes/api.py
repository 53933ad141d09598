from __future__ import annotations

import uuid
from typing import Any

from referral.cases.notes import services
from referral.cases.notes.schemas import DisclosureIn, DisclosureOut, NoteCreated, NoteIn, NoteOut
from referral.core import db
from referral.core.actor import current_actor
from referral.web.api import api_blueprint, route

bp = api_blueprint("notes")


@route(bp, "/cases/<uuid:case_id>/notes", "POST", action="note:create", body=NoteIn,
       response=NoteCreated, status=201, statuses=(410,),
       summary="Write a note in your organisation's compartment (internal) or as police (police)")
def create_note(case_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.create_note(db.session(), current_actor(), case_id, body["body"],
                                body["compartment"])


@route(bp, "/cases/<uuid:case_id>/notes", "GET", action="note:list", response=NoteOut,
       many=True, statuses=(410,), summary="The notes of a case this actor may read")
def list_notes(case_id: uuid.UUID) -> Any:
    return services.list_notes(db.session(), current_actor(), case_id)


@route(bp, "/notes/<uuid:note_id>", "GET", action="note:read", response=NoteOut,
       statuses=(410,), summary="One note, if this actor may read it")
def get_note(note_id: uuid.UUID) -> Any:
    return services.read_note(db.session(), current_actor(), note_id)


@route(bp, "/notes/<uuid:note_id>/disclosures", "POST", action="note:disclose",
       body=DisclosureIn, response=DisclosureOut, status=201, statuses=(409,),
       summary="Disclose a note to the case team or the LIVC (author organisation only)")
def disclose(note_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return services.disclose(db.session(), current_actor(), note_id, body)


@route(bp, "/disclosures/<uuid:disclosure_id>", "DELETE", action="disclosure:revoke",
       status=204, summary="Revoke a disclosure at once")
def revoke(disclosure_id: uuid.UUID) -> Any:
    services.revoke(db.session(), current_actor(), disclosure_id)
    return None, 204
