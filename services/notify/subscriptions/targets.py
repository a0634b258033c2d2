"""Where notifications may go: webhook URLs that cannot be turned against our own network
(server-side request forgery), and e-mail addresses. Webhook addresses are checked when
someone subscribes and again each time a connection is made, since DNS can change."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import secrets
import socket
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[^@\s<>,;\"]{{1,64}}@{LABEL}(?:\.{LABEL})+$")
MAX_EMAIL_LENGTH = 254


class UnsafeTarget(Exception):
    """A webhook target that may not be called; the message says why."""


def new_secret() -> str:
    """A signing secret as Standard Webhooks has it: `whsec_` + base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the decoded bytes after the prefix."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


# IPv6 outside these blocks, or inside them but in a special-purpose block below, is never
# a webhook target. Python's own `is_global` is not enough: it calls NAT64 and 6to4 global,
# though both reach IPv4 addresses — our own network included — through a translator.
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
SPECIAL_V6 = tuple(
    (ipaddress.IPv6Network(network), kind)
    for network, kind in (
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("::/96", "IPv4-compatible"),
        ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "NAT64"),
        ("2002::/16", "6to4"),
        ("2001::/32", "Teredo"),
        ("2001::/23", "reserved for IETF protocols"),
        ("2001:db8::/32", "for documentation"),
        ("3fff::/20", "for documentation"),
        ("3ffe::/16", "returned 6bone space"),
        ("100::/64", "discard-only"),
        ("5f00::/16", "segment routing"),
    )
)
# IPv4 that Python calls global but that is no ordinary host: the 6to4 relay anycast.
SPECIAL_V4 = ((ipaddress.IPv4Network("192.88.99.0/24"), "6to4 relay"),)


def check_address(address: str) -> None:
    """Refuse loopback, private, link-local, multicast and every other address that is
    not plainly public — in IPv6 anything outside global unicast, and NAT64, 6to4, Teredo,
    IPv4-mapped and the other special-purpose blocks, whatever IPv4 address they carry."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kind = _not_public(ip)
    if kind is not None:
        raise UnsafeTarget(f"it resolves to {ip}, which is {kind}")


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `ip` may not be called, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_loopback or ip.is_unspecified:
            return "loopback" if ip.is_loopback else "unspecified"
        for network, kind in SPECIAL_V6:
            if ip in network:
                inner = _not_public(ip.ipv4_mapped) if ip.ipv4_mapped is not None else None
                return f"{kind} {inner}" if inner else kind
        if ip not in GLOBAL_UNICAST_V6:
            return _kind(ip)
    for network4, kind in SPECIAL_V4:
        if ip in network4:
            return kind
    if not ip.is_global or ip.is_multicast:
        return _kind(ip)
    return None


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    return "not public"


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"the host {host!r} cannot be resolved") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_addresses(host: str, port: int) -> list[str]:
    """The addresses of `host`, all of them public; else `UnsafeTarget`."""
    addresses = await resolve(host, port)
    if not addresses:
        raise UnsafeTarget(f"the host {host!r} has no address")
    for address in addresses:
        check_address(address)
    return addresses


def split_url(url: str, allow_private: bool) -> tuple[str, str, int]:
    """The scheme, host and port of a webhook URL that has the right form."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("it is not a valid URL") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("it must start with https://")
    if not parts.hostname:
        raise UnsafeTarget("it has no host")
    if parts.fragment:
        raise UnsafeTarget("it may not have a #fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_webhook_url(url: str, allow_private: bool) -> None:
    """A webhook URL may be used: https and public, unless private targets are allowed
    (development and tests)."""
    _, host, port = split_url(url, allow_private)
    if not allow_private:
        await public_addresses(host, port)


def check_email(address: str) -> None:
    """A plain e-mail address, one recipient."""
    if len(address) > MAX_EMAIL_LENGTH or not EMAIL.match(address):
        raise UnsafeTarget("it is not an e-mail address like naam@praktijk.nl")
