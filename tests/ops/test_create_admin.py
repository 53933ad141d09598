"""The first administrator: the password is asked for (twice, hidden) or read from stdin,
never taken as an argument that would stay in the shell history."""

from __future__ import annotations

from sqlalchemy import select

from referral.accounts.models import User

PASSWORD = "a long and unusual passphrase 2026"


def test_the_password_is_prompted_twice_and_never_an_argument(app, dbs):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "--username", "root"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert dbs.scalar(select(User.username).where(User.username == "root")) == "root"
    dbs.rollback()
    refused = runner.invoke(args=["users", "create-admin", "--username", "root2",
                                  "--password", PASSWORD])
    assert refused.exit_code == 2
    assert "No such option" in refused.output


def test_a_script_gives_it_on_stdin_and_a_weak_one_is_refused(app, dbs):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["users", "create-admin", "--username", "ops",
                             "--password-stdin"], input=f"{PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    weak = runner.invoke(args=["users", "create-admin", "--username", "weak",
                               "--password-stdin"], input="password\n")
    assert weak.exit_code != 0
    assert "error: password" in weak.output
    assert dbs.scalar(select(User.id).where(User.username == "weak")) is None
    dbs.rollback()
