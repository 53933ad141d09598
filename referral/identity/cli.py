"""``flask --app wsgi keys ...``: the state of the key ring and master key rotation.

Prints key ids and counts only, never key material.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm.exc import StaleDataError

from referral.core import db
from referral.identity.errors import DecryptionError
from referral.identity.keys import ring_for
from referral.identity.rotation import KeyStatus, rotate_batch, status

keys_cli = AppGroup("keys", help="Master keys and the data keys they wrap.")

# A concurrent writer (say, a case purge destroying a key) changed a row of the
# batch: the batch is rolled back and selected afresh, a few times at most.
_STALE_RETRIES = 3


def _current_status() -> KeyStatus:
    with db.database().sessionmaker() as s:
        result = status(s, ring_for(current_app))
        s.rollback()
    return result


@keys_cli.command("status")
def keys_status() -> None:
    """Count data keys per master key id, and destroyed (crypto-shredded) ones."""
    ring = ring_for(current_app)
    st = _current_status()
    click.echo(f"active master key: {ring.active_id}")
    click.echo(f"configured master keys: {', '.join(ring.ids)}")
    click.echo("data keys by master key:")
    for master_id, count in st.by_master.items():
        if master_id == ring.active_id:
            note = " (active)"
        elif master_id in ring:
            note = " (to rotate)"
        else:
            note = " (NOT IN THE KEY RING: cannot be opened)"
        click.echo(f"  {master_id}: {count}{note}")
    click.echo(f"destroyed: {st.destroyed}")
    click.echo(f"to rotate: {st.pending}")


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1),
              help="Data keys re-wrapped per transaction.")
def keys_rotate(batch_size: int) -> None:
    """Re-wrap every data key under the active master key.

    To introduce a new master key: add it to REFERRAL_MASTER_KEYS
    (``old:...,new:...``) and either list it last or name it in
    REFERRAL_ACTIVE_MASTER_KEY; restart the app so new data keys are wrapped
    under it; then run this command.  Each batch is its own transaction with
    its own audit event, so the command can be interrupted and rerun, and can
    run on several machines at once on PostgreSQL.  Remove the old key from
    REFERRAL_MASTER_KEYS only once ``keys status`` shows nothing left under it.
    """
    ring = ring_for(current_app)
    before = _current_status()
    unknown = [mid for mid in before.by_master if mid not in ring]
    if unknown:
        raise click.ClickException(
            "data keys are wrapped under master keys missing from REFERRAL_MASTER_KEYS: "
            f"{', '.join(unknown)}; add them back to rotate these keys")
    click.echo(f"re-wrapping {before.pending} data keys to master key {ring.active_id} "
               f"in batches of {batch_size}")
    done = batches = stale = 0
    sessionmaker = db.database().sessionmaker
    while True:
        with sessionmaker() as s:
            try:
                n = rotate_batch(s, ring, batch_size)
            except StaleDataError:
                stale += 1
                if stale > _STALE_RETRIES:
                    raise click.ClickException(
                        "data keys keep changing under the rotation; rerun later") from None
                continue
            except DecryptionError as exc:
                raise click.ClickException(f"stopped: {exc}") from None
        stale = 0
        if n == 0:
            break
        done += n
        batches += 1
        click.echo(f"batch {batches}: re-wrapped {n} ({done}/{before.pending})")
    left = _current_status().pending
    click.echo(f"done: {done} data keys re-wrapped to {ring.active_id}; {left} left under "
               "other master keys")
