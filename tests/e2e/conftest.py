"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and the app
served for real on a fresh, migrated SQLite database with the demo data.

One browser per test run, one server per module; every person gets a browser context of
their own (their own cookies), closed after the test.  Without Chromium the tests are
skipped with the reason; in CI (``CI=true``) they are required.  ``REFERRAL_TEST_CHROMIUM``
names another binary.  A browser download by
Playwright does not work here: the Debian binary is launched by its path.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, TEST_SECRETS
from tests.e2e.journey import ARTIFACTS, Person

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 120  # migrated copy, demo world through the API, on a busy CI box


def chromium_path() -> str | None:
    """Debian's Chromium, or the binary named by REFERRAL_TEST_CHROMIUM."""
    configured = os.environ.get("REFERRAL_TEST_CHROMIUM")
    if configured is not None:
        return configured if os.access(configured, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"the browser tests are required in CI, but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's pictures only, none left over
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--headless=new"])
        yield chromium
        chromium.close()


def _environment(database_url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({f"REFERRAL_{k}": v for k, v in TEST_SECRETS.items()})
    env.update({
        "REFERRAL_ENV": "development",  # the demo users are exempt from MFA only here
        "REFERRAL_DATABASE_URL": database_url,
        "REFERRAL_CHECKPOINT_DIR": str(tmp / "checkpoints"),
        # Every person logs in from 127.0.0.1, the journeys register several cases and draft
        # several sheets within the minute: the real limits are tested in tests/core.
        "REFERRAL_RATE_LIMIT_LOGIN": "1000 per minute",
        "REFERRAL_RATE_LIMIT_REGISTRATIONS": "1000 per minute",
        "REFERRAL_RATE_LIMIT_FEEDBACK": "1000 per minute",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="module", params=["sqlite"])
def live_server(request: pytest.FixtureRequest, browser: Any, sqlite_template: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the app serving a copy of the migrated database with the demo data."""
    tmp = tmp_path_factory.mktemp("e2e")
    database = tmp / "e2e.sqlite3"
    shutil.copy(sqlite_template, database)
    log_path = tmp / "server.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.server"], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=log, text=True, env=_environment(f"sqlite:///{database}", tmp))
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], SERVER_START_SECONDS)
            line = process.stdout.readline() if ready else ""  # "" too when it died
            if not line.startswith("listening "):
                pytest.fail(f"the app did not start within {SERVER_START_SECONDS} s:\n"
                            f"{log_path.read_text()[-4000:]}")
            yield f"http://127.0.0.1:{int(line.split()[1])}"
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()  # type: ignore[union-attr]
    logged = log_path.read_text()
    shutil.copy(log_path, _artifact_dir() / f"server-{request.module.__name__}.log")
    crash = logged.find("Traceback")
    assert crash < 0, f"the server logged an exception:\n{logged[crash:crash + 4000]}"


def _artifact_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def open_as(browser: Any, live_server: str) -> Iterator[Callable[..., Person]]:
    """``open_as("caw_rp", "nl")``: that demo user, logged in, in a browser of their own."""
    people: list[Person] = []

    def _open(username: str, language: str, *, shots: str = "") -> Person:
        person = Person(browser, live_server, username, language, shots=shots)
        people.append(person)
        person.log_in()
        return person

    yield _open
    for person in people:
        person.close()
    for person in people:
        person.assert_no_page_errors()
