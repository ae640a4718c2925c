"""Real servers at the edges: an SMTP server and an HTTP SMS gateway, in threads."""

from __future__ import annotations

import json
import logging
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[_Inbox]:
    """A real SMTP server on localhost that keeps what it receives."""
    # aiosmtpd logs every SMTP command at INFO: thousands of lines under `pytest -s`.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Gateway:
    """An HTTP SMS gateway: answers each POST with the next scripted status
    (the last one repeats), records every request, and counts what it accepted."""

    script: list[int]
    delay: float = 0.0  # seconds to wait before answering (a slow gateway)
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    # Like real gateways that honour idempotency keys: a key accepted once is not
    # delivered again, however often it is sent.
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def receive(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """Record a request the moment it arrives (before any delay)."""
        with self.lock:
            status = self.script[min(len(self.requests), len(self.script) - 1)]
            request = {"body": body, "headers": headers, "status": status}
            self.requests.append(request)
            return request

    def answer(self, request: dict[str, Any]) -> int:
        """The scripted status for `request`, once the gateway has "worked" on it."""
        body, status = request["body"], request["status"]
        with self.lock:
            if 200 <= status < 300:
                self.accepted.append(body)
                self.delivered.setdefault(str(body.get("idempotencyKey")), body)
        return int(status)


@contextmanager
def sms_gateway(*script: int, delay: float = 0.0, location: str = "") -> Iterator[Gateway]:
    """`location`: the Location header of each answer (a redirect to elsewhere)."""
    gateway = Gateway(list(script) or [200], delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:
                # The sender was cut off between its headers and its body (a worker
                # killed mid-send): no request arrived, as a real gateway would see it.
                # Read as `{}`, it was once recorded as a delivery without a key.
                return
            body = json.loads(raw or b"{}")
            request = gateway.receive(body, dict(self.headers.items()))
            if gateway.delay:
                time.sleep(gateway.delay)
            status = gateway.answer(request)
            reply = json.dumps(
                {"id": f"gw-{len(gateway.requests)}"} if status < 300 else {"error": "no"}
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(reply.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.port = server.server_address[1]
    # shutdown() waits for the loop's next poll: a short poll keeps each test fast.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Trickle:
    """A gateway that reads a request, then answers one byte every `every` seconds
    and never finishes: the slowest a peer can be without ever being idle."""

    every: float
    port: int = 0
    arrived: list[float] = field(default_factory=list)  # monotonic time of each request
    cut_after: list[float] = field(default_factory=list)  # seconds until the client hung up

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"


@contextmanager
def trickling_gateway(every: float = 5.0) -> Iterator[Trickle]:
    gateway = Trickle(every)
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    gateway.port = listener.getsockname()[1]

    def serve(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += conn.recv(65536)
            started = time.monotonic()
            gateway.arrived.append(started)
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
            for byte in answer:
                readable, _, _ = select.select([conn], [], [], 0)
                if readable and not conn.recv(1):
                    break  # the client hung up
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    break
                readable, _, _ = select.select([conn], [], [], gateway.every)
                if stop.is_set():
                    return
                if readable and not conn.recv(1):
                    break
            gateway.cut_after.append(time.monotonic() - started)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        stop.set()
        thread.join()
        listener.close()
