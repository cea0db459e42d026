"""yt-dlp held to newsroom's address policy: every request, every redirect hop, every connection.

Every request a `GuardedYoutubeDL` makes (extractor pages and APIs, redirects, media, HLS/DASH
fragments, subtitles, `ydl.urlopen`) goes through a request director that holds only the two
handlers below, and each of them checks

1. the URL of the request and of every redirect hop (http/https only, every address the host
   resolves to allowed): a clear message naming the URL;
2. the address each TCP connection is made to: the host is resolved once, refused if any answer is
   not allowed, and exactly the checked address is dialled (DNS rebinding cannot slip in). This is
   the boundary; it also covers keep-alive pools.

Downloaders that do their own networking (ffmpeg, aria2c, curl, ...) are refused, and environment
proxies are ignored (`proxy: ""`), since through a proxy no connected address can be checked.

This uses yt-dlp internals (yt-dlp 2026.10.26, pinned in uv.lock): the `YoutubeDL._request_director`
cached property, the requests and urllib handlers (`yt_dlp.networking._requests` / `._urllib`) and
their `_create_instance`/`_send` hooks, requests' `Session.rebuild_method` and urllib's
`RedirectHandler.redirect_request` for hops, urllib3's `HTTPConnection._new_conn` and http.client's
`_create_connection` for connects. `check_internals` verifies them before any guarded instance is
built, and every hook fails closed (RuntimeError) when yt-dlp's construction changes shape.
"""

from __future__ import annotations

import functools
import http.client
import socket
import sys
import urllib.request
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import yt_dlp
from yt_dlp.networking import _requests, _urllib
from yt_dlp.networking.exceptions import TransportError
from yt_dlp.utils import DownloadError

from newsroom.net import FetchError, NetworkPolicy, UnsafeURLError, check_url, refusal_message

KNOWN_GOOD = "2026.10.26"

# Merged into every guarded instance's options.
GUARDED_OPTIONS: dict[str, Any] = {
    # A refused HLS/DASH fragment is otherwise skipped and the run ends "The downloaded file is empty".
    "skip_unavailable_fragments": False,
    # Without it yt-dlp takes HTTP(S)_PROXY from the environment; through a proxy only URLs are checked.
    "proxy": "",
}


def refusal(exc: UnsafeURLError) -> TransportError:
    """What the guard raises inside yt-dlp: exactly a TransportError (a RequestError, so the director
    does not fall through to another handler; not a subclass, so extractors treat it as an ordinary
    network error) whose `cause` is our UnsafeURLError. yt-dlp reports it as a DownloadError."""
    return TransportError(str(exc), cause=exc)


