"""Who is really calling: the client's address and scheme behind the proxies we trust, and
the headers a service that calls another on a user's behalf passes on.

Only the proxies named in ZORGPLEK_TRUSTED_PROXIES (addresses or networks; none by default)
are believed. A request from anyone else is taken at its connection: its `X-Forwarded-For`
and `X-Forwarded-Proto` are ignored, so a client cannot forge where it came from. From a
trusted proxy, `X-Forwarded-For` is read from the right: each trusted hop is skipped and the
first address that is not trusted is the client (the left-most entries are whatever the
client itself sent, and are never believed).

The web pages call the APIs on the user's behalf with `forwarded_headers(request)`: the
user's address in `X-Forwarded-For`. The APIs believe it where the pages' address (or
the ingress in front of the APIs, and the pages' pod network behind it) is a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from fastapi import Request
from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """`"10.0.0.0/8, 192.0.2.7"` (or a list of the same) as networks; ValueError for
    anything that is not an address or a network, `*` included."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in (i.strip() for i in items):
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def client_from(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client's address: `peer` unless it is a trusted proxy; then the right-most hop of
    `forwarded_for` that is not trusted (or the left-most when every hop is)."""
    peer_address = _address(peer) if peer else None
    if peer_address is None or not trusted or not _trusted(peer_address, trusted):
        return peer
    client: Address = peer_address
    for hop in reversed((forwarded_for or "").split(",")):
        address = _address(hop)
        if address is None:
            break  # not written by a proxy we trust: the last trusted hop is all we know
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)


def apply(scope: Scope, trusted: Sequence[Network]) -> bool:
    """Put the real client's address (and scheme) into `scope`; whether the connection came
    from a trusted proxy."""
    client = scope.get("client")
    peer = client[0] if client else None
    peer_address = _address(peer) if peer else None
    if peer_address is None or not trusted or not _trusted(peer_address, trusted):
        return False
    headers = [(k.lower(), v.decode("latin-1")) for k, v in scope.get("headers") or []]
    forwarded = ",".join(v for k, v in headers if k == b"x-forwarded-for")
    real = client_from(peer, forwarded, trusted)
    if real is not None and real != peer:
        scope["client"] = (real, 0)
    proto = [v for k, v in headers if k == b"x-forwarded-proto"]
    if proto:
        scheme = proto[-1].split(",")[-1].strip().lower()
        if scheme in ("http", "https"):
            scope["scheme"] = scheme
    return True


def forwarded_headers(request: Request) -> dict[str, str]:
    """What a service calling another on this request's behalf sends along: the client's
    address, so the other service's audit log records the person, not the caller."""
    return {"X-Forwarded-For": request.client.host} if request.client else {}
