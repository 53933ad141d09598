"""``flask --app wsgi workflows show|migrate``."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

import workflows
from referral.core import db
from referral.core.ledger import chain
from referral.pathways.models import (
    PathwayStateMixin,
    TransitionRecord,
    bound_models,
    engine_set_state,
)

workflows_cli = AppGroup("workflows", help="Pathway definitions.")


@workflows_cli.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None)
def show(name: str, version: int | None) -> None:
    """Print a pathway's states, transitions, permissions and guards."""
    try:
        pathway = workflows.get(name, version) if version else workflows.latest(name)
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{pathway.title} — {pathway.name} v{pathway.version}")
    click.echo(f"initial: {pathway.initial}; final: {', '.join(pathway.final_states)}")
    click.echo("states: " + ", ".join(pathway.states))
    for t in pathway.transitions:
        guards = f"  guards: {', '.join(t.guards)}" if t.guards else ""
        click.echo(f"  {t.trigger:<22} {'|'.join(t.sources):>40} -> {t.dest:<20} "
                   f"[{t.permission}]{guards}")


@dataclass
class MigrationPlan:
    moves: list[tuple[PathwayStateMixin, str, str]]
    unmapped: dict[tuple[str, str], int]  # (object type, state) -> open rows


def plan_migration(s: Session, name: str, source: int, target: int,
                   mapping: dict[str, str]) -> MigrationPlan:
    """Map each open row of the pathway (whatever model is bound to it) into the target
    version; collect states with no mapping."""
    old, new = workflows.get(name, source), workflows.get(name, target)
    bad_targets = set(mapping.values()) - set(new.states)
    if bad_targets:
        raise click.BadParameter(f"not states of v{target}: {', '.join(sorted(bad_targets))}")
    moves: list[tuple[PathwayStateMixin, str, str]] = []
    unmapped: dict[tuple[str, str], int] = {}
    for model in bound_models():
        rows = s.scalars(select(model).where(
            model.pathway == name, model.pathway_version == source,  # type: ignore[attr-defined]
            model._state.notin_(old.final_states)).with_for_update())
        for row in rows:
            dest = mapping.get(row.state, row.state if row.state in new.states else None)
            if dest is None:
                key = (model.pathway_object_type, row.state)
                unmapped[key] = unmapped.get(key, 0) + 1
            else:
                moves.append((row, row.state, dest))
    return MigrationPlan(moves, unmapped)


@workflows_cli.command("migrate")
@click.argument("name")
@click.option("--from", "source", type=int, required=True)
@click.option("--to", "target", type=int, required=True)
@click.option("--map", "maps", multiple=True, help="old=new state mapping (repeatable)")
def migrate(name: str, source: int, target: int, maps: tuple[str, ...]) -> None:
    """Move open rows (cases, referrals, partner pathways, meetings) from one definition
    version to another, explicitly."""
    try:
        mapping = dict(m.split("=", 1) for m in maps)
        workflows.get(name, source)
        workflows.get(name, target)
    except (ValueError, LookupError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    with db.database().sessionmaker() as s:
        plan = plan_migration(s, name, source, target, mapping)
        if plan.unmapped:
            s.rollback()
            listing = ", ".join(f"{state} ({n} {kind}s)"
                                for (kind, state), n in sorted(plan.unmapped.items()))
            click.echo(f"refused: no mapping for current states: {listing}", err=True)
            sys.exit(1)
        for row, old_state, new_state in plan.moves:
            object_type = row.pathway_object_type
            row.pathway_version = target  # type: ignore[attr-defined]
            engine_set_state(row, new_state)
            row_id = row.id  # type: ignore[attr-defined]
            s.add(TransitionRecord(
                object_type=object_type, object_id=row_id, case_id=row.pathway_case_id,
                pathway=name, pathway_version=target, trigger="migrate", from_state=old_state,
                to_state=new_state, reason=f"{name} v{source} -> v{target}"))
            chain.record(s, None, f"{object_type}:migrate", object_type=object_type,
                         object_id=row_id, case_id=row.pathway_case_id,
                         purpose=f"v{source}->v{target} {old_state}->{new_state}")
        s.commit()
    click.echo(f"migrated {len(plan.moves)} open rows of {name} from v{source} to v{target}")
