"""ffmpeg: the system's if there is one, else the static binary in imageio-ffmpeg's wheel."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache


@cache
def ffmpeg_exe() -> str:
    """The system ffmpeg if on PATH, else the static binary shipped in imageio-ffmpeg's wheel."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(args: list[str], timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
