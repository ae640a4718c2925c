"""A gunicorn worker that reads each request whole before a thread takes it.

gunicorn's gthread worker gives a connection to one of its few threads as soon as
the first bytes arrive, and the thread then reads the rest of the request. A
client that sends its headers or body a byte every few seconds (slow-loris) holds
that thread for as long as it likes: 64 such connections stop every thread of
every process, and a normal request waits until they give up (measured: 0 of 3
normal requests answered in 10 s, `python -m bench.slowloris`).

This worker reads requests in its main loop instead, without blocking, alongside
every other connection: the headers within CRMDP_HEADER_TIMEOUT seconds (10) and
then the body (by Content-Length or chunked) within CRMDP_BODY_TIMEOUT (60). Only
a complete request is handed to a thread, with the bytes already read given back
to gunicorn's parser, so slow clients cost a buffer each, never a thread. A client
past its deadline gets 408 and is closed.

Left to gunicorn, unbuffered: a body declared larger than the listener reads (it
refuses those on the declared length, unread), headers too large for gunicorn's
own limits and malformed framing (it refuses them), TLS connections (crmdp serve
runs plain HTTP behind a proxy).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

_READ_SIZE = 65536
# Past this without the end of the headers, gunicorn's parser refuses the request.
_MAX_HEADER_BYTES = 65536 + 8192
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*([^\s]*)[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
_EXPECT = re.compile(rb"^expect[ \t]*:[ \t]*100-continue[ \t]*\r\n", re.I | re.M)
_TIMEOUT_REPLY = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 22\r\n\r\nrequest not sent whole"
)


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _body_limit() -> int:
    """Bodies up to the listener's limit are buffered; a larger declared one is the
    application's to refuse at once, unread."""
    value = os.environ.get("CRMDP_MAX_BODY_BYTES", "").strip()
    return (int(value) if value else 1024 * 1024) + 1


class _Pending:
    """What has arrived of one request, and until when the rest may take."""

    def __init__(self, header_timeout: float) -> None:
        self.data = bytearray()
        self.deadline = time.monotonic() + header_timeout
        self.header_end = -1  # offset just past the blank line, once seen
        self.body_length: int | None = None  # by Content-Length; None when chunked
        self.chunked = False


def chunked_complete(body: bytes) -> bool:
    """Whether `body` holds a whole chunked body (up to its last chunk and trailers).
    Malformed chunking counts as complete: gunicorn's parser refuses it."""
    at = 0
    while True:
        line_end = body.find(b"\r\n", at)
        if line_end < 0:
            return len(body) - at > 1024  # an endless size line: let gunicorn refuse it
        size_text = body[at:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return True
        if size == 0:
            return body.find(b"\r\n\r\n", line_end) >= 0 or body.endswith(b"0\r\n\r\n")
        at = line_end + 2 + size + 2
        if at > len(body):
            return False


class BufferingWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _seconds("CRMDP_HEADER_TIMEOUT", 10)
        self.body_timeout = _seconds("CRMDP_BODY_TIMEOUT", 60)
        self.body_limit = _body_limit()
        self.buffering: dict[Any, _Pending] = {}

    # -- where gthread hands a connection to a thread ------------------------------

    def enqueue_req(self, conn: Any) -> None:
        ready = getattr(conn, "crmdp_ready", False)
        leftover = conn.parser is not None and conn.parser.unreader.buf.getvalue()
        if ready or leftover or self.cfg.is_ssl:
            conn.crmdp_ready = False
            super().enqueue_req(conn)
            return
        conn.sock.setblocking(False)
        pending = self.buffering[conn] = _Pending(self.header_timeout)
        # A kept-alive connection comes here once the poller saw its next request
        # arriving: usually all of it is there already, and it goes to a thread now
        # rather than after another round of the main loop (one poller registration
        # and wake-up less per request). A new connection's first bytes may not be
        # there yet: then it waits on the poller like any other.
        if self._read(conn, pending):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def handle(self, conn: Any) -> Any:
        read = getattr(conn, "crmdp_read", None)
        if read:
            conn.crmdp_read = None
            conn.data_ready = True  # no waiting for the first byte: it is all here
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(read)
        return super().handle(conn)

    # -- reading in the main loop ---------------------------------------------------

    def _readable(self, conn: Any, _sock: Any) -> None:
        pending = self.buffering.get(conn)
        if pending is not None:
            self._read(conn, pending)

    def _read(self, conn: Any, pending: _Pending) -> bool:
        """Read what has arrived; True when the connection left the buffering (its
        request handed to a thread, or the client gone)."""
        try:
            chunk = conn.sock.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            chunk = b""
        if not chunk:  # the client left
            self._drop(conn)
            return True
        pending.data += chunk
        if self._complete(conn, pending):
            self._hand_over(conn, pending)
            return True
        return False

    def _complete(self, conn: Any, pending: _Pending) -> bool:
        data = pending.data
        if pending.header_end < 0:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                return len(data) > _MAX_HEADER_BYTES
            pending.header_end = end + 4
            head = bytes(data[: pending.header_end])
            lengths = _CONTENT_LENGTH.findall(head)
            chunked = pending.chunked = bool(_CHUNKED.search(head))
            if (lengths and chunked) or len(lengths) > 1:
                return True  # ambiguous framing: gunicorn refuses it
            if lengths:
                try:
                    pending.body_length = int(lengths[0])
                except ValueError:
                    return True
                if pending.body_length < 0 or pending.body_length > self.body_limit:
                    return True  # the application refuses it on the declared length
            elif not chunked:
                pending.body_length = 0
            if _EXPECT.search(head):
                # The client waits for this before it sends the body. Said here, and
                # the header dropped, so gunicorn does not say it again.
                with contextlib.suppress(OSError):
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                stripped = _EXPECT.sub(b"", head)
                pending.data = bytearray(stripped) + data[pending.header_end :]
                pending.header_end = len(stripped)
                data = pending.data
            pending.deadline = time.monotonic() + self.body_timeout
        body = data[pending.header_end :]
        if pending.body_length is not None:
            return len(body) >= pending.body_length
        assert pending.chunked
        return len(body) > self.body_limit + 65536 or chunked_complete(bytes(body))

    def _hand_over(self, conn: Any, pending: _Pending) -> None:
        del self.buffering[conn]
        with contextlib.suppress(KeyError, ValueError):  # not registered: read at once
            self.poller.unregister(conn.sock)
        conn.crmdp_read = bytes(pending.data)
        conn.crmdp_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn: Any, reply: bytes = b"") -> None:
        self.buffering.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        if reply:
            with contextlib.suppress(OSError):
                conn.sock.send(reply)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Called by gthread's main loop about once a second."""
        super().murder_pending()
        now = time.monotonic()
        late = [conn for conn, pending in self.buffering.items() if pending.deadline <= now]
        for conn in late:
            self._drop(conn, _TIMEOUT_REPLY)

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        if force:  # stopping: requests still arriving are dropped with the worker
            for conn in list(self.buffering):
                self._drop(conn)
