"""Client addresses: allowlists of addresses and CIDR ranges, and trusted proxies."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdp.lib.netaddr import client_address, in_networks, parse_address, parse_networks


def allowed(address: str, entries: list[str]) -> bool:
    return in_networks(parse_address(address), parse_networks(entries))


def test_single_addresses_and_cidr_ranges_both_allow():
    entries = ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]
    assert allowed("203.0.113.7", entries)
    assert allowed("10.200.3.4", entries)
    assert allowed("2001:db8::1", entries)
    assert not allowed("203.0.113.8", entries)
    assert not allowed("11.0.0.1", entries)


def test_ipv4_client_seen_through_an_ipv6_socket_is_its_ipv4_address():
    assert allowed("::ffff:10.1.2.3", ["10.0.0.0/8"])


def test_an_unreadable_address_is_never_allowed():
    assert not allowed("not-an-ip", ["0.0.0.0/0"])


def test_a_bad_allowlist_entry_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks(["10.0.0.1", "10.0.0.300"])


def test_a_range_with_host_bits_set_is_read_as_its_network():
    assert allowed("192.168.1.99", ["192.168.1.5/24"])


PROXY = parse_networks(["10.0.0.1", "172.16.0.0/12"])


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    assert client_address("198.51.100.9", "10.1.1.1", PROXY) == "198.51.100.9"


def test_forwarded_for_is_believed_from_a_trusted_proxy():
    assert client_address("10.0.0.1", "198.51.100.9", PROXY) == "198.51.100.9"


def test_a_forged_hop_before_the_real_client_does_not_count():
    # The client sent "X-Forwarded-For: 10.9.9.9"; our proxy appended the real address.
    assert client_address("10.0.0.1", "10.9.9.9, 198.51.100.9", PROXY) == "198.51.100.9"


def test_chains_of_trusted_proxies_are_walked_back_to_the_client():
    assert client_address("10.0.0.1", "198.51.100.9, 172.16.5.5", PROXY) == "198.51.100.9"


def test_an_unreadable_hop_means_the_peer_is_the_client():
    assert client_address("10.0.0.1", "garbage", PROXY) == "10.0.0.1"


def test_no_trusted_proxies_means_the_peer_is_always_the_client():
    assert client_address("10.0.0.1", "198.51.100.9", []) == "10.0.0.1"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=80) | st.none())
def test_no_exception_escapes_on_arbitrary_headers(remote, forwarded):
    client_address(remote, forwarded, PROXY)
    parse_address(remote)
