"""Requests to addresses that an org admin chooses (an SMS gateway's URL).

An org admin must not be able to make the platform talk to what only the platform
can reach (SSRF): its own loopback services, the LAN, a cloud's metadata endpoint.
So a URL is checked when it is saved and again at every send, after its name is
resolved; the request then goes to the very address that was checked (the Host
header and TLS's SNI still name the host), so a name that resolves elsewhere a
moment later (DNS rebinding) changes nothing. Redirects are never followed, and the
whole exchange, connect to last byte, has one deadline: a watchdog cuts the socket
when it passes, however slowly the other side trickles bytes.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints that are not link-local (AWS over IPv6, Alibaba).
_METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
MAX_REPLY_BYTES = 65536


class Refused(ValueError):
    """A URL or address the platform will not send to; the text says why."""


class Unresolvable(Refused):
    """The host name does not resolve (now): worth trying again later."""


class DeadlinePassed(TimeoutError):
    """The exchange did not finish within its total deadline."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# Replaced in tests, so that no test resolves a real name.
resolver: Callable[[str, int], list[str]] = system_resolver
# Replaced in tests, so that no test sends a packet off the machine.
connect: Callable[..., socket.socket] = socket.create_connection


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query

    @property
    def secure(self) -> bool:
        return self.scheme == "https"


def parse(url: str) -> Target:
    """The parts of an http(s) URL; Refused for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused(f"{url!r} is not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are allowed")
    if not parts.hostname:
        raise Refused("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL must not hold a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def why_refused(address: Address, *, allow_private: bool) -> str | None:
    """Why the platform will not send to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
    if address in _METADATA or address.is_link_local:
        return f"{address} is a link-local or cloud metadata address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return f"{address} is not a unicast address"
    if address.is_global:
        return None
    if allow_private:  # loopback, private ranges, shared (carrier) space
        return None
    what = "a loopback" if address.is_loopback else "a private"
    return f"{address} is {what} address (see CRMDP_OUTBOUND_ALLOW_PRIVATE)"


def addresses(target: Target, *, allow_private: bool) -> list[str]:
    """The addresses `target` may be reached at: every address its host resolves to
    must be allowed (a name may not mix a public address with a private one)."""
    try:
        literal: Address | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = resolver(target.host, target.port)
        except (OSError, UnicodeError):
            raise Unresolvable(f"{target.host} does not resolve") from None
        if not found:
            raise Unresolvable(f"{target.host} does not resolve")
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # no IPv6 zone
        reason = why_refused(address, allow_private=allow_private)
        if reason is not None:
            raise Refused(f"{target.host}: {reason}" if literal is None else reason)
    return found


def check_url(url: str, *, allow_private: bool) -> Target:
    """Refuse a URL the platform may not send to (when it is saved)."""
    target = parse(url)
    addresses(target, allow_private=allow_private)
    return target


@dataclass
class Reply:
    status: int
    body: bytes


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    deadline: float,
    allow_private: bool,
) -> Reply:
    """POST `body` to `url`, checked and pinned as the module says; the reply's
    first MAX_REPLY_BYTES. Raises Refused, Unresolvable, DeadlinePassed, OSError
    or http.client.HTTPException."""
    started = time.monotonic()
    target = parse(url)
    allowed = addresses(target, allow_private=allow_private)
    raw: list[socket.socket] = []

    def pinned(address: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
        # Only the addresses just checked, whatever the name resolves to now.
        last: OSError | None = None
        for ip in allowed:
            remaining = deadline - (time.monotonic() - started)
            if remaining <= 0:
                break
            try:
                sock = connect((ip, target.port), remaining)
            except OSError as exc:
                last = exc
                continue
            raw.append(sock)
            return sock
        raise last or DeadlinePassed("no time left to connect")

    conn: http.client.HTTPConnection
    if target.secure:
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=deadline, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=deadline)
    conn._create_connection = pinned  # type: ignore[attr-defined]
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        for sock in [*raw, conn.sock]:
            if sock is not None:
                # The plain socket's shutdown, even under TLS: it ends a read
                # blocked in another thread at once.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    watchdog = threading.Timer(max(0.0, deadline - (time.monotonic() - started)), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", target.path, body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read(MAX_REPLY_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException, ValueError):
        if expired.is_set():
            raise DeadlinePassed(f"no complete answer within {deadline:g} s") from None
        raise
    finally:
        watchdog.cancel()
        conn.close()
    if expired.is_set():
        raise DeadlinePassed(f"no complete answer within {deadline:g} s")
    return Reply(status, data)
