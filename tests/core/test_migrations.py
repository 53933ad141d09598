"""Migrations are the schema: models and migrations never drift, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from referral.models import Base


def test_models_match_migrations(app):
    engine = app.extensions["referral.db"].engine
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_database_is_at_head(client):
    # The newest migration file names the head the tests' databases were built to.
    assert client.get("/readyz").get_json()["revision"] == "0011"


def test_check_constraints_exist(app):
    engine = app.extensions["referral.db"].engine
    names = {c["name"] for c in inspect(engine).get_check_constraints("cases")}
    assert "ck_cases_state_in_pathway" in names
    assert "ck_cases_closed_needs_outcome" in names


def test_readyz_is_503_when_not_migrated(app, tmp_path):
    from referral import create_app
    from tests.conftest import TEST_SECRETS

    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", **TEST_SECRETS})
    r = empty.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["reason"] == "database not migrated to head"
    empty.extensions["referral.db"].dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    engine = app.extensions["referral.db"].engine
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_rebuild_tables_that_others_reference_with_data_in_them(world, app):
    """SQLite rebuilds a table to alter it; a referenced table with rows must survive that
    (found by a review: 0007 failed on a database holding referrals and their pathways)."""
    from referral.core import migrate
    from tests.factories import build

    case = build(world)
    owner, partner = world.login("owner_rp"), world.login("accepted_rp")
    referral_id = partner.get("/api/v1/referrals?direction=incoming").get_json()["items"][0]["id"]
    assert partner.post(f"/api/v1/referrals/{referral_id}/transitions",
                        json={"trigger": "start"}).status_code == 200  # a partner pathway
    url = app.config["DATABASE_URL"]
    app.extensions["referral.db"].dispose()
    migrate.downgrade(url, "0006")
    migrate.upgrade(url)
    assert owner.get(f"/api/v1/referrals/{referral_id}/pathway").status_code == 200
    assert owner.get(f"/api/v1/cases/{case.id}").status_code == 200