def unsafe_cause(exc: BaseException | None) -> UnsafeURLError | None:
    """The guard's refusal behind an exception yt-dlp raised (a DownloadError, a TransportError)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UnsafeURLError):
            return exc
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException) and (found := unsafe_cause(cause)):
            return found
        exc_info = getattr(exc, "exc_info", None)
        exc = exc.__cause__ or exc.__context__ or (exc_info[1] if exc_info else None)
    return None


def check_request_url(url: str, policy: NetworkPolicy) -> None:
    """Refuse `url` unless it is http(s) (or data:) and its host resolves only to allowed addresses."""
    if urlsplit(url).scheme.lower() == "data":
        return
    try:
        check_url(url, policy)
    except UnsafeURLError as exc:
        raise refusal(exc) from None
    except FetchError:  # unresolvable: the handler reports it as the usual network error
        return


def guarded_create_connection(
    address: tuple[str, int],
    timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: tuple[str, int] | None = None,
    socket_options: Iterable[tuple[int, int, int]] | None = None,
    *,
    policy: NetworkPolicy,
) -> socket.socket:
    """socket.create_connection that dials only checked addresses (the answer checked is the one used)."""
    host, port = address
    try:
        infos = policy.resolve(host, port)
    except UnsafeURLError as exc:
        raise refusal(exc) from None
    if source_address is not None:  # as yt_dlp.networking._helper.create_connection
        family = socket.AF_INET if ":" not in source_address[0] else socket.AF_INET6
        infos = [info for info in infos if info[0] == family]
        if not infos:
            raise OSError(f"no IPv{4 if family == socket.AF_INET else 6} address for {host}")
    error: OSError | None = None
    for family, socktype, proto, _name, sockaddr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            peer = str(sock.getpeername()[0])
            if reason := policy.refusal(peer):  # only if the OS rewrote the destination; refuse anyway
                raise refusal(UnsafeURLError(refusal_message(host, peer, port, reason)))
            return sock
        except TransportError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {host}")


# requests / urllib3 --------------------------------------------------------------------------------


def _guarded_new_conn(self: Any) -> socket.socket:
    """urllib3's HTTPConnection._new_conn with the guarded connect (same error translation)."""
    if self.proxy is not None:  # never set: GUARDED_OPTIONS turn proxies off
        raise RuntimeError("newsroom's network guard: a proxy was configured for yt-dlp")
    try:
        sock = guarded_create_connection(
            (self._dns_host, self.port),
            self.timeout,
            source_address=self.source_address,
            socket_options=self.socket_options,
            policy=self._newsroom_policy,
        )
    except socket.gaierror as exc:
        raise urllib3.exceptions.NameResolutionError(self.host, self, exc) from exc
    except TimeoutError as exc:
        raise urllib3.exceptions.ConnectTimeoutError(
            self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
        ) from exc
    except OSError as exc:  # our TransportError is no OSError: it passes through urllib3 and requests
        raise urllib3.exceptions.NewConnectionError(
            self, f"Failed to establish a new connection: {exc}"
        ) from exc
    sys.audit("http.client.connect", self, self.host, self.port)
    return sock


def _guarded_pools(policy: NetworkPolicy) -> dict[str, type]:
    attrs = {"_newsroom_policy": policy, "_new_conn": _guarded_new_conn}
    http_conn = type("GuardedHTTPConnection", (urllib3.connection.HTTPConnection,), attrs)
    https_conn = type("GuardedHTTPSConnection", (urllib3.connection.HTTPSConnection,), attrs)
    return {
        "http": type(
            "GuardedHTTPConnectionPool",
            (urllib3.connectionpool.HTTPConnectionPool,),
            {"ConnectionCls": http_conn},
        ),
        "https": type(
            "GuardedHTTPSConnectionPool",
            (urllib3.connectionpool.HTTPSConnectionPool,),
            {"ConnectionCls": https_conn},
        ),
    }


class _GuardedRequestsSession(_requests.RequestsSession):
    _newsroom_policy: NetworkPolicy

    def rebuild_method(self, prepared_request: Any, response: Any) -> None:
        # requests calls this once per redirect hop, before sending it, with the absolute new URL.
        super().rebuild_method(prepared_request, response)
        check_request_url(prepared_request.url, self._newsroom_policy)


