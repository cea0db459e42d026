"""HTTP for URLs from sources, held to one address policy against requests to private networks (SSRF).

`NetworkPolicy.refusal` is the one rule: newsroom connects only to globally routable unicast
addresses, unless `allow_private_network` allows every address (true) or some networks (a list of
CIDRs, e.g. a NAS). The httpx client here checks every redirect hop by URL and every connection at
connect time (resolved once, connected to exactly the address checked, so a second DNS answer cannot
slip in); yt-dlp is held to the same rule by `newsroom.sources.ytdlp_guard`.

`source_link` is the rule for links found *in* content (a feed's enclosure, link or transcript):
http(s) only, unless the content is a local file the config names, whose links may also point at
files in its own folder.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import httpcore
import httpx

USER_AGENT = "newsroom/0.1 (+https://github.com/newsroom; podcast and video digest)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
AllowPrivate = bool | Sequence[str]  # what `allow_private_network` holds: true/false or CIDRs

# Non-global space the ipaddress properties miss (or miss on Python 3.11).
_SPECIAL = tuple(
    (ipaddress.ip_network(net), what)
    for net, what in (
        ("0.0.0.0/8", "a 'this network' address"),  # connecting to 0.x reaches this host on Linux
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),  # neither private nor global
        ("192.0.0.0/24", "an IETF protocol address"),  # 3.11 lists only parts of it
        ("198.18.0.0/15", "a benchmarking address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("fec0::/10", "a site-local address"),  # deprecated; is_global on 3.11
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are IPv4
_PROPERTIES = (
    ("is_loopback", "a loopback address"),
    ("is_unspecified", "an unspecified address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)


class UnsafeURLError(ValueError):
    """A URL newsroom refuses: not http(s), or its host is (or resolves to) an address that is not
    public. The message names the URL and the refused address."""


class FetchError(Exception):
    """A URL that could not be fetched (HTTP error, timeout, too large); `status` when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for, if any: IPv4-mapped (sockets connect to it),
    the NAT64 well-known prefix (a gateway translates it) and 6to4; else the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


@dataclass(frozen=True)
class NetworkPolicy:
    """Which addresses newsroom may connect to: globally routable unicast ones, plus `allowed`
    networks, or every address with `allow_all` (`allow_private_network = true`)."""

    allow_all: bool = False
    allowed: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def of(cls, value: AllowPrivate | NetworkPolicy) -> NetworkPolicy:
        """The policy for a setting: true/false, or a list of networks ("192.168.1.0/24", "10.0.0.5")."""
        if isinstance(value, NetworkPolicy):
            return value
        if isinstance(value, bool):
            return cls(allow_all=value)
        return cls(allowed=tuple(ipaddress.ip_network(net, strict=False) for net in value))

    def refusal(self, address: str | IPAddress) -> str | None:
        """None when newsroom may connect to `address`, else what it is ("a loopback address")."""
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
        real = embedded_ipv4(ip)
        if self.allow_all or any(real in net or ip in net for net in self.allowed):
            return None
        for prop, what in _PROPERTIES:
            if getattr(real, prop):
                return what
        for net, what in _SPECIAL:
            if real.version == net.version and real in net:
                return what
        # is_global alone is not enough on 3.11 (multicast and some special ranges count as global).
        return None if real.is_global else "not a globally routable address"

    def resolve(self, host: str, port: int) -> list[Any]:
        """getaddrinfo(host, port) for TCP, refused as a whole (UnsafeURLError) if any answer is."""
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        for info in infos:
            ip = str(info[4][0])
            if reason := self.refusal(ip):
                raise UnsafeURLError(refusal_message(host, ip, port, reason))
        return infos


def refusal_message(host: str, ip: str, port: int, reason: str) -> str:
    shown = ip if host.strip("[]") == ip else f"{host} (which resolves to {ip})"
    return (
        f"refused to connect to {shown} port {port}: {ip} is {reason}, not a public address; "
        f'to allow it set allow_private_network = ["{ip}/{32 if ":" not in ip else 128}"] '
        "(or true) in newsroom.toml"
    )


