"""The hostile corpus against a real `crmdp serve`: gunicorn reads the bytes first,
and may answer some itself. Every answer is a clean 4xx (the listener's JSON or
gunicorn's own), or the 200 a valid body earns, never a 5xx or a hang."""

from __future__ import annotations

import json

import pytest

from crmdp.api.schemas import ErrorOut, ListenerResponse
from tests.listeners.hostile import corpus
from tests.server.live import LiveServer, Tenant

SECONDS = 1.0
# What gunicorn refuses itself must not hang until the header timeout (10 s): an
# answer well inside it proves that. Under CI's load the answer can take a second
# of CPU wait, which says nothing about hanging.
NOT_A_HANG = 5.0


@pytest.mark.server
def test_the_hostile_corpus_gets_clean_answers_from_a_real_server(
    served: LiveServer, tenant: Tenant
) -> None:
    problems = []
    for case in corpus(tenant.owner):
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        answer = served.send(tenant.listener_path, case.body, headers)
        if answer.status != case.status:
            problems.append(f"{case.name}: {answer!r}")
            continue
        body = json.loads(answer.body)
        if case.code is None:
            ListenerResponse.model_validate(body)
        else:
            ErrorOut.model_validate(body)
            if body["error"]["code"] != case.code:
                problems.append(f"{case.name}: {answer!r}")
        if answer.seconds >= SECONDS:
            problems.append(f"{case.name}: {answer.seconds:.2f} s")
    assert not problems, "\n".join(problems)


def _chunked(body: bytes, size: int = 65536) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


@pytest.mark.server
def test_a_chunked_body_is_read_like_any_other(served: LiveServer, tenant: Tenant) -> None:
    body = json.dumps(
        {"senderUser": tenant.owner, "data": [{"actionType": "add-lead", "data": {"name": "Ch"}}]}
    ).encode()
    answer = served.send(tenant.listener_path, _chunked(body, 16), {"Transfer-Encoding": "chunked"})
    assert answer.status == 200, answer
    assert answer.json["results"][0]["status"] == "created"


@pytest.mark.server
def test_a_chunked_body_over_the_limit_gets_413_fast(served: LiveServer, tenant: Tenant) -> None:
    body = b'{"senderUser": "x", "data": [], "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    answer = served.send(tenant.listener_path, _chunked(body), {"Transfer-Encoding": "chunked"})
    assert answer.status == 413, answer
    assert answer.json["error"]["code"] == "body_too_large"
    assert answer.seconds < SECONDS


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


@pytest.mark.server
@pytest.mark.parametrize(
    ("name", "request_bytes"),
    [
        (
            "a request line longer than 4094 bytes",
            b"POST /listener/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
        ("a header longer than 8190 bytes", b"POST /listener/x HTTP/1.1\r\nX-Big: " + b"a" * 9000),
        ("a garbage request line", b"\x00\x01\x02 nonsense\r\n\r\n"),
        (
            "Content-Length and chunked together (request smuggling)",
            b"POST /listener/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        (
            "a negative Content-Length",
            b"POST /listener/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
        ),
    ],
)
def test_what_gunicorn_refuses_itself_is_a_4xx_not_a_5xx_or_a_hang(
    served: LiveServer, name: str, request_bytes: bytes
) -> None:
    reply, seconds = served.raw(request_bytes + b"\r\n\r\n")
    assert 400 <= _status(reply) < 500, (name, reply[:200])
    assert seconds < NOT_A_HANG


@pytest.mark.server
def test_a_huge_declared_length_is_refused_without_waiting_for_the_body(
    served: LiveServer, tenant: Tenant
) -> None:
    # Ten bytes of a declared gigabyte: a server that read the body first would wait
    # for the rest until its timeout.
    head = (
        f"POST {tenant.listener_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n\r\n"
    ).encode()
    reply, seconds = served.raw(head + b'{"data": [')
    assert _status(reply) == 413, reply[:300]
    assert b'"body_too_large"' in reply
    assert seconds < SECONDS
