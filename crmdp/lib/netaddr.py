"""Client addresses: allowlists of addresses and CIDR ranges, and trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(text: str) -> Network:
    """One address (`10.0.0.7`) or range (`10.0.0.0/8`); ValueError names the bad text."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not an IP address or CIDR range") from None


def parse_networks(texts: Iterable[str]) -> list[Network]:
    return [parse_network(text) for text in texts if text.strip()]


def parse_address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket arrives as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def in_networks(address: Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> str:
    """The client's address: X-Forwarded-For is believed only from a trusted proxy.

    The header is read right to left, skipping our own proxies, so a client cannot
    choose its address by sending a forged header of its own.
    """
    peer = parse_address(remote_addr)
    if not forwarded_for or not in_networks(peer, trusted_proxies):
        return str(peer) if peer else remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Our proxy passed on something unreadable: we do not know the client.
            break
        if not in_networks(address, trusted_proxies):
            return str(address)
    else:
        if hops:  # every hop is one of our proxies: the first of them is the origin
            return hops[0]
    return str(peer)