class GuardedRequestsRH(_requests.RequestsRH):
    """yt-dlp's requests handler with every hop URL and every TCP connect checked."""

    RH_NAME = "requests+newsroom-guard"

    def __init__(self, *, policy: NetworkPolicy, **kwargs: Any) -> None:
        self._newsroom_policy = policy
        super().__init__(**kwargs)

    def _create_instance(self, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        session = super()._create_instance(cookiejar=cookiejar, legacy_ssl_support=legacy_ssl_support)
        if type(session) is not _requests.RequestsSession or not session.adapters:
            raise RuntimeError(_changed("the requests session"))
        session.__class__ = _GuardedRequestsSession
        session._newsroom_policy = self._newsroom_policy
        pools = _guarded_pools(self._newsroom_policy)
        for adapter in session.adapters.values():
            manager = getattr(adapter, "poolmanager", None)
            if type(manager) is not urllib3.PoolManager or set(manager.pool_classes_by_scheme) != {
                "http",
                "https",
            }:
                raise RuntimeError(_changed("urllib3's pool manager"))
            manager.pool_classes_by_scheme = pools
        return session

    def _send(self, request: Any) -> Any:
        check_request_url(request.url, self._newsroom_policy)
        return super()._send(request)


# urllib --------------------------------------------------------------------------------------------


class _GuardedHTTPHandler(_urllib.HTTPHandler):
    def __init__(self, policy: NetworkPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._newsroom_policy = policy

    def _open(self, base: type, req: Any, **kwargs: Any) -> Any:
        if req.has_proxy() or req._tunnel_host or req.get_header("Ytdl-socks-proxy"):
            raise RuntimeError("newsroom's network guard: a proxy was configured for yt-dlp")
        conn_class = self._make_conn_class(base, req)

        def factory(*args: Any, **kw: Any) -> Any:
            conn = _urllib._create_http_connection(conn_class, self._source_address, *args, **kw)
            conn._create_connection = functools.partial(
                guarded_create_connection, policy=self._newsroom_policy
            )
            return conn

        return self.do_open(factory, req, **kwargs)

    def http_open(self, req: Any) -> Any:
        return self._open(http.client.HTTPConnection, req)

    def https_open(self, req: Any) -> Any:
        return self._open(http.client.HTTPSConnection, req, context=self._context)


class _GuardedRedirectHandler(_urllib.RedirectHandler):
    def __init__(self, policy: NetworkPolicy) -> None:
        self._newsroom_policy = policy

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        check_request_url(newurl, self._newsroom_policy)  # also refuses ftp:// and file:// targets
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GuardedUrllibRH(_urllib.UrllibRH):
    """yt-dlp's urllib handler, http/https/data only, with every hop URL and every TCP connect checked."""

    _SUPPORTED_URL_SCHEMES = ("http", "https", "data")
    RH_NAME = "urllib+newsroom-guard"

    def __init__(self, *, policy: NetworkPolicy, **kwargs: Any) -> None:
        self._newsroom_policy = policy
        kwargs["enable_file_urls"] = False
        super().__init__(**kwargs)

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        base = super()._create_instance(
            proxies=proxies, cookiejar=cookiejar, legacy_ssl_support=legacy_ssl_support
        )
        opener = urllib.request.OpenerDirector()
        replaced = set()
        for handler in base.handlers:
            if type(handler) is _urllib.HTTPHandler:
                handler = _GuardedHTTPHandler(
                    self._newsroom_policy,
                    debuglevel=handler._debuglevel,
                    context=handler._context,
                    source_address=handler._source_address,
                )
                replaced.add("http")
            elif type(handler) is _urllib.RedirectHandler:
                handler = _GuardedRedirectHandler(self._newsroom_policy)
                replaced.add("redirect")
            elif isinstance(handler, urllib.request.FTPHandler | urllib.request.FileHandler):
                continue
            opener.add_handler(handler)
        if replaced != {"http", "redirect"}:
            raise RuntimeError(_changed("the urllib opener"))
        opener.addheaders = []
        return opener

    def _send(self, request: Any) -> Any:
        check_request_url(request.url, self._newsroom_policy)
        return super()._send(request)


# YoutubeDL -----------------------------------------------------------------------------------------


def _changed(what: str) -> str:
    return (
        f"yt-dlp {yt_dlp.version.__version__} changed {what}, which newsroom's network guard relies on "
        f"(known good: {KNOWN_GOOD}); install the yt-dlp version in uv.lock (uv sync), or update "
        "newsroom/sources/ytdlp_guard.py. Nothing was fetched."
    )


def check_internals() -> None:
    """Refuse to run (RuntimeError) when the yt-dlp internals the guard hooks into are not there."""
    needed = [
        (
            isinstance(vars(yt_dlp.YoutubeDL).get("_request_director"), functools.cached_property),
            "YoutubeDL._request_director",
        ),
        (
            callable(getattr(yt_dlp.YoutubeDL, "build_request_director", None)),
            "YoutubeDL.build_request_director",
        ),
        (callable(getattr(yt_dlp.YoutubeDL, "dl", None)), "YoutubeDL.dl"),
        (callable(getattr(_requests.RequestsRH, "_create_instance", None)), "RequestsRH._create_instance"),
        (
            callable(getattr(_requests.RequestsSession, "rebuild_method", None)),
            "RequestsSession.rebuild_method",
        ),
        (callable(getattr(_urllib.UrllibRH, "_create_instance", None)), "UrllibRH._create_instance"),
        (callable(getattr(_urllib, "_create_http_connection", None)), "_urllib._create_http_connection"),
        (callable(getattr(_urllib.HTTPHandler, "_make_conn_class", None)), "HTTPHandler._make_conn_class"),
        (callable(getattr(urllib3.connection.HTTPConnection, "_new_conn", None)), "urllib3 _new_conn"),
    ]
    missing = [name for ok, name in needed if not ok]
    if missing:
        raise RuntimeError(_changed(", ".join(missing)))


def _native_downloaders() -> tuple[type, ...]:
    from yt_dlp.downloader.dash import DashSegmentsFD
    from yt_dlp.downloader.hls import HlsFD
    from yt_dlp.downloader.http import HttpFD

    return (HttpFD, HlsFD, DashSegmentsFD)  # they fetch through ydl.urlopen, so through the guard


class GuardedYoutubeDL(yt_dlp.YoutubeDL):
    """A YoutubeDL whose every HTTP request is held to `policy` (see the module docstring)."""

    def __init__(self, params: dict[str, Any] | None = None, *, policy: NetworkPolicy) -> None:
        check_internals()
        self.newsroom_policy = policy  # before super().__init__, which may already send requests
        super().__init__({**(params or {}), **GUARDED_OPTIONS})

    @functools.cached_property
    def _request_director(self) -> Any:
        # Only our handlers: no unguarded one (curl_cffi, websockets, plain urllib) is a fallback.
        handlers = [
            functools.partial(GuardedRequestsRH, policy=self.newsroom_policy),
            functools.partial(GuardedUrllibRH, policy=self.newsroom_policy),
        ]
        preferences = [lambda rh, _request: 100 if isinstance(rh, GuardedRequestsRH) else 0]
        return self.build_request_director(handlers, preferences)

    def dl(self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False) -> Any:
        from yt_dlp.downloader import get_suitable_downloader

        downloader = get_suitable_downloader(info, self.params, to_stdout=(name == "-"))
        if downloader is None or not issubclass(downloader, _native_downloaders()):
            raise DownloadError(
                f"refusing the downloader {getattr(downloader, '__name__', downloader)} for protocol "
                f"{info.get('protocol')!r}: it makes its own network connections, which newsroom cannot check"
            )
        return super().dl(name, info, subtitle=subtitle, test=test)


def _refuse_external_downloaders() -> None:
    """HlsFD hands streams it cannot do (encrypted, live) to FFmpegFD by itself, past `dl`: refuse
    that too, for guarded instances only."""
    from yt_dlp.downloader.external import ExternalFD

    if getattr(ExternalFD.real_download, "_newsroom_guarded", False):
        return
    original = ExternalFD.real_download

    @functools.wraps(original)
    def real_download(self: Any, filename: str, info_dict: dict[str, Any]) -> Any:
        if isinstance(self.ydl, GuardedYoutubeDL):
            raise DownloadError(
                f"refusing {self.get_basename()} for {str(info_dict.get('url', ''))[:100]}: external "
                "downloaders make their own network connections, which newsroom cannot check"
            )
        return original(self, filename, info_dict)

    real_download._newsroom_guarded = True  # type: ignore[attr-defined]
    ExternalFD.real_download = real_download


_refuse_external_downloaders()