def check_url(url: str, allow_private: AllowPrivate | NetworkPolicy = False) -> str:
    """Return `url` if it is http(s) and every address its host resolves to is allowed."""
    policy = NetworkPolicy.of(allow_private)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError(f"{url}: only http and https URLs are fetched")
    host = parsed.hostname
    if not host:
        raise UnsafeURLError(f"{url}: no host")
    if policy.allow_all:
        return url
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        policy.resolve(host, port)
    except UnsafeURLError as exc:
        raise UnsafeURLError(f"{url}: {exc}") from None
    except ValueError as exc:  # a port out of range
        raise UnsafeURLError(f"{url}: {exc}") from None
    except socket.gaierror as exc:
        raise FetchError(f"{url}: cannot resolve {host}: {exc}") from exc
    return url


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses the policy allows: the host is
    resolved once here, and the very address checked is the one dialled."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = self.policy.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        error: Exception | None = None
        for ip in dict.fromkeys(str(info[4][0]) for info in infos):
            try:
                return super().connect_tcp(ip, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")


def _guarded_transport(policy: NetworkPolicy) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    # httpx keeps its httpcore pool private; fail closed if that ever changes shape.
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError(
            f"newsroom's network guard does not know httpx {httpx.__version__}'s transport; "
            "install the httpx version in uv.lock"
        )
    pool._network_backend = _GuardedBackend(policy)
    return transport


def http_client(allow_private: AllowPrivate | NetworkPolicy = False, timeout: float = 30.0) -> httpx.Client:
    """An httpx client held to the policy: every request and redirect hop is checked by URL (a clear
    message naming it) and every connection by the address it is made to. Passing our own transport
    also keeps httpx from using proxies from the environment, through which no address is checked."""
    policy = NetworkPolicy.of(allow_private)

    def _guard(request: httpx.Request) -> None:
        check_url(str(request.url), policy)

    return httpx.Client(
        transport=_guarded_transport(policy),
        follow_redirects=True,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        event_hooks={"request": [_guard]},
    )


def fetch_bytes(
    url: str,
    allow_private: AllowPrivate | NetworkPolicy = False,
    max_bytes: int = 50_000_000,
    timeout: float = 30.0,
) -> bytes:
    """GET a URL (guarded: the client checks it and every redirect), refusing bodies over `max_bytes`;
    raise FetchError with the reason."""
    try:
        with http_client(allow_private, timeout) as client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FetchError(
                    f"{url}: HTTP {response.status_code} {response.reason_phrase}", response.status_code
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url}: larger than {max_bytes // 1_000_000} MB")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc


def source_link(link: str, base: str, local_root: Path | None = None) -> str:
    """A link found in a source's content, resolved against `base` (where the content came from).

    Content from the web may only link http(s) URLs: a feed cannot make newsroom read a file
    (`file:///proc/self/environ`) or run a script (`javascript:`). Content from a local file the
    config names (`local_root`: that file's folder) may also link files inside that folder, by a
    relative path or a `file:` URL; nothing outside it. Raises UnsafeURLError naming the link.
    """
    link = link.strip()
    resolved = urljoin(base, link)
    scheme = urlparse(resolved).scheme.lower()
    if scheme in ("http", "https"):
        return resolved
    if scheme == "file" and local_root is not None:
        path = Path(os.path.normpath(unquote(urlparse(resolved).path)))
        root = Path(os.path.normpath(local_root))
        if path.is_relative_to(root):
            return path.as_uri()
        raise UnsafeURLError(
            f"refused {link}: a local feed may only link files inside its own folder ({root})"
        )
    where = "a local feed" if local_root is not None else "content from the web"
    raise UnsafeURLError(f"refused {link}: {where} may only link http(s) URLs")
