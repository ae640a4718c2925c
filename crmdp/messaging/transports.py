"""One transport per channel and provider, with one error type that says whether
a failure is worth retrying (as healthchecks' transports do)."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection

from crmdp.lib import outbound

if TYPE_CHECKING:
    from crmdp.messaging.models import Message

log = logging.getLogger(__name__)


class Transport(Protocol):
    @property
    def name(self) -> str:
        """The provider a message records: smtp, file, log, http …"""
        ...

    def send(self, message: Message) -> str:
        """Deliver `message`; returns the provider's id for it. Raises TransportError."""
        ...


class TransportError(Exception):
    """A send that did not happen. `permanent` failures are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


# Django's email backends by the name a message records as its provider. Only SMTP
# hands mail to another system: the others keep it on this server (a file in the data
# directory when no EMAIL_HOST is set, the console, memory) or drop it, and a message
# they took is "kept", never "sent" (issue 17).
EMAIL_BACKENDS = {
    "django.core.mail.backends.smtp.EmailBackend": "smtp",
    "django.core.mail.backends.filebased.EmailBackend": "file",
    "django.core.mail.backends.console.EmailBackend": "console",
    "django.core.mail.backends.locmem.EmailBackend": "memory",
    "django.core.mail.backends.dummy.EmailBackend": "dummy",
}
# The providers that deliver nowhere, whatever the channel (LogSms below is one).
KEEPING_PROVIDERS = frozenset({"file", "console", "memory", "dummy", "log"})


def email_provider() -> str:
    """The provider name of the configured email backend ("email": one of its own)."""
    return EMAIL_BACKENDS.get(settings.EMAIL_BACKEND, "email")


def delivers(provider: str) -> bool:
    """Whether a message this provider took went to a real transport."""
    return provider not in KEEPING_PROVIDERS


class EmailTransport:
    """Email through Django's email backend (SMTP when EMAIL_HOST is set)."""

    @property
    def name(self) -> str:
        return email_provider()

    def send(self, message: Message) -> str:
        domain = settings.CRMDP_MESSAGE_ID_DOMAIN
        message_id = f"<{message.idempotency_key}@{domain}>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            # A fixed Message-ID per outbox row: a resend after a lost lease is the
            # same message to mail systems that de-duplicate on it.
            headers={"Message-ID": message_id, "X-Crmdp-Message": message.idempotency_key},
        )
        try:
            # Built before anything is sent: a message that cannot be built (a line
            # break in a header, an address that is not one) never will be, so it
            # fails once instead of being retried.
            email.message()
        except (BadHeaderError, ValueError, UnicodeError) as exc:
            raise TransportError(f"the email cannot be built: {exc}", permanent=True) from None
        deadline = settings.CRMDP_EMAIL_TIMEOUT
        backend = get_connection(fail_silently=False, timeout=deadline)
        email.connection = backend
        expired = threading.Event()

        def cut() -> None:
            # The whole conversation has one deadline, not each read: an SMTP server
            # that trickles a byte at a time is cut off here.
            expired.set()
            sock = getattr(getattr(backend, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

        watchdog = threading.Timer(deadline, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                email.send(fail_silently=False)
            finally:
                watchdog.cancel()
                with contextlib.suppress(Exception):
                    backend.close()
            if expired.is_set():
                raise smtplib.SMTPServerDisconnected("cut by the deadline")
        except Exception as exc:
            if expired.is_set():
                raise TransportError(
                    f"SMTP timed out: no complete conversation within {deadline:g} s",
                    permanent=False,
                ) from None
            _raise_smtp(exc)
        return message_id


def _raise_smtp(exc: Exception) -> None:
    """An SMTP failure as a TransportError (permanent on a 5xx); anything else as it is."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        raise TransportError(
            f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from None
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise TransportError(
            f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500
        ) from None
    if isinstance(exc, smtplib.SMTPException | OSError):
        raise TransportError(f"SMTP unavailable: {exc}", permanent=False) from None
    raise exc


class LogSms:
    """Records SMS without sending them (development, demos, tests)."""

    name = "log"

    def __init__(self, url: str = "") -> None:
        self.url = url

    def send(self, message: Message) -> str:
        line = json.dumps({"to": message.to, "text": message.body, "id": message.idempotency_key})
        path = settings.DATA_DIR / "sms.log"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        log.info("SMS (log provider) %s", line)
        return f"log-{message.id}"


class HttpSms:
    """A generic HTTP gateway: POST {"to", "text", "idempotencyKey"} as JSON, to a
    public address only (crmdp.lib.outbound), within one total deadline.

    2xx is sent; 5xx, 408, 429, the deadline and connection errors are temporary;
    a redirect and any other 4xx are permanent (the gateway will never accept that
    request), and so is an address the platform does not send to. The gateway's
    own words are never kept: a reason says what happened in ours.
    """

    name = "http"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, message: Message) -> str:
        body = json.dumps(
            {"to": message.to, "text": message.body, "idempotencyKey": message.idempotency_key}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": "crmdp",
        }
        deadline = settings.CRMDP_SMS_TIMEOUT
        try:
            reply = outbound.post(
                self.url,
                body,
                headers,
                deadline=deadline,
                allow_private=settings.CRMDP_OUTBOUND_ALLOW_PRIVATE,
            )
        except outbound.Unresolvable as exc:
            raise TransportError(f"gateway unreachable: {exc}", permanent=False) from None
        except outbound.Refused as exc:
            raise TransportError(f"gateway address refused: {exc}", permanent=True) from None
        except outbound.DeadlinePassed:
            raise TransportError(
                f"gateway timed out: no complete answer within {deadline:g} s", permanent=False
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(
                f"gateway unreachable: {_network_reason(exc)}", permanent=False
            ) from None
        status = reply.status
        if 300 <= status < 400:
            raise TransportError(
                f"gateway answered {status}; redirects are not followed", permanent=True
            )
        if status >= 400:
            temporary = status >= 500 or status in (408, 429)
            raise TransportError(f"gateway answered {status}", permanent=not temporary)
        try:
            provider_id = str(json.loads(reply.body).get("id", ""))
        except (ValueError, AttributeError):
            provider_id = ""
        # An id is the gateway's text: kept short and printable.
        provider_id = "".join(ch for ch in provider_id[:200] if ch.isprintable())
        return provider_id or message.idempotency_key


def _network_reason(exc: BaseException) -> str:
    """A few words for a network failure (never text the other side sent)."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, TimeoutError):
        return "connect timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "TLS certificate not trusted"
    if isinstance(exc, ssl.SSLError):
        return "TLS failed"
    if isinstance(exc, http.client.HTTPException):
        return "the answer was not HTTP"
    return type(exc).__name__


# The SMS providers an org can choose (`crmdp sms set --provider …`).
SMS_TRANSPORTS: dict[str, Callable[[str], Transport]] = {
    "log": LogSms,
    "http": HttpSms,
}
