"""Every hop of every fetch is held to one address policy, httpx and yt-dlp alike (issue 11: 1, 3).

127.0.0.1 (the shared media server) plays a public host, allowed with allow_private_network =
["127.0.0.1/32"]; 127.0.0.2 (the internal server) is an internal service that must never be reached.
"""

from __future__ import annotations

import functools
import socket
from pathlib import Path

import pytest
import yt_dlp
from yt_dlp.networking.exceptions import RequestError, TransportError

from newsroom.config import ConfigError, load_settings
from newsroom.net import NetworkPolicy, UnsafeURLError, check_url, fetch_bytes
from newsroom.sources import ytdlp
from newsroom.sources.ytdlp_guard import GuardedUrllibRH, GuardedYoutubeDL, check_internals, unsafe_cause
from tests.conftest import DEMO, write_config

AUDIO = DEMO / "audio" / "episode-3.mp3"
SECRET = b"ID3 internal-only audio " * 64
PUBLIC = ["127.0.0.1/32"]


class UrllibOnly(GuardedYoutubeDL):
    """The guard with yt-dlp's urllib handler alone (the requests handler is preferred otherwise)."""

    @functools.cached_property
    def _request_director(self):
        return self.build_request_director([functools.partial(GuardedUrllibRH, policy=self.newsroom_policy)])


HANDLERS = {"requests": GuardedYoutubeDL, "urllib": UrllibOnly}


@pytest.fixture
def bounce(media_server, internal_server):
    """A public-looking enclosure answering 302 to the internal host, which holds a secret file."""
    internal_server.add("/secret.mp3", SECRET, "audio/mpeg")
    secret = internal_server.url("/secret.mp3")
    media_server.add("/ep1.mp3", b"", status=302, headers={"Location": secret})
    return media_server.url("/ep1.mp3"), secret


def options(dest: Path) -> dict:
    return ytdlp.base_options() | {
        "format": "bestaudio/best",
        "outtmpl": {"default": str(dest / "media.%(ext)s")},
        "noplaylist": True,
        "retries": 0,
        "fragment_retries": 0,
    }


# yt-dlp ---------------------------------------------------------------------------------------------


def test_plain_yt_dlp_follows_a_redirect_to_an_internal_host(bounce, internal_server, tmp_path: Path):
    """The defect the guard exists for, shown on yt-dlp itself: one checked first URL is not enough."""
    with yt_dlp.YoutubeDL(options(tmp_path)) as ydl:
        ydl.extract_info(bounce[0], download=True)
    assert internal_server.fetched("/secret.mp3") >= 1
    assert SECRET in [p.read_bytes() for p in tmp_path.iterdir()]


def test_media_download_refuses_a_redirect_to_an_internal_address(bounce, internal_server, tmp_path: Path):
    with pytest.raises(UnsafeURLError) as refused:
        ytdlp.download_audio(bounce[0], tmp_path, "media", network=PUBLIC)
    assert "127.0.0.2" in str(refused.value) and "loopback" in str(refused.value)
    assert internal_server.requests == []  # no connection ever reached the internal host
    assert not list(tmp_path.glob("media.*"))


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_handler_checks_redirect_hops_and_connections(
    handler, bounce, media_server, internal_server, tmp_path: Path
):
    media_server.add("/ok.mp3", AUDIO, "audio/mpeg")
    media_server.add("/hop1.mp3", b"", status=302, headers={"Location": media_server.url("/hop2.mp3")})
    media_server.add("/hop2.mp3", b"", status=301, headers={"Location": "/ok.mp3"})
    media_server.add("/to-ftp", b"", status=302, headers={"Location": "ftp://127.0.0.2/secret"})
    policy = NetworkPolicy.of(PUBLIC)
    with HANDLERS[handler](options(tmp_path), policy=policy) as ydl:
        assert ydl.extract_info(media_server.url("/hop1.mp3"), download=True)["url"].endswith("/ok.mp3")
        for url in (bounce[0], bounce[1]):  # a redirect hop, and the internal URL itself
            with pytest.raises(yt_dlp.utils.DownloadError) as refused:
                ydl.extract_info(url, download=True)
            assert "127.0.0.2" in str(refused.value) and unsafe_cause(refused.value) is not None
            assert "please report" not in str(refused.value)
        with pytest.raises(TransportError, match=r"127\.0\.0\.2"):  # ydl.urlopen: subtitles, captions
            ydl.urlopen(bounce[0]).read()
        with pytest.raises(RequestError, match="file"):
            ydl.urlopen("file:///etc/passwd")
        with pytest.raises(RequestError, match="ftp"):
            ydl.urlopen(media_server.url("/to-ftp"))
    assert internal_server.requests == []


