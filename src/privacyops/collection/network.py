"""What the system may keep of a network address: a truncated form and its country.

The country comes from `iptocc`, which ships the regional internet registries'
public allocation data inside its wheel: no look-up leaves the machine, and no
GeoLite-derived data (whose licence demands deleting stale copies) is involved.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

import iptocc

IPV4_KEEP_BITS = 24
IPV6_KEEP_BITS = 48


class InvalidAddressError(ValueError):
    pass


def parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        raise InvalidAddressError(f"{address!r} is not an IP address") from None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return parsed.ipv4_mapped
    return parsed


def truncate(address: str) -> str:
    """The network the address belongs to (/24 for IPv4, /48 for IPv6), as a string."""
    parsed = parse(address)
    bits = IPV4_KEEP_BITS if parsed.version == 4 else IPV6_KEEP_BITS
    network = ipaddress.ip_network(f"{parsed}/{bits}", strict=False)
    return str(network.network_address)


@lru_cache(maxsize=65536)
def country_of(address: str) -> str | None:
    """ISO 3166 alpha-2 country of a public address; None for private or unknown ones."""
    try:
        parsed = parse(address)
    except InvalidAddressError:
        return None
    if not parsed.is_global:
        return None
    code = iptocc.country_code(str(parsed))
    return code.upper() if isinstance(code, str) and len(code) == 2 else None
