"""Where a webhook may go (SSRF): https to public addresses only.

A URL must be https; plain http only to a loopback address, and loopback at all
only when the process started with ``WOM_WEBHOOK_ALLOW_LOOPBACK=1`` (an
environment variable for development and tests, never a setting). Its host is
resolved and every address it resolves to is checked: none may be private,
loopback, link-local, CGNAT, multicast, reserved or a cloud metadata address,
over IPv4, IPv6, and IPv4 carried inside IPv6 (mapped, 6to4, NAT64, Teredo).
The check runs when an endpoint is added and again before each try, and the try
connects to the very addresses checked (``Target``): a name that resolves
elsewhere a moment later (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "LOOPBACK_FLAG",
    "MAX_URL",
    "Policy",
    "Refused",
    "Target",
    "refusal",
]

LOOPBACK_FLAG = "WOM_WEBHOOK_ALLOW_LOOPBACK"
MAX_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Beyond what `is_global` already refuses: ranges some Python versions call
# global, and the cloud metadata services.
_NEVER = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (Alibaba's metadata is 100.100.100.200)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local (AWS, GCP, Azure metadata 169.254.169.254)
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",  # unique local (AWS metadata fd00:ec2::254)
        "fe80::/10",
        "ff00::/8",
        "100::/64",
        "2001:db8::/32",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(ValueError):
    """A webhook URL or address that wom will not send to, and why."""


def _embedded(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, Teredo)."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: Address, *, allow_loopback: bool = False) -> str | None:
    """Why wom will not send to ``ip``, or None when it may.

    >>> refusal(ipaddress.ip_address("93.184.215.14")) is None
    True
    >>> refusal(ipaddress.ip_address("::ffff:169.254.169.254"))
    'a link-local or metadata address'
    >>> refusal(ipaddress.ip_address("100.64.1.2"))
    'a private, CGNAT or reserved address'
    """
    inner = _embedded(ip)
    if inner is not None:
        return refusal(inner, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else f"a loopback address (see {LOOPBACK_FLAG})"
    if ip.is_link_local:
        return "a link-local or metadata address"
    if ip.is_multicast:
        return "a multicast address"
    if not ip.is_global or any(ip in net for net in _NEVER):
        return "a private, CGNAT or reserved address"
    return None


@dataclass(frozen=True)
class Target:
    """Where one try goes: the URL's parts, and the checked addresses to connect
    to, as ``(family, address)``."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[tuple[int, str], ...]


Resolver = Callable[..., list]


@dataclass(frozen=True)
class Policy:
    """The rules for webhook targets in this process.

    ``allow_loopback`` comes from the environment at start (``from_environment``);
    ``resolver`` is ``socket.getaddrinfo`` unless a test gives another.
    """

    allow_loopback: bool = False
    resolver: Resolver = socket.getaddrinfo

    @classmethod
    def from_environment(cls) -> Policy:
        """The policy the process started with (WOM_WEBHOOK_ALLOW_LOOPBACK)."""
        return cls(allow_loopback=os.environ.get(LOOPBACK_FLAG) == "1")

    def check_url(self, url: str) -> tuple[str, str, int, str]:
        """``(scheme, host, port, path)`` of a URL wom may send to, before any
        lookup; Refused, saying why, for any other."""
        if not isinstance(url, str) or len(url) > MAX_URL or not url.isprintable():
            raise Refused(f"give an https URL of at most {MAX_URL} characters")
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise Refused("give an https:// URL")
        if scheme == "http" and not self.allow_loopback:
            raise Refused("use https: plain http is not allowed")
        if parts.username is not None or parts.password is not None:
            raise Refused("leave user names and passwords out of the URL")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise Refused("the port is not a number from 1 to 65535") from None
        host = (parts.hostname or "").rstrip(".")
        if not host or port == 0:
            raise Refused("the URL names no host")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return scheme, host, port, path

    def target(self, url: str) -> Target:
        """Check ``url``, resolve its host once and check every address: the
        ``Target`` to connect to, or Refused. Nothing is sent to the host."""
        scheme, host, port, path = self.check_url(url)
        try:
            found = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"the host {host} does not resolve ({exc})") from None
        addresses = []
        for family, _, _, _, sockaddr in found:
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            why = refusal(ip, allow_loopback=self.allow_loopback)
            if why is not None:
                raise Refused(f"the host {host} resolves to {ip}, {why}")
            if scheme == "http" and not (_embedded(ip) or ip).is_loopback:
                raise Refused("use https: plain http goes to loopback only")
            if (family, str(ip)) not in addresses:
                addresses.append((family, str(ip)))
        if not addresses:
            raise Refused(f"the host {host} has no IPv4 or IPv6 address")
        return Target(scheme, host, port, path, tuple(addresses))
