"""Which failures are retried: decided from what happened, never from words in a URL or path."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsroom.net import FetchError, fetch_bytes
from newsroom.retry import is_transient_error
from newsroom.sources.fetching import fetch_media
from tests.fakes.media_server import MediaServer
from tests.fakes.smtp_server import free_port
from tests.publish_helpers import episode


@pytest.mark.parametrize(("status", "transient"), [(503, True), (429, True), (404, False), (403, False)])
def test_http_answers_are_retried_only_when_another_attempt_can_help(
    media_server: MediaServer, status: int, transient: bool
):
    url = media_server.add("/ConnectTimeout/feed.xml", "no", "text/plain", status)
    with pytest.raises(FetchError) as caught:
        fetch_bytes(url, allow_private=True)
    assert caught.value.status == status
    assert is_transient_error(caught.value) is transient  # the words in the URL do not count


def test_a_refused_connection_is_retried_and_a_missing_file_is_not(tmp_path: Path):
    with pytest.raises(FetchError) as refused:
        fetch_bytes(f"http://127.0.0.1:{free_port()}/feed.xml", allow_private=True)  # nothing listens
    assert refused.value.status is None and is_transient_error(refused.value)

    missing = episode(1, "Lost").model_copy(update={"media_url": str(tmp_path / "ConnectionTimeout.mp3")})
    with pytest.raises(FetchError, match="media file not found") as caught:
        fetch_media(missing, tmp_path, None)  # type: ignore[arg-type]  # a local path needs no settings
    assert not is_transient_error(caught.value)
