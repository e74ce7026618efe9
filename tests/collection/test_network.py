"""Addresses are kept truncated, and their country is found offline."""

from __future__ import annotations

import pytest

from privacyops.collection import network


def test_ipv4_keeps_the_first_three_octets() -> None:
    assert network.truncate("203.0.113.57") == "203.0.113.0"


def test_ipv6_keeps_the_first_48_bits() -> None:
    assert network.truncate("2001:db8:1234:5678::1") == "2001:db8:1234::"


def test_ipv4_mapped_ipv6_is_treated_as_ipv4() -> None:
    assert network.truncate("::ffff:203.0.113.57") == "203.0.113.0"


def test_a_public_address_maps_to_its_country() -> None:
    assert network.country_of("8.8.8.8") == "US"


def test_private_and_invalid_addresses_have_no_country() -> None:
    assert network.country_of("192.168.1.10") is None
    assert network.country_of("not an ip") is None


def test_an_invalid_address_cannot_be_truncated() -> None:
    with pytest.raises(network.InvalidAddressError):
        network.truncate("999.1.1.1")
