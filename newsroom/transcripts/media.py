"""Audio with ffmpeg: find it, probe it, cut it into upload-sized windows near silence.

Whole episodes are never decoded into memory: ffmpeg streams them, and pydub only ever sees a short
window around a planned cut (a 2 h 44.1 kHz stereo mp3 decoded by pydub takes ~3.9 GB).
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from newsroom.ffmpeg import ffmpeg_exe, run_ffmpeg

UPLOAD_KBPS = 64  # what windows are re-encoded to: 1400 s is 11 MB, far under the 25 MB upload limit


class MediaError(Exception):
    """Audio that cannot be read, is empty, or cannot be converted."""


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


def probe_duration(path: Path) -> float:
    """Seconds of audio: from the tags (mutagen, in-process) when it can tell, else from ffmpeg's
    reading of the container (there is no ffprobe in imageio-ffmpeg), else by decoding."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise MediaError(f"{path.name}: file is empty or missing")
    quick = _mutagen_duration(path)
    if quick:
        return quick
    result = run_ffmpeg(["-i", str(path)], timeout=120)
    if "Invalid data found" in result.stderr or "does not contain any stream" in result.stderr:
        raise MediaError(f"{path.name}: not a readable audio file ({_last_line(result.stderr)})")
    if "Audio:" not in result.stderr:
        raise MediaError(f"{path.name}: not a readable audio file (no audio stream found)")
    match = _DURATION.search(result.stderr)
    if match:
        h, m, s = match.groups()
        return int(h) * 3600 + int(m) * 60 + float(s)
    # No duration in the header (some streams): decode to null and read the last timestamp.
    decoded = run_ffmpeg(["-i", str(path), "-vn", "-f", "null", "-"])
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", decoded.stderr)
    if not times:
        raise MediaError(f"{path.name}: could not determine duration")
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def _mutagen_duration(path: Path) -> float | None:
    try:
        import mutagen

        info = mutagen.File(path)
        length = float(info.info.length) if info is not None and info.info else 0.0
    except Exception:  # unreadable here; ffmpeg gets to decide
        return None
    return length if length > 0 else None


@dataclass(frozen=True)
class Window:
    """A piece of the episode: [start, end) in seconds."""

    index: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def max_window_seconds(max_seconds: float, max_mb: float, kbps: int) -> float:
    """The longest window that stays under both the time limit and the upload size at this bitrate."""
    by_size = max_mb * 1_000_000 * 8 / (kbps * 1000) * 0.97  # 3 % for container overhead
    return min(max_seconds, by_size)


def plan_windows(
    duration: float, max_len: float, overlap: float, cut_points: dict[int, float] | None = None
) -> list[Window]:
    """Pure: where to cut. Windows of at most `max_len`, overlapping by `overlap`.

    `cut_points` maps a boundary number (1 = between window 0 and 1) to a preferred cut time, e.g. a
    nearby silence; it is used when it keeps every window within `max_len`.
    """
    if duration <= 0:
        return []
    if duration <= max_len:
        return [Window(0, 0.0, duration)]
    step = max_len - overlap
    windows: list[Window] = []
    start = 0.0
    index = 0
    while True:
        nominal_cut = start + step
        cut = nominal_cut
        preferred = (cut_points or {}).get(index + 1)
        if preferred is not None and start + overlap < preferred <= nominal_cut:
            cut = preferred
        end = min(duration, cut + overlap)
        if duration - start <= max_len:
            windows.append(Window(index, start, duration))
            break
        windows.append(Window(index, start, end))
        start = cut
        index += 1
    return windows


def find_silence_near(
    path: Path, target: float, search: float = 12.0, min_silence_ms: int = 300
) -> float | None:
    """The middle of the silence closest to `target`, looking `search` seconds back from it.

    Only that short stretch is decoded (by ffmpeg, to 16 kHz mono wav) and handed to pydub.
    """
    from pydub import AudioSegment
    from pydub.silence import detect_silence

    begin = max(0.0, target - search)
    length = target - begin
    if length <= 0.5:
        return None
    result = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-ss",
            f"{begin:.3f}",
            "-t",
            f"{length:.3f}",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-f",
            "wav",
            "-",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 or len(result.stdout) < 1000:
        return None
    from io import BytesIO

    segment = AudioSegment.from_file(BytesIO(result.stdout), format="wav")
    if segment.dBFS == float("-inf"):
        return target  # all silent: cut anywhere
    # 10 ms steps: plenty for a cut point, and 10x less work than pydub's 1 ms default.
    silences = detect_silence(
        segment, min_silence_len=min_silence_ms, silence_thresh=segment.dBFS - 16, seek_step=10
    )
    if not silences:
        return None
    # Closest to the target, i.e. the latest one.
    s, e = max(silences, key=lambda pair: pair[1])
    return begin + (s + e) / 2000.0


def plan_episode_windows(media: Path, max_seconds: float, max_mb: float, overlap: float) -> list[Window]:
    """Windows within the backend's limits, moved to nearby silence where there is some."""
    duration = probe_duration(media)
    limit = max_window_seconds(max_seconds, max_mb, UPLOAD_KBPS)
    nominal = plan_windows(duration, limit, overlap)
    # Each search is its own short ffmpeg decode: two at a time (2 h of audio has 5 boundaries).
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="silence") as pool:
        found = list(pool.map(lambda w: find_silence_near(media, w.start), nominal[1:]))
    cut_points = {i: at for i, at in enumerate(found, start=1) if at is not None}
    return plan_windows(duration, limit, overlap, cut_points) if cut_points else nominal


def cut_window(source: Path, window: Window, out: Path, kbps: int = 64) -> Path:
    """Re-encode one window to mono 16 kHz: mp3 for uploads (small), wav for a local model (lossless).

    `-ss` before `-i` seeks in the input, so ffmpeg decodes only this window, never the whole file.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    codec = ["-c:a", "pcm_s16le"] if out.suffix == ".wav" else ["-c:a", "libmp3lame", "-b:a", f"{kbps}k"]
    result = run_ffmpeg(
        [
            "-y",
            "-v",
            "error",
            "-ss",
            f"{window.start:.3f}",
            "-t",
            f"{window.duration:.3f}",
            "-i",
            str(source),
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            *codec,
            str(out),
        ]
    )
    if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise MediaError(
            f"{source.name}: ffmpeg could not cut {window.start:.0f}-{window.end:.0f}s: "
            f"{_last_line(result.stderr)}"
        )
    return out


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
