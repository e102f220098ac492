"""The client's address, for throttling and the logs. Behind a reverse proxy every request comes
from the proxy; only proxies listed in HOMECOMING_TRUSTED_PROXIES are believed about who they
forward for (the right-most X-Forwarded-For hop that is not itself a trusted proxy)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    """``10.0.0.0/8, 192.0.2.7`` -> networks; ValueError on anything else."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not _within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if _within(hop, trusted):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a malformed hop: trust nothing further
    return peer
