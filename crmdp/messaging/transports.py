"""One transport per channel and provider, with one error type that says whether
a failure is worth retrying (as healthchecks' transports do)."""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage

if TYPE_CHECKING:
    from crmdp.messaging.models import Message

log = logging.getLogger(__name__)


class Transport(Protocol):
    name: str

    def send(self, message: Message) -> str:
        """Deliver `message`; returns the provider's id for it. Raises TransportError."""
        ...


class TransportError(Exception):
    """A send that did not happen. `permanent` failures are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class EmailTransport:
    """Email through Django's email backend (SMTP when EMAIL_HOST is set)."""

    name = "email"

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
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise TransportError(
                f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise TransportError(
                f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP unavailable: {exc}", permanent=False) from None
        return message_id


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
    """A generic HTTP gateway: POST {"to", "text", "idempotencyKey"} as JSON.

    2xx is sent; 5xx, 408, 429, timeouts and connection errors are temporary;
    any other 4xx is permanent (the gateway will never accept that request).
    """

    name = "http"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, message: Message) -> str:
        body = json.dumps(
            {"to": message.to, "text": message.body, "idempotencyKey": message.idempotency_key}
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.idempotency_key,
                "User-Agent": "crmdp",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.CRMDP_SMS_TIMEOUT) as response:
                answer = response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode(errors="replace")
            temporary = exc.code >= 500 or exc.code in (408, 429)
            raise TransportError(
                f"gateway answered {exc.code}: {detail}".strip(), permanent=not temporary
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(f"gateway unreachable: {reason}", permanent=False) from None
        try:
            provider_id = str(json.loads(answer).get("id", ""))
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id or message.idempotency_key


# The SMS providers an org can choose (`crmdp sms set --provider …`).
SMS_TRANSPORTS: dict[str, Callable[[str], Transport]] = {
    "log": LogSms,
    "http": HttpSms,
}
