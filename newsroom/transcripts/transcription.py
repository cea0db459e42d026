"""From what the fetch stage brought to a clean, timed Transcript.

Long audio is cut by ffmpeg into windows that every backend accepts (size and length), near
silence, overlapping slightly; windows are transcribed in parallel groups (each window prompted
with the glossary and, within its group, the previous window's last words), then stitched by
removing the words the overlap made both windows hear, and shifted to episode time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsroom.models import Episode, Segment, Transcript
from newsroom.sources.article import article_segments
from newsroom.sources.base import Fetched
from newsroom.transcripts.bundled import ModelConfigError
from newsroom.transcripts.captions import longest_overlap, parse_transcript, remove_rolling_duplicates
from newsroom.transcripts.glossary import Glossary
from newsroom.transcripts.media import Window


class NoSpeechError(Exception):
    """The audio holds no speech (silence, music only)."""


class WindowsFailedError(Exception):
    """Some windows could not be transcribed; the others are done (and cached for the next attempt)."""


@dataclass(frozen=True)
class WindowJob:
    """One window to transcribe: plain values, so a Prefect cache key can be built from them.

    `prompt` is what the model gets (glossary plus the previous window's last words); `hint` is its
    glossary part alone, which is what a cache key may depend on: the previous words come from
    another window's output, and a re-run of that window must not invalidate this one.
    """

    source: str
    source_sha: str
    window: Window
    language: str | None
    prompt: str | None
    hint: str = ""
    whole_file: bool = False  # one window covering the whole file: it may be sent as it is


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def transcript_from_text(episode: Episode, fetched: Fetched, glossary: Glossary) -> Transcript | None:
    """A transcript from the feed, captions or article text; None when there is only audio."""
    if fetched.transcript:
        data = Path(fetched.transcript).read_text(encoding="utf-8", errors="replace")
        segments = parse_transcript(data, fetched.transcript_format or "")
        provenance, backend = "feed", f"feed:{fetched.transcript_format}"
    elif fetched.captions:
        data = Path(fetched.captions).read_text(encoding="utf-8", errors="replace")
        fmt = (fetched.captions_format or "").split(":")[-1] or Path(fetched.captions).suffix.lstrip(".")
        segments = remove_rolling_duplicates(parse_transcript(data, fmt))
        provenance, backend = "captions", f"captions:{fetched.captions_format}"
    elif fetched.text:
        segments = article_segments(Path(fetched.text).read_text(encoding="utf-8"))
        provenance, backend = "article", "article:trafilatura"
    else:
        return None
    fixed, corrections = glossary.correct_segments(segments)
    return Transcript(
        episode_id=episode.id,
        language=episode.language,
        provenance=provenance,
        backend=backend,
        segments=fixed,
        corrections=corrections,
    )


def window_groups(count: int, groups: int) -> list[list[int]]:
    """Contiguous runs of window indexes, one per parallel worker."""
    groups = max(1, min(groups, count))
    size, extra = divmod(count, groups)
    out, at = [], 0
    for g in range(groups):
        n = size + (1 if g < extra else 0)
        out.append(list(range(at, at + n)))
        at += n
    return [g for g in out if g]


def last_words(segments: Sequence[Segment], n: int = 40) -> str:
    words = " ".join(s.text for s in segments).split()
    return " ".join(words[-n:])


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def stitch(results: list[tuple[Window, list[Segment]]]) -> list[Segment]:
    """Episode-time segments from overlapping windows, each word at the seam kept once."""
    merged: list[Segment] = []
    previous_end: float | None = None
    for window, segments in results:
        shifted = [
            Segment(
                start=round(s.start + window.start, 2),
                end=round(s.end + window.start, 2),
                text=s.text.strip(),
                speaker=s.speaker,
            )
            for s in segments
            if s.text.strip()
        ]
        if previous_end is not None and merged and shifted:
            shifted = _drop_seam_duplicates(merged, shifted, window.start, previous_end)
        merged.extend(shifted)
        previous_end = window.end
    return merged


def _drop_seam_duplicates(
    before: list[Segment], after: list[Segment], seam_start: float, seam_end: float
) -> list[Segment]:
    """Remove from `after` the words at its start that `before` already ends with."""
    tail_words = [_norm(w) for s in before if s.end > seam_start - 5 for w in s.text.split()]
    head_segments = [s for s in after if s.start < seam_end + 5]
    head_words = [w for s in head_segments for w in s.text.split()]
    norm_head = [_norm(w) for w in head_words]
    best = 0
    best_skip = 0
    for skip in range(0, min(3, len(norm_head))):  # a cut-off first word may be misheard
        k = longest_overlap(tail_words, norm_head[skip:])
        if k > best:
            best, best_skip = k, skip
    if best >= 2:
        drop = best + best_skip
    else:
        # No shared words found: keep `after` from the middle of the overlap on.
        middle = (seam_start + seam_end) / 2
        return [s for s in after if s.end > middle]
    out: list[Segment] = []
    for seg in after:
        words = seg.text.split()
        if drop >= len(words):
            drop -= len(words)
            continue
        if drop:
            seg = seg.model_copy(update={"text": " ".join(words[drop:])})
            drop = 0
        out.append(seg)
    return out


def transcribe_windows(
    media: Path,
    windows: list[Window],
    language: str | None,
    glossary_hint: str,
    fit_prompt: Callable[[str, str], str | None],
    run_window: Callable[[WindowJob], list[Segment]],
    run_groups: Callable[[list[Callable[[], list[list[Segment]]]]], list[list[list[Segment]]]],
    groups: int,
) -> list[Segment]:
    """Transcribe every window (groups in parallel, sequential inside a group) and stitch them.

    A window that fails does not stop the others: they are transcribed (and cached by the caller),
    then WindowsFailedError names the failed ones, so the next attempt redoes only those.
    """
    sha = file_sha256(media)
    failures: dict[int, BaseException] = {}

    def group_worker(indexes: list[int]) -> Callable[[], list[list[Segment]]]:
        def work() -> list[list[Segment]]:
            results: list[list[Segment]] = []
            previous = ""
            for i in indexes:
                prompt = fit_prompt(glossary_hint, previous)
                job = WindowJob(
                    str(media), sha, windows[i], language, prompt, glossary_hint, whole_file=len(windows) == 1
                )
                try:
                    segments = run_window(job)
                except Exception as exc:
                    failures[i] = exc
                    segments = []
                results.append(segments)
                previous = last_words(segments)
            return results

        return work

    plan = window_groups(len(windows), groups)
    outputs = run_groups([group_worker(g) for g in plan])
    if failures:
        first = min(failures)
        if isinstance(failures[first], ModelConfigError):
            raise failures[first]  # a setting to change, not a window to redo
        names = ", ".join(
            f"{i + 1} ({windows[i].start:.0f}-{windows[i].end:.0f} s)" for i in sorted(failures)
        )
        raise WindowsFailedError(
            f"window {names} of {len(windows)} failed ({type(failures[first]).__name__}: "
            f"{str(failures[first])[:200]}); the other windows are cached and the next attempt redoes "
            "only these"
        ) from failures[first]
    by_index: dict[int, list[Segment]] = {}
    for indexes, segs in zip(plan, outputs, strict=True):
        by_index.update(zip(indexes, segs, strict=True))
    stitched = stitch([(windows[i], by_index[i]) for i in range(len(windows))])
    if not stitched:
        raise NoSpeechError("no speech found in the audio (silent, or music only)")
    return stitched
