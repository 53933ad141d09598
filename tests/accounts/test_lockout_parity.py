"""The lockout does not tell which usernames exist: an unknown username is locked out
after five failures exactly like an account, with the same answer."""

from __future__ import annotations

from datetime import timedelta

from referral.core import clock
from tests.factories import PASSWORD, assert_problem


def _fail(client, username, times):
    return [client.post("/api/v1/auth/login",
                        json={"username": username, "password": "w" * 12})
            for _ in range(times)]


def test_unknown_and_existing_usernames_lock_out_alike(world, client):
    world.user("cato", "CAW Gent", ["reference_person"])
    for username in ("cato", "nobody-here"):
        answers = _fail(client, username, 6)
        assert [r.status_code for r in answers] == [401] * 5 + [429], username
    existing = _fail(client, "cato", 1)[0]
    unknown = _fail(client, "nobody-here", 1)[0]
    assert assert_problem(existing, 429)["detail"] == assert_problem(unknown, 429)["detail"]
    # The same wait, to the second: the two answers are a few milliseconds apart, so a
    # second boundary may fall between them (seen on a loaded machine).
    assert abs(int(existing.headers["Retry-After"]) - int(unknown.headers["Retry-After"])) <= 1


def test_the_unknown_username_lockout_ends_like_an_accounts(world, client):
    _fail(client, "nobody-here", 5)
    assert_problem(_fail(client, "Nobody-Here ", 1)[0], 429)  # the same name, typed again
    clock.advance(timedelta(minutes=16))
    assert_problem(_fail(client, "nobody-here", 1)[0], 401)
    world.user("cato", "CAW Gent", ["reference_person"])
    r = client.post("/api/v1/auth/login", json={"username": "cato", "password": PASSWORD})
    assert r.status_code == 200  # one name's lockout is not another's


def test_attempted_usernames_are_not_stored(world, client, dbs):
    from sqlalchemy import select

    from referral.accounts.models import LoginThrottle

    _fail(client, "jan.peeters@example.be", 2)
    keys = dbs.scalars(select(LoginThrottle.username_key)).all()
    dbs.rollback()
    assert len(keys) == 1
    assert b"peeters" not in keys[0]
