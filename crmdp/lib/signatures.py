"""Standard Webhooks signatures (https://www.standardwebhooks.com/): a sender that
can sign proves that a request comes from it and is recent.

The secret is `whsec_` + base64 of random bytes. A request carries `webhook-id`,
`webhook-timestamp` (Unix seconds) and `webhook-signature`: space-separated
`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` entries (several during a
secret rotation); one must match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureProblem(ValueError):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value a sender puts on `body`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    *,
    message_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise SignatureProblem unless the headers sign `body` with `secret`, recently."""
    if not (message_id and timestamp and signature):
        raise SignatureProblem(
            "this listener requires signed requests: send webhook-id, webhook-timestamp "
            "and webhook-signature"
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureProblem("webhook-timestamp must be Unix seconds") from None
    if abs((now if now is not None else time.time()) - sent_at) > TOLERANCE_SECONDS:
        raise SignatureProblem("webhook-timestamp is more than 5 minutes away from now")
    expected = sign(secret, message_id, sent_at, body).split(",", 1)[1]
    for candidate in signature.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise SignatureProblem("webhook-signature does not match the body")
