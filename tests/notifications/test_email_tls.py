"""E-mail that real relays accept: STARTTLS or implicit TLS, a login, our sender address,
and never the password or the mail in clear (Microsoft 365 and Exchange relays ask this)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from referral.notifications.delivery import _send
from tests.notifications.test_email_delivery import Inbox, _free_port

USER, PASSWORD = "relay-user", "relay-password"


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


class Logins:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        self.seen.append(auth_data.login.decode())
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def relay(tmp_path):
    cert_path, context = _certificate(tmp_path)
    started = []

    def start(implicit: bool):
        inbox, logins = Inbox(), Logins()
        # Behind implicit TLS aiosmtpd does not know the channel is encrypted: it would hide
        # AUTH if told to require TLS for it (the client verified the certificate anyway).
        options = ({"ssl_context": context, "auth_require_tls": False} if implicit else
                   {"tls_context": context, "require_starttls": True,
                    "auth_require_tls": True})
        controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(),
                                authenticator=logins, server_hostname="127.0.0.1",
                                auth_exclude_mechanism=["LOGIN"], **options)
        controller.start()
        started.append(controller)
        return controller, inbox, logins

    yield cert_path, start
    for controller in started:
        controller.stop()


def _config(port, cert_path, security, **extra):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": security,
            "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD, "SMTP_CA_FILE": str(cert_path),
            "SMTP_FROM": "livc@gent.example", **extra}


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_mail_goes_over_tls_with_a_login_and_our_sender(relay, implicit):
    cert_path, start = relay
    controller, inbox, logins = start(implicit)
    _send(_config(controller.port, cert_path, "tls" if implicit else "starttls"),
          "rp@vdab.example", "A referral awaits your organisation.", "/inbox")
    assert logins.seen == [USER]
    [mail] = inbox.messages
    assert "From: livc@gent.example" in mail
    assert "To: rp@vdab.example" in mail


def test_a_wrong_password_is_refused_by_the_relay(relay):
    import smtplib

    cert_path, start = relay
    controller, inbox, _ = start(False)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        _send(_config(controller.port, cert_path, "starttls", SMTP_PASSWORD="wrong"),
              "rp@vdab.example", "A referral awaits your organisation.", "/inbox")
    assert inbox.messages == []


def test_an_unknown_certificate_is_refused_not_trusted(relay):
    cert_path, start = relay
    controller, inbox, _ = start(False)
    with pytest.raises(ssl.SSLCertVerificationError):
        _send(_config(controller.port, cert_path, "starttls", SMTP_CA_FILE=None),
              "rp@vdab.example", "A referral awaits your organisation.", "/inbox")
    assert inbox.messages == []


def test_starttls_is_required_in_production_by_default(relay):
    """A relay that offers no STARTTLS gets neither the login nor the mail."""
    import smtplib

    inbox = Inbox()
    plain = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    plain.start()
    try:
        with pytest.raises(smtplib.SMTPNotSupportedError):
            _send({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": plain.port, "ENV": "production",
                   "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD},
                  "rp@vdab.example", "A referral awaits your organisation.", "/inbox")
    finally:
        plain.stop()
    assert inbox.messages == []
