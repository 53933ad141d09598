"""Break-glass uses as auditors see them, and their review.

Every break-glass grant is flagged for the auditors; an auditor marks it
reviewed with a comment.  The review sets the grant's reviewed fields (under
its optimistic version), keeps a :class:`BreakGlassReview` row and is itself an
audit event (``audit:break_glass_review``), naming the grant and its case but
never the comment (free text stays out of the chain).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.actor import Actor
from referral.audit.models import BreakGlassReview
from referral.cases.models import BreakGlass
from referral.core import clock, errors
from referral.core.authz import record_read
from referral.core.ledger import chain


def as_item(grant: BreakGlass) -> dict[str, Any]:
    return {
        "id": grant.id, "case_id": grant.case_id, "user_id": grant.user_id,
        "organisation_id": grant.organisation_id, "reason": grant.reason,
        "granted_at": grant.granted_at, "expires_at": grant.expires_at,
        "reviewed_at": grant.reviewed_at, "reviewed_by_user_id": grant.reviewed_by_user_id,
        "review_comment": grant.review_comment, "version": grant.version,
    }


def list_uses(s: Session, query: Mapping[str, Any]) -> dict[str, Any]:
    """Break-glass uses, oldest first when awaiting review (first come, first reviewed),
    newest first otherwise."""
    where = []
    reviewed = query.get("reviewed")
    if reviewed is True:
        where.append(BreakGlass.reviewed_at.is_not(None))
    elif reviewed is False:
        where.append(BreakGlass.reviewed_at.is_(None))
    order = ((BreakGlass.granted_at, BreakGlass.id) if reviewed is False
             else (BreakGlass.granted_at.desc(), BreakGlass.id))
    page, per_page = query.get("page", 1), query.get("per_page", 50)
    total = s.scalar(select(func.count()).select_from(BreakGlass).where(*where)) or 0
    rows = s.scalars(select(BreakGlass).where(*where).order_by(*order)
                     .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [as_item(g) for g in rows], "page": page, "per_page": per_page,
            "total": int(total)}


def record_listing(s: Session, actor: Actor, query: Mapping[str, Any], kind: str) -> None:
    reviewed = query.get("reviewed")
    which = "all" if reviewed is None else ("reviewed" if reviewed else "awaiting review")
    record_read(s, actor, "audit:break_glass_list", object_type="break_glass",
                purpose=f"{kind}; {which}")


def review(s: Session, actor: Actor, grant_id: uuid.UUID, comment: str,
           expected_version: int | None) -> dict[str, Any]:
    """Mark one use reviewed; 409 when it already is or the version is stale."""
    comment = comment.strip()
    if not comment:
        raise errors.field_error("comment", "Give a comment.")
    grant = s.scalar(select(BreakGlass).where(BreakGlass.id == grant_id).with_for_update())
    if grant is None:
        raise errors.NotFound("No such break-glass use.")
    if grant.reviewed_at is not None:
        raise errors.Conflict("This break-glass use was reviewed already.",
                              current_version=grant.version)
    if expected_version is not None and expected_version != grant.version:
        raise errors.Conflict("The break-glass use was changed in the meantime; reload.",
                              current_version=grant.version)
    assert actor.user_id is not None  # the route requires an authenticated auditor
    now = clock.now()
    grant.reviewed_at, grant.reviewed_by_user_id, grant.review_comment = (
        now, actor.user_id, comment)
    s.add(BreakGlassReview(break_glass_id=grant.id, reviewer_user_id=actor.user_id,
                           comment=comment, reviewed_at=now))
    s.flush()  # the version check (UPDATE ... WHERE version = n) runs here
    chain.record(s, actor, "audit:break_glass_review", object_type="break_glass",
                 object_id=grant.id, case_id=grant.case_id, rule="auditor_only",
                 purpose="break-glass use reviewed")
    return as_item(grant)
