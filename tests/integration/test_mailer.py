"""The e-mail outbox and mailer against a real (tiny, in-test) SMTP server."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from formwork import db
from formwork.models import EmailMessage
from formwork.services import mailer
from formwork.services.errors import Invalid
from tests.conftest import Factory


@dataclass
class Mailbox:
    """What the test SMTP server received, and how it should answer recipients."""

    messages: list[tuple[str, list[str], MimeMessage]] = field(default_factory=list)
    # recipient → (code, text) answered to RCPT TO instead of 250.
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: _SmtpServer

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        sender, recipients = "", []
        self._reply("220 test.local ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-test.local")
                self._reply("250-8BITMIME")
                self._reply("250 AUTH PLAIN")
            elif verb == "HELO":
                self._reply("250 test.local")
            elif verb == "AUTH":
                box.logins.append(command)
                self._reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>")
                if address in box.refuse:
                    code, text = box.refuse[address]
                    self._reply(f"{code} {text}")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b""):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                parsed = message_from_bytes(b"".join(lines), policy=policy.default)
                box.messages.append((sender, recipients, parsed))  # type: ignore[arg-type]
                self._reply("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.mailbox = Mailbox()


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"smtp://robot:p%40ss@{host}:{port}", server.mailbox
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def factory_session(app: Flask) -> sessionmaker[Session]:
    return app.extensions["formwork.sessionmaker"]  # type: ignore[no-any-return]


@pytest.fixture
def workspace_id(factory: Factory) -> int:
    return factory.workspace(factory.user()).id


def _queue(app: Flask, workspace_id: int, **kwargs: Any) -> bool:
    with app.app_context():
        session = db.session()
        queued = mailer.queue_email(
            session,
            workspace_id=workspace_id,
            **{"to": "li.lei@example.com", "subject": "Hello", "body": "Body text", **kwargs},
        )
        session.commit()
        return queued


def _messages(app: Flask) -> list[EmailMessage]:
    with app.app_context():
        return list(db.session().scalars(select(EmailMessage).order_by(EmailMessage.id)))


def test_a_queued_message_is_sent_once(
    app: Flask, factory_session: sessionmaker[Session], workspace_id: int, smtp: Any
) -> None:
    url, box = smtp
    assert _queue(app, workspace_id, subject="回访提醒\r\nBcc: x@evil", body="你好,\n.\nline",
                  idempotency_key="run-1-step-1")  # fmt: skip
    assert not _queue(app, workspace_id, subject="again", idempotency_key="run-1-step-1")
    config = {"SMTP_URL": url, "MAIL_FROM": "Formwork CRM <crm@acme.example>"}
    assert mailer.send_queued(factory_session, config) == 1
    assert mailer.send_queued(factory_session, config) == 0
    [(sender, recipients, message)] = box.messages
    assert sender == "crm@acme.example" and recipients == ["li.lei@example.com"]
    assert message["Subject"] == "回访提醒 Bcc: x@evil" and message["Bcc"] is None
    assert message["From"] == "Formwork CRM <crm@acme.example>"
    assert message["To"] == "li.lei@example.com"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == "你好,\n.\nline"
    assert box.logins, "logged in with the URL's credentials"
    [stored] = _messages(app)
    assert stored.status == "sent" and stored.sent_at is not None and stored.attempts == 1


def test_a_message_left_sending_by_a_crash_is_never_sent_again(
    app: Flask,
    factory_session: sessionmaker[Session],
    workspace_id: int,
    smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, box = smtp
    _queue(app, workspace_id)

    class Crash(BaseException):
        """The process dies while talking to the server."""

    def crash(self: Any, claimed: Any) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(mailer._Transport, "send", crash)
        with pytest.raises(Crash):
            mailer.send_queued(factory_session, {"SMTP_URL": url})
    [stored] = _messages(app)
    assert stored.status == "sending" and stored.attempts == 1
    assert mailer.send_queued(factory_session, {"SMTP_URL": url}) == 0
    assert box.messages == []
    assert _messages(app)[0].status == "sending"


def test_without_an_smtp_server_messages_are_logged_without_their_body(
    app: Flask,
    factory_session: sessionmaker[Session],
    workspace_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _queue(app, workspace_id, subject="Overdue follow-up", body="secret body text")
    with caplog.at_level(logging.INFO, logger="formwork.mail"):
        assert mailer.send_queued(factory_session, {}) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "formwork.mail"]
    assert len(logged) == 1
    assert "Overdue follow-up" in logged[0] and "li.lei@example.com" in logged[0]
    assert "secret body text" not in caplog.text
    [stored] = _messages(app)
    assert stored.status == "logged" and stored.sent_at is not None


def test_a_temporary_refusal_is_retried_up_to_five_times_then_fails(
    app: Flask, factory_session: sessionmaker[Session], workspace_id: int, smtp: Any
) -> None:
    url, box = smtp
    box.refuse["busy@example.com"] = (451, "4.3.0 Try again later")
    box.refuse["gone@example.com"] = (550, "5.1.1 No such user")
    _queue(app, workspace_id, to="busy@example.com")
    _queue(app, workspace_id, to="gone@example.com")
    _queue(app, workspace_id, to="ok@example.com")
    assert mailer.send_queued(factory_session, {"SMTP_URL": url}) == 1
    busy, gone, ok = _messages(app)
    assert (busy.status, busy.attempts) == ("queued", 1) and "451" in (busy.error or "")
    assert gone.status == "failed" and "550" in (gone.error or "")
    assert ok.status == "sent"
    for _ in range(4):
        mailer.send_queued(factory_session, {"SMTP_URL": url})
    busy = _messages(app)[0]
    assert (busy.status, busy.attempts) == ("failed", 5)
    assert [recipients for _s, recipients, _m in box.messages] == [["ok@example.com"]]


def test_an_unreachable_server_leaves_messages_queued(
    app: Flask, factory_session: sessionmaker[Session], workspace_id: int
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _queue(app, workspace_id)
    _queue(app, workspace_id)
    assert mailer.send_queued(factory_session, {"SMTP_URL": f"smtp://127.0.0.1:{port}"}) == 0
    first, second = _messages(app)
    assert first.status == "queued" and first.attempts == 1 and "unreachable" in (first.error or "")
    assert second.status == "queued" and second.attempts == 0  # left for the next run


def test_only_one_mailer_gets_each_message(
    app: Flask, factory_session: sessionmaker[Session], workspace_id: int, smtp: Any
) -> None:
    url, box = smtp
    for number in range(6):
        _queue(app, workspace_id, subject=f"Message {number}")
    results: list[int] = []
    workers = [
        threading.Thread(
            target=lambda: results.append(mailer.send_queued(factory_session, {"SMTP_URL": url}))
        )
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(results) == 6
    assert sorted(str(m["Subject"]) for _s, _r, m in box.messages) == [
        f"Message {n}" for n in range(6)
    ]


@pytest.mark.parametrize(
    "to", ["", "not-an-address", "a@b.example\r\nBcc: x@y", "Li <li@example.com>", "a b@c.d"]
)
def test_bad_recipients_are_refused_when_queued(app: Flask, workspace_id: int, to: str) -> None:
    with app.app_context(), pytest.raises(Invalid) as caught:
        mailer.queue_email(db.session(), workspace_id=workspace_id, to=to, subject="s", body="b")
    assert caught.value.field == "to"


def test_smtp_urls_are_parsed() -> None:
    settings = mailer.parse_smtp_url("smtps://user%40x:p%3Ass@mail.example:2465")
    assert (settings.host, settings.port, settings.ssl) == ("mail.example", 2465, True)
    assert (settings.username, settings.password) == ("user@x", "p:ss")
    assert mailer.parse_smtp_url("smtp://mail.example", starttls=True).port == 25
    assert mailer.parse_smtp_url("smtp://mail.example", starttls=True).starttls
    with pytest.raises(ValueError, match="SMTP_URL"):
        mailer.parse_smtp_url("http://mail.example")


def test_reset_stuck_messages_is_not_done_automatically(
    app: Flask, factory_session: sessionmaker[Session], workspace_id: int
) -> None:
    """A 'sending' message stays for a person to look at, even without an SMTP server."""
    _queue(app, workspace_id)
    with app.app_context():
        session = db.session()
        session.execute(update(EmailMessage).values(status="sending"))
        session.commit()
    assert mailer.send_queued(factory_session, {}) == 0
    assert _messages(app)[0].status == "sending"