@pytest.mark.parametrize("handler", HANDLERS)
def test_the_connected_address_is_the_checked_one(handler, internal_server, tmp_path: Path, monkeypatch):
    """DNS rebinding: rebind.test answers 127.0.0.1 (allowed) first and 127.0.0.2 after that."""
    internal_server.add("/secret.mp3", SECRET, "audio/mpeg")
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        return real(next(answers, "127.0.0.2") if host == "rebind.test" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = internal_server.httpd.server_address[1]
    with (
        HANDLERS[handler](options(tmp_path), policy=NetworkPolicy.of(PUBLIC)) as ydl,
        pytest.raises(yt_dlp.utils.DownloadError, match=r"rebind\.test \(which resolves to 127\.0\.0\.2\)"),
    ):
        ydl.extract_info(f"http://rebind.test:{port}/secret.mp3", download=True)
    assert internal_server.requests == []


def test_hls_fragments_on_an_internal_host_are_refused(media_server, internal_server, tmp_path: Path):
    internal_server.add("/seg0.ts", b"\x47" * 188, "video/mp2t")
    media_server.add(
        "/hls.m3u8",
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:1.0,\n{internal_server.url('/seg0.ts')}\n#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    )
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.2"):
        ytdlp.download_audio(media_server.url("/hls.m3u8"), tmp_path, "media", network=PUBLIC)
    assert internal_server.requests == []


def test_downloaders_with_their_own_networking_are_refused(media_server, tmp_path: Path):
    media_server.add("/ok.mp3", AUDIO, "audio/mpeg")
    policy = NetworkPolicy.of(PUBLIC)
    with (
        GuardedYoutubeDL(options(tmp_path), policy=policy) as ydl,
        pytest.raises(yt_dlp.utils.DownloadError, match="FFmpegFD"),
    ):
        ydl.dl(
            str(tmp_path / "x.mp4"),
            {"id": "x", "ext": "mp4", "url": media_server.url("/a.m3u8"), "protocol": "m3u8"},
        )
    curl = options(tmp_path) | {"external_downloader": {"default": "curl"}}
    with (
        GuardedYoutubeDL(curl, policy=policy) as ydl,
        pytest.raises(yt_dlp.utils.DownloadError, match="refusing the downloader"),
    ):
        ydl.dl(str(tmp_path / "y.mp3"), {"id": "y", "ext": "mp3", "url": media_server.url("/ok.mp3")})


def test_canary_the_yt_dlp_internals_the_guard_hooks_into_are_there(tmp_path: Path):
    """Fails first when a yt-dlp upgrade moves what the guard relies on (the guard then refuses to run)."""
    check_internals()
    with GuardedYoutubeDL(options(tmp_path), policy=NetworkPolicy()) as ydl:
        names = sorted(type(h).__name__ for h in ydl._request_director.handlers.values())
        assert names == ["GuardedRequestsRH", "GuardedUrllibRH"]  # nothing unguarded to fall back to
        assert ydl.params["proxy"] == "" and ydl.params["skip_unavailable_fragments"] is False


# httpx ------------------------------------------------------------------------------------------------


def test_httpx_checks_every_hop_and_the_connected_address(bounce, internal_server, monkeypatch):
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.2 is a loopback address"):
        fetch_bytes(bounce[0], PUBLIC)
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: real(
            next(answers, "127.0.0.2") if host == "rebind.test" else host, port, *a, **k
        ),
    )
    port = internal_server.httpd.server_address[1]
    with pytest.raises(UnsafeURLError, match=r"rebind\.test \(which resolves to 127\.0\.0\.2\)"):
        fetch_bytes(f"http://rebind.test:{port}/secret.mp3", PUBLIC)
    assert internal_server.requests == []


def test_httpx_ignores_proxies_from_the_environment(media_server, internal_server, monkeypatch):
    """Through a proxy no connected address could be checked, so newsroom does not use one."""
    media_server.add("/ok.txt", b"public", "text/plain")
    monkeypatch.setenv("HTTP_PROXY", internal_server.base_url)
    monkeypatch.setenv("http_proxy", internal_server.base_url)
    assert fetch_bytes(media_server.url("/ok.txt"), PUBLIC) == b"public"
    assert internal_server.requests == []


# The address policy --------------------------------------------------------------------------------

REFUSED = [
    ("127.0.0.2", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "shared"),
    ("100.127.255.254", "shared"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", ""),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("255.255.255.255", ""),
    ("192.0.0.8", "IETF"),
    ("198.18.0.1", ""),
    ("240.0.0.1", ""),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:100.64.0.1", "shared"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 embedding 127.0.0.1
    ("64:ff9b::a00:1", "private"),
    ("64:ff9b:1::1", ""),
    ("2002:7f00:1::", "loopback"),  # 6to4 embedding 127.0.0.1
    ("2002:a00:1::", "private"),
    ("::7f00:2", ""),
    ("fe80::1", "link-local"),
    ("fe80::1%lo", "link-local"),
    ("fc00::1", "private"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", ""),
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


def resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(family, socket.SOCK_STREAM, 6, "", (address, port))],
    )


@pytest.mark.parametrize(("address", "what"), REFUSED)
def test_every_address_that_is_not_global_is_refused(address: str, what: str, monkeypatch):
    resolving_to(monkeypatch, address)
    with pytest.raises(UnsafeURLError, match=what or None):
        check_url("https://feeds.example.com/feed.xml")
    assert NetworkPolicy().refusal(address)
    assert NetworkPolicy(allow_all=True).refusal(address) is None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str, monkeypatch):
    resolving_to(monkeypatch, address)
    assert check_url("https://feeds.example.com/feed.xml") == "https://feeds.example.com/feed.xml"


def test_allow_private_network_takes_true_false_or_networks(tmp_path: Path):
    nas = load_settings(write_config(tmp_path, 'allow_private_network = ["192.168.1.0/24", "10.0.0.5"]\n'))
    assert nas.allow_private_network == ["192.168.1.0/24", "10.0.0.5/32"]
    policy = NetworkPolicy.of(nas.allow_private_network)
    assert policy.refusal("192.168.1.20") is None and policy.refusal("::ffff:192.168.1.20") is None
    assert policy.refusal("10.0.0.5") is None and policy.refusal("10.0.0.6") == "a private address"
    assert policy.refusal("127.0.0.1") == "a loopback address"
    with pytest.raises(ConfigError, match=r"allow_private_network.*'nas' is not an IP network"):
        load_settings(write_config(tmp_path / "bad", 'allow_private_network = ["nas"]\n'))
