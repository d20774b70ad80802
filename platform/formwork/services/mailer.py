"""The e-mail outbox and the mailer that empties it.

``queue_email`` writes a message into ``email_messages`` inside the caller's transaction
(an automation step, the reminder sweep), so a message is queued exactly when the change
that decided to send it is committed, and an ``idempotency_key`` keeps it to one row.

``send_queued`` sends what is queued, **at most once**: each message is claimed with
``UPDATE … SET status='sending' WHERE id=? AND status='queued'`` and that is committed
*before* the SMTP server is contacted. A crash or a lost connection in the middle leaves
the message ``sending`` ("outcome unknown") — it is never sent a second time. Only
failures where the server certainly did not take the message (it could not be reached,
or it answered 4xx, "try again later") put it back to ``queued``, for at most
``MAX_ATTEMPTS`` attempts; everything else is ``failed`` with the error text.

Without ``SMTP_URL`` nothing leaves the machine: each message is written to the
``formwork.mail`` log (recipient and subject only, never the body) and marked ``logged``.

Configuration read (``FORMWORK_`` environment variables through ``app.config``):
``SMTP_URL`` (``smtp://user:password@host:port`` or ``smtps://…``), ``SMTP_STARTTLS``
(upgrade a plain ``smtp://`` connection with STARTTLS) and ``MAIL_FROM``.

No database transaction is held while the SMTP server is talking (DESIGN §11).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import EmailMessage
from formwork.services.errors import Invalid
from formwork.services.notifications import dialect_insert

log = logging.getLogger(__name__)
mail_log = logging.getLogger("formwork.mail")

DEFAULT_FROM = "Formwork <no-reply@localhost>"
MAX_ATTEMPTS = 5
SMTP_TIMEOUT = 10.0
SUBJECT_MAX = 300
ERROR_MAX = 2000

SessionFactory = Callable[[], Session]


def queue_email(
    session: Session,
    *,
    workspace_id: int,
    to: str,
    subject: str,
    body: str,
    idempotency_key: str | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction (no commit).

    Returns False when a message with ``idempotency_key`` is already queued or sent.

    Raises:
        Invalid: ``to`` is not a single plain e-mail address.
    """
    address = _clean_address(to)
    statement = (
        dialect_insert(session, EmailMessage)
        .values(
            workspace_id=workspace_id,
            to_address=address,
            # Headers cannot carry line breaks; a subject is one line.
            subject=" ".join(str(subject).split())[:SUBJECT_MAX],
            body=str(body),
            status="queued",
            idempotency_key=idempotency_key,
            attempts=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(EmailMessage.id)
    )
    return session.scalar(statement) is not None


def _clean_address(to: str) -> str:
    text = str(to).strip()
    _name, address = parseaddr(text)
    if (
        not address
        or address != text
        or address.count("@") != 1
        or any(char.isspace() or ord(char) < 32 for char in address)
        or len(address) > 254
    ):
        raise Invalid(_l("“%(address)s” is not an e-mail address.", address=text[:80]), field="to")
    return address


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    body: str
    attempts: int
    created_at_ts: int


class _Retry(Exception):
    """The server certainly did not take the message; it may be queued again."""


class _Failed(Exception):
    """The message failed for good (or its outcome is unknown): never sent again."""


def send_queued(
    session_factory: SessionFactory, config: Mapping[str, Any], *, limit: int = 100
) -> int:
    """Send (or log) up to ``limit`` queued messages; returns how many went out.

    Each message is handled at most once per call, in id order. Safe to run in several
    processes at once: the claim lets exactly one of them have each message.
    """
    transport = _Transport(config) if config.get("SMTP_URL") else None
    handled = 0
    after_id = 0
    try:
        while handled < limit:
            claimed = _claim_next(session_factory, after_id)
            if claimed is None:
                break
            after_id = claimed.id
            if transport is None:
                mail_log.info(
                    "e-mail not sent (no SMTP server configured): to=%s subject=%r",
                    claimed.to_address,
                    claimed.subject,
                )
                _finish(session_factory, claimed.id, "logged")
                handled += 1
                continue
            try:
                transport.send(claimed)
            except _Retry as exc:
                again = claimed.attempts < MAX_ATTEMPTS
                _finish(session_factory, claimed.id, "queued" if again else "failed", str(exc))
                log.warning("e-mail %s deferred: %s", claimed.id, exc)
                if transport.unreachable:
                    break  # the server is down: leave the rest for the next run
            except _Failed as exc:
                _finish(session_factory, claimed.id, "failed", str(exc))
                log.warning("e-mail %s failed: %s", claimed.id, exc)
            else:
                _finish(session_factory, claimed.id, "sent")
                handled += 1
    finally:
        if transport is not None:
            transport.close()
    return handled


def _claim_next(session_factory: SessionFactory, after_id: int) -> _Claimed | None:
    """Take the next queued message for this process and commit that before sending.

    A read-only look first, so an empty outbox never takes SQLite's write lock; then one
    ``UPDATE … WHERE id = (next queued) AND status = 'queued' RETURNING`` as the first
    statement of its own transaction, so SQLite waits for the write lock instead of
    failing to upgrade a read, and of two mailers racing for a row only one gets it.
    """
    next_queued = (
        select(EmailMessage.id)
        .where(EmailMessage.status == "queued", EmailMessage.id > after_id)
        .order_by(EmailMessage.id)
        .limit(1)
    )
    with session_factory() as session:
        while True:
            found = session.scalar(next_queued)
            session.rollback()
            if found is None:
                return None
            row = session.execute(
                update(EmailMessage)
                .where(
                    EmailMessage.id == next_queued.scalar_subquery(),
                    EmailMessage.status == "queued",
                )
                .values(status="sending", attempts=EmailMessage.attempts + 1)
                .returning(
                    EmailMessage.id,
                    EmailMessage.to_address,
                    EmailMessage.subject,
                    EmailMessage.body,
                    EmailMessage.attempts,
                    EmailMessage.created_at,
                )
                .execution_options(synchronize_session=False)
            ).first()
            session.commit()
            if row is not None:
                return _Claimed(
                    id=row.id,
                    to_address=row.to_address,
                    subject=row.subject,
                    body=row.body,
                    attempts=row.attempts,
                    created_at_ts=int(row.created_at.timestamp()),
                )
            # Another mailer took it first: look again.


def _finish(session_factory: SessionFactory, message_id: int, status: str, error: str = "") -> None:
    values: dict[str, Any] = {"status": status, "error": error[:ERROR_MAX] or None}
    if status in {"sent", "logged"}:
        values["sent_at"] = utcnow()
    with session_factory() as session:
        session.execute(
            update(EmailMessage)
            .where(EmailMessage.id == message_id, EmailMessage.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    ssl: bool
    starttls: bool


def parse_smtp_url(url: str, *, starttls: bool = False) -> SmtpSettings:
    """``smtp://user:pass@host:port`` / ``smtps://…`` → settings (ValueError when bad)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:port or smtps://…")
    secure = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if secure else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=secure,
        starttls=starttls and not secure,
    )


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class _Transport:
    """One SMTP connection per ``send_queued`` call, opened on first use."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.settings = parse_smtp_url(
            str(config["SMTP_URL"]), starttls=_flag(config.get("SMTP_STARTTLS"))
        )
        self.sender = str(config.get("MAIL_FROM") or DEFAULT_FROM)
        self.timeout = SMTP_TIMEOUT
        self.connection: smtplib.SMTP | None = None
        self.unreachable = False

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        try:
            if settings.ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(settings.host, settings.port, timeout=self.timeout)
            connection.ehlo()
            if settings.starttls:
                connection.starttls(context=context)
                connection.ehlo()
            if settings.username:
                connection.login(settings.username, settings.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            # Nothing was handed over: retried (and failed after MAX_ATTEMPTS runs).
            self.unreachable = True
            raise _Retry(f"SMTP log-in refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:
            self.unreachable = True
            raise _Retry(f"SMTP server refused the session: {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Nothing was handed over yet: safe to try again later.
            self.unreachable = True
            raise _Retry(f"SMTP server unreachable: {exc}") from exc
        return connection

    def send(self, claimed: _Claimed) -> None:
        if self.connection is None:
            self.connection = self._connect()
        message = self._mime(claimed)
        try:
            refused = self.connection.send_message(
                message, from_addr=self._envelope_sender(), to_addrs=[claimed.to_address]
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b""))
            raise self._refused(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise self._refused(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke during the transaction: the server may have taken the
            # message. Unknown outcome → failed, never sent twice.
            self._drop()
            raise _Failed(f"connection lost while sending: {exc}") from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise self._refused(code, text)

    @staticmethod
    def _refused(code: int, text: bytes | str) -> Exception:
        if 400 <= code < 500:
            return _Retry(f"SMTP {code} {_text(text)}")
        return _Failed(f"SMTP {code} {_text(text)}")

    def _envelope_sender(self) -> str:
        return parseaddr(self.sender)[1] or "no-reply@localhost"

    def _mime(self, claimed: _Claimed) -> MimeMessage:
        message = MimeMessage()
        name, address = parseaddr(self.sender)
        message["From"] = str(Address(display_name=name, addr_spec=address)) if name else address
        message["To"] = claimed.to_address
        message["Subject"] = claimed.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = address.rpartition("@")[2] or "localhost"
        # Stable per outbox row: a receiving system can recognise the same message.
        message["Message-ID"] = f"<formwork-{claimed.id}.{claimed.created_at_ts}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(claimed.body)
        return message

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self._drop()


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
