from __future__ import annotations

from starlette.requests import Request

from app.ops.addresses import client_address, parse_networks


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(_request("203.0.113.5", "198.51.100.1"), []) == "203.0.113.5"


def test_a_trusted_proxy_is_believed_about_the_right_most_untrusted_hop() -> None:
    trusted = parse_networks("10.0.0.0/8, 192.0.2.7")
    # The client can write anything at the left; only the hop our proxy saw counts.
    request = _request("10.1.2.3", "6.6.6.6, 198.51.100.20, 192.0.2.7")
    assert client_address(request, trusted) == "198.51.100.20"


def test_an_untrusted_peer_cannot_spoof_its_address() -> None:
    trusted = parse_networks("10.0.0.0/8")
    assert client_address(_request("203.0.113.9", "10.0.0.1"), trusted) == "203.0.113.9"


def test_malformed_hops_fall_back_to_the_peer() -> None:
    trusted = parse_networks("10.0.0.0/8")
    assert client_address(_request("10.0.0.2", "not-an-ip"), trusted) == "10.0.0.2"
    assert client_address(_request("10.0.0.2"), trusted) == "10.0.0.2"
