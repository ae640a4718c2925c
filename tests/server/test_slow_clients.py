"""The server survives slow clients (issue 13, point 10), over real sockets.

64 slow-loris connections (headers or a body trickled a byte every two seconds)
against one web process of two threads: with gunicorn's gthread worker each holds
a thread and normal requests go unanswered; `crmdp serve`'s buffering worker
(crmdp/web/buffering.py) hands a thread only whole requests.
"""

from __future__ import annotations

import socket
import time

import pytest

from bench.slowloris import SlowClients, normal_request
from tests.server.conftest import Deploy

pytestmark = pytest.mark.server


def test_64_slow_clients_do_not_keep_a_normal_request_waiting(deploy: Deploy):
    env = deploy()
    site = env.provision()
    server = env.serve(processes=1, threads=2)
    path, owner = site.listener_path, site.owner
    assert normal_request(server.port, path, "warm", 10, owner) is not None
    slow_headers = SlowClients(server.port, site.listener_path, 32).start()
    slow_bodies = SlowClients(server.port, site.listener_path, 32, body=True).start()
    try:
        time.sleep(1)  # every slow connection is open and has sent its first bytes
        latencies = [normal_request(server.port, path, f"N{n}", 5, owner) for n in range(5)]
    finally:
        slow_headers.stop()
        slow_bodies.stop()
    assert None not in latencies, latencies
    assert max(latencies) < 2, latencies  # type: ignore[type-var]


def test_a_client_too_slow_with_its_headers_gets_408_and_is_closed(deploy: Deploy):
    env = deploy(CRMDP_HEADER_TIMEOUT="1")
    site = env.provision()
    server = env.serve(processes=1, threads=2)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(f"POST {site.listener_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert time.monotonic() - started < 5


def test_a_body_sent_in_pieces_with_expect_continue_is_answered(deploy: Deploy):
    """What curl does for bodies over 1 KiB: headers with Expect: 100-continue, wait
    for "100 Continue", then the body."""
    env = deploy()
    site = env.provision()
    server = env.serve(processes=1, threads=2)
    body = (
        b'{"senderUser": "%s", "data": [{"actionType": "add-contact", "data": {"name": "Curl"}}]}'
        % site.owner.encode()
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(
            f"POST {site.listener_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        assert conn.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        for start in range(0, len(body), 10):
            conn.sendall(body[start : start + 10])
            time.sleep(0.01)
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert reply.count(b"100 Continue") == 0  # said once, before the body
    assert b'"status": "created"' in reply


def test_a_chunked_body_is_whole_only_once_its_last_chunk_has_arrived():
    from crmdp.web.buffering import chunked_complete

    assert not chunked_complete(b"")
    assert not chunked_complete(b"5\r\nhel")
    assert not chunked_complete(b"5\r\nhello\r\n")
    assert not chunked_complete(b"5\r\nhello\r\n0\r\n")
    assert chunked_complete(b"5\r\nhello\r\n0\r\n\r\n")
    assert chunked_complete(b"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n")
    assert chunked_complete(b"zz\r\n")  # malformed: gunicorn refuses it
