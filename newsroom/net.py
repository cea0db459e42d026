"""HTTP for user-supplied URLs, with a guard against requests to private networks (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

import httpx

USER_AGENT = "newsroom/0.1 (+https://github.com/newsroom; podcast and video digest)"


class UnsafeURLError(ValueError):
    """A URL that points at a private, loopback or link-local address, or not at http(s)."""


class FetchError(Exception):
    """A URL that could not be fetched (HTTP error, timeout, too large); `status` when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def check_url(url: str, allow_private: bool = False) -> str:
    """Return `url` if it is http(s) and every address its host resolves to is public."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError(f"{url}: only http and https URLs are fetched")
    host = parsed.hostname
    if not host:
        raise UnsafeURLError(f"{url}: no host")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise FetchError(f"{url}: cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise UnsafeURLError(
                f"{url}: {host} resolves to {address}, a private/loopback/link-local address; "
                "set allow_private_network = true in newsroom.toml if this is intended"
            )
    return url


def http_client(allow_private: bool = False, timeout: float = 30.0) -> httpx.Client:
    """An httpx client that re-checks every redirect target against the guard."""

    def _guard(request: httpx.Request) -> None:
        check_url(str(request.url), allow_private)

    return httpx.Client(
        follow_redirects=True,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        event_hooks={"request": [_guard]},
    )


def fetch_bytes(
    url: str, allow_private: bool = False, max_bytes: int = 50_000_000, timeout: float = 30.0
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
