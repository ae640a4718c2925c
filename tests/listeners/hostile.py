"""Bodies that break naive JSON services, each with the answer the listener owes it.

Used twice: through Django's test client (tests/listeners/test_hostile_input.py)
and against a real `crmdp serve` (tests/server/test_hostile_input.py), where
gunicorn sees the bytes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DEPTH = 100_000
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    content_type: str | None
    status: int
    code: str | None  # the error code of the answer, None for a 200

    def __str__(self) -> str:
        return self.name


def _contact(sender: str, name_json: str) -> bytes:
    """One add-contact whose name is the given JSON text, spliced in as it is."""
    return (
        f'{{"senderUser": "{sender}", "data": [{{"actionType": "add-contact", '
        f'"data": {{"name": {name_json}, "passport": "HOSTILE-1"}}}}]}}'
    ).encode()


def corpus(sender: str) -> list[Hostile]:
    ok = json.dumps(
        {"senderUser": sender, "data": [{"actionType": "add-contact", "data": {"name": "Lan"}}]}
    ).encode()

    def bad(
        name: str, body: bytes, code: str = "invalid_body", ctype: str | None = None
    ) -> Hostile:
        return Hostile(name, body, ctype or "application/json", 400, code)

    boundary = "----crmdp-hostile"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="senderUser"\r\n\r\n{sender}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    return [
        bad("arrays nested 100,000 deep", b'{"data": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
        bad(
            "objects nested 100,000 deep",
            b'{"senderUser": "x", "data": [], "a": '
            + b'{"a": ' * DEPTH
            + b"1"
            + b"}" * DEPTH
            + b"}",
        ),
        bad("a 5,000-digit integer", _contact(sender, "1" * 5000)),
        bad("a 5,000-digit fraction", _contact(sender, "0." + "1" * 5000)),
        bad("an exponent past any float", _contact(sender, "1e999999999")),
        bad("NaN", _contact(sender, "NaN")),
        bad("Infinity", _contact(sender, "Infinity")),
        bad("-Infinity", _contact(sender, "-Infinity")),
        bad(
            "a duplicate key",
            f'{{"senderUser": "{sender}", "senderUser": "x@example.com", "data": []}}'.encode(),
        ),
        bad("a lone surrogate in a value", _contact(sender, '"Lan \\ud800"')),
        bad("a lone low surrogate in a value", _contact(sender, '"\\udfff Lan"')),
        bad(
            "a lone surrogate in a key",
            f'{{"senderUser": "{sender}", "data": [], "\\ud800": 1}}'.encode(),
        ),
        bad("a NUL escape in a value", _contact(sender, '"Lan\\u0000Nguyen"')),
        bad(
            "a NUL escape in a key",
            f'{{"senderUser": "{sender}", "data": [], "a\\u0000": 1}}'.encode(),
        ),
        bad("a raw NUL byte in a string", _contact(sender, '"Lan\x00"')),
        bad("invalid UTF-8", _contact(sender, '"Lan"').replace(b"Lan", b"L\xffan")),
        bad(
            "a surrogate encoded in UTF-8 (CESU-8)",
            _contact(sender, '"Lan"').replace(b"Lan", b"L\xed\xa0\x80n"),
        ),
        bad("Latin-1 instead of UTF-8", _contact(sender, '"Lan"').replace(b"Lan", b"L\xe2n")),
        bad("UTF-16 with a byte order mark", ok.decode().encode("utf-16")),
        bad("an array instead of an object", b"[]", "invalid_envelope"),
        bad("a string instead of an object", b'"add-contact"', "invalid_envelope"),
        bad("null instead of an object", b"null", "invalid_envelope"),
        bad("a number instead of an object", b"42", "invalid_envelope"),
        bad(
            "data as an object",
            json.dumps({"senderUser": sender, "data": {"actionType": "add-contact"}}).encode(),
            "invalid_envelope",
        ),
        bad(
            "data as a string",
            json.dumps({"senderUser": sender, "data": "add-contact"}).encode(),
            "invalid_envelope",
        ),
        bad(
            "data as null",
            json.dumps({"senderUser": sender, "data": None}).encode(),
            "invalid_envelope",
        ),
        Hostile(
            "a 10 MB string",
            _contact(sender, '"' + "x" * TEN_MB + '"'),
            "application/json",
            413,
            "body_too_large",
        ),
        bad("a string longer than the string limit", _contact(sender, '"' + "x" * 70_000 + '"')),
        bad("a key longer than the string limit", _contact(sender, '{"' + "k" * 70_000 + '": 1}')),
        bad("an empty body", b""),
        bad("a body of blanks", b" \r\n\t "),
        bad("truncated JSON", ok[: len(ok) // 2]),
        bad("two JSON documents", ok + ok),
        bad(
            "a form-encoded body",
            f"senderUser={sender}&data=add-contact".encode(),
            ctype="application/x-www-form-urlencoded",
        ),
        bad("plain text", b"hello, listener", ctype="text/plain"),
        bad("a multipart body", multipart, ctype=f"multipart/form-data; boundary={boundary}"),
        Hostile("JSON sent as text/plain", ok, "text/plain", 200, None),
        Hostile("JSON sent as a form", ok, "application/x-www-form-urlencoded", 200, None),
        Hostile(
            "JSON sent as multipart", ok, f"multipart/form-data; boundary={boundary}", 200, None
        ),
        Hostile("JSON with no content type", ok, None, 200, None),
        Hostile("JSON with a byte order mark", b"\xef\xbb\xbf" + ok, "application/json", 200, None),
    ]
