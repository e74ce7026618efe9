"""Where e-mail goes: an outbox folder of .eml files, or an SMTP server (``email_backend``).

Both implement ``EmailBackend``: ``send`` either returns (the message was
handed over) or raises ``TransientDeliveryError`` (try again later) or
``PermanentDeliveryError`` (the address or the message was refused for good).
Anything else a backend raises is a bug or a crash and propagates, so the
caller's unit of work rolls back (see ``delivery``).

Each message carries a ``Message-ID`` made from its row id, stable across
retries, so a copy handed over twice (the at-least-once case described in
``delivery``) can be recognised as the same message by mail systems and people.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from privacyops.settings import Settings

_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_ERROR_LIMIT = 500


def scrub(text: str) -> str:
    """An error text fit for the database and logs: addresses removed, length bounded.

    SMTP servers often echo the recipient ("550 <li.lei@example.com>: unknown").
    """
    return _ADDRESS.sub("[address]", text)[:_ERROR_LIMIT]


class DeliveryError(Exception):
    """A send did not happen; the text is scrubbed of addresses."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the server is down, busy, or answered 4xx."""


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help: the server answered 5xx for this message or address."""


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str
    to: str
    subject: str
    text: str
    html: str
    language: str


class EmailBackend(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Hand one message over, or raise a ``DeliveryError``."""
        ...

    def close(self) -> None:
        """Release connections; the next ``send`` opens what it needs again."""
        ...


def compose(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    """An RFC 5322 message: multipart/alternative text + HTML, UTF-8, headers encoded.

    With the ``email.policy`` API a Chinese subject is written as RFC 2047
    encoded words (``=?utf-8?b?...?=``) and the bodies as UTF-8 with a
    transfer encoding that survives 7-bit relays.
    """
    message = EmailMessage(policy=policy.SMTP)
    domain = sender.rpartition("@")[2] or "localhost"
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{email.message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    message["Content-Language"] = email.language  # after: set_content drops Content-* headers
    return message


class OutboxBackend:
    """Writes each message to ``<directory>/<message id>.eml`` (the embedded default).

    Atomic and idempotent: the file is written and fsynced under a temporary
    name, then published with ``os.link``, which refuses to overwrite. A crash
    leaves either no file or the whole file, and sending the same message
    again leaves the first file as it is, so the outbox holds each message
    exactly once even when delivery is repeated. Files are private (0600):
    they hold addresses and one-time codes in clear text.
    """

    def __init__(self, directory: Path, *, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def path_of(self, message_id: str) -> Path:
        return self.directory / f"{message_id}.eml"

    def send(self, email: OutgoingEmail) -> None:
        final = self.path_of(email.message_id)
        if final.exists():
            return
        data = compose(email, sender=self.sender).as_bytes()
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.directory / f".tmp-{email.message_id}-{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                # FileExistsError: a concurrent or earlier delivery already published it.
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(self.directory)
        except OSError as error:
            raise TransientDeliveryError(f"outbox write failed: {error.strerror}") from None

    def close(self) -> None:
        pass


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refusal(code: int, what: str, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    kind = PermanentDeliveryError if 500 <= code < 600 else TransientDeliveryError
    return kind(f"{what} refused: {code} {text}")


class SmtpBackend:
    """Sends through an SMTP server, keeping one connection open across a delivery run."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        timeout: float = 10.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self.password = starttls, username, password
        self.local_hostname = local_hostname
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            try:
                if self._connection.noop()[0] == 250:
                    return self._connection
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        connection = smtplib.SMTP(
            self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
        )
        try:
            if self.starttls:
                connection.starttls(context=ssl.create_default_context())
            if self.username is not None and self.password is not None:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def send(self, email: OutgoingEmail) -> None:
        message = compose(email, sender=self.sender)
        try:
            self._connect().send_message(message, from_addr=self.sender, to_addrs=[email.to])
        except (
            smtplib.SMTPConnectError,
            smtplib.SMTPHeloError,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
        ) as error:
            # The server or our configuration, not this message: try again later.
            self.close()
            raise TransientDeliveryError(f"SMTP {type(error).__name__}: {error}") from None
        except smtplib.SMTPRecipientsRefused as error:
            code = min(code for code, _ in error.recipients.values())
            reply = next(iter(error.recipients.values()))[1]
            raise _refusal(code, "recipient", reply) from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _refusal(error.smtp_code, "message", error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise TransientDeliveryError(f"SMTP {type(error).__name__}: {error}") from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def backend_from_settings(settings: Settings) -> EmailBackend:
    """The backend ``settings.email_backend`` names."""
    if settings.email_backend == "smtp":
        return SmtpBackend(settings.smtp_host, settings.smtp_port, sender=settings.mail_from)
    return OutboxBackend(settings.outbox_dir, sender=settings.mail_from)
