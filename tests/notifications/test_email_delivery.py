"""Notification e-mails: sent after commit, without case content, retried by jobs run."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from referral.accounts.models import User
from referral.notifications.models import OutboxMessage
from tests.factories import build


class Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _refer(world, owner, case):
    return owner.post(f"/api/v1/cases/{case.id}/referrals", json={
        "to_organisation_id": str(world.orgs["CGG Gent"].id), "kind": "service",
        "sphere_of_life": "trauma", "purpose": "trauma counselling for the young man"})


def test_referral_offer_mails_the_inbox_without_content(world, app, smtp):
    controller, inbox = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    case = build(world)
    with world.session() as s:
        s.execute(update(User).where(User.username == "member_rp")
                  .values(email="member@cgg.example"))
        s.commit()
    r = _refer(world, world.login("owner_rp"), case)
    assert r.status_code == 201
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert "member@cgg.example" in mail
    assert "A referral awaits your organisation" in mail
    assert "trauma" not in mail
    assert "help with housing" not in mail
    assert str(case.reference) not in mail


def test_failed_delivery_keeps_the_referral_and_jobs_retry(world, app, smtp):
    controller, inbox = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())  # nobody listens
    case = build(world)
    with world.session() as s:
        s.execute(update(User).where(User.username == "member_rp")
                  .values(email="member@cgg.example"))
        s.commit()
    r = _refer(world, world.login("owner_rp"), case)
    assert r.status_code == 201
    with world.session() as s:
        pending = s.scalars(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
                            ).all()
        assert [p.attempts for p in pending] == [1]
        s.execute(update(OutboxMessage).values(next_attempt_at=pending[0].created_at))
        s.commit()
    app.config["SMTP_PORT"] = controller.port
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--only", "deliver_outbox"])
    assert "changed 1" in result.output, result.output
    assert len(inbox.messages) == 1
