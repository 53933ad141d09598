"""``flask --app wsgi audit ...``: verify the chain, sign and export checkpoints."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from referral.audit.checkpoints import (
    export_checkpoint,
    known_public_keys,
    list_checkpoints,
)
from referral.audit.publication import sign_and_publish
from referral.audit.verify import verify_chain
from referral.core import db

audit_cli = AppGroup("audit", help="The audit trail: verify the hash chain, sign checkpoints.")


@audit_cli.command("verify")
@click.option("--from", "from_seq", type=click.IntRange(min=1), default=1, show_default=True,
              help="Start at this sequence number (it must link to the one before).")
def verify_command(from_seq: int) -> None:
    """Verify the hash chain, the head and the signed checkpoints (read only).

    Exits 0 when intact, 1 naming the first bad sequence number, 2 on bad input.
    """

    s = db.database().sessionmaker()
    try:
        started = time.perf_counter()
        result = verify_chain(s, from_seq, public_keys=known_public_keys(current_app.config))
        elapsed = time.perf_counter() - started
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        s.rollback()
        s.close()
    if result.ok:
        click.echo(f"ok: {result.checked} events verified, head seq {result.head_seq}")
    else:
        click.echo(f"FAIL at seq {result.first_bad_seq}: {result.reason}")
    rate = result.checked / elapsed if elapsed > 0 else 0.0
    click.echo(f"throughput: {rate:,.0f} events/s ({result.checked} events in {elapsed:.2f} s)")
    sys.exit(0 if result.ok else 1)


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint of the current chain head and print it (JSON)."""

    s = db.database().sessionmaker()
    try:
        cp = sign_and_publish(s, current_app._get_current_object())  # type: ignore[attr-defined]
        s.commit()
    finally:
        s.close()
    keys = known_public_keys(current_app.config)
    click.echo(json.dumps(export_checkpoint(cp, keys.get(cp.public_key_id)), indent=2))


@audit_cli.command("export-checkpoint")
@click.option("--latest", is_flag=True, help="Only the newest checkpoint (an object, not a list).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def export_checkpoint_command(latest: bool, output: Path | None) -> None:
    """Export signed checkpoints as JSON, with what is needed to verify them offline."""

    keys = known_public_keys(current_app.config)
    s = db.database().sessionmaker()
    try:
        cps = list_checkpoints(s, newest_first=latest)[:1 if latest else None]
        exported = [export_checkpoint(cp, keys.get(cp.public_key_id)) for cp in cps]
    finally:
        s.rollback()
        s.close()
    if not exported:
        click.echo("error: no checkpoint yet (flask audit checkpoint)", err=True)
        sys.exit(1)
    text = json.dumps(exported[0] if latest else exported, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"wrote {len(exported)} checkpoint(s) to {output}", err=True)
