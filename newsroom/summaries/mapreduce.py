"""Long transcripts: map-reduce within a token budget, with every part accounted for.

A transcript is cut into chunks at segment boundaries (so every line keeps its [seconds]) of at most
`budget` tokens; the chunks are summarized concurrently (map); the part summaries are combined in as
few calls as fit the budget (reduce, a tree when they do not fit one call); and the result is checked
for coverage: every chunk must have a chapter or takeaway inside its time span. A chunk the model
refuses, cuts off or garbles is retried as two smaller ones; one that still fails fails the summary
(reported, never published), so nothing is ever silently left out.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from newsroom.models import Chapter, Segment, SummaryContent, clock
from newsroom.tokens import count_tokens

MAX_SPLIT_DEPTH = 2  # a failing chunk is retried as halves, then quarters; then it is reported


class SummaryRejectedError(Exception):
    """The model refused, was cut off, or returned output that breaks the rules; never published."""


def segment_line(seg: Segment, speaker: bool = True) -> str:
    """How the model sees a segment: its start second, who speaks (when known and `speaker`), then
    its words. Budgets count the label on every line, so a chunk never outgrows its plan."""
    who = f"{seg.speaker}: " if seg.speaker and speaker else ""
    return f"[{seg.start:.0f}] {who}{seg.text.strip()}"


@dataclass(frozen=True)
class Chunk:
    """Consecutive segments sent in one call."""

    segments: tuple[Segment, ...]
    tokens: int
    depth: int = 0  # 0 as planned; 1, 2 after retries with smaller chunks

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return max(s.end for s in self.segments)

    @property
    def span(self) -> str:
        return f"{clock(self.start)}–{clock(self.end)}"

    def lines(self) -> str:
        """The segments as the model reads them; `Name:` once per turn, where the speaker changes."""
        before = [None, *(s.speaker for s in self.segments)]
        return "\n".join(segment_line(s, s.speaker != b) for s, b in zip(self.segments, before, strict=False))


def split_segment(seg: Segment, budget: int, model: str) -> list[Segment]:
    """A segment longer than the budget (an article paragraph, a caption dump) as pieces that fit,
    cut between sentences (else words), each starting at its interpolated time."""
    text = seg.text.strip()
    pieces = [p for p in re.split(r"(?<=[.!?])\s+", text) if p]
    if any(count_tokens(p, model) > budget for p in pieces):
        pieces = text.split()
    out: list[Segment] = []
    current: list[str] = []
    used = 0
    offset = 0

    def close() -> None:
        nonlocal offset
        piece = " ".join(current)
        at = seg.start + (seg.end - seg.start) * offset / max(1, len(text))
        out.append(Segment(start=round(at, 2), end=seg.end, text=piece, speaker=seg.speaker))
        offset += len(piece) + 1

    for piece in pieces:
        size = count_tokens(piece, model) + 1
        if current and used + size > budget:
            close()
            current, used = [], 0
        current.append(piece)
        used += size
    if current:
        close()
    # Each piece ends where the next starts.
    return [
        s.model_copy(update={"end": out[i + 1].start}) if i + 1 < len(out) else s for i, s in enumerate(out)
    ]


def plan_chunks(segments: list[Segment], budget: int, model: str = "gpt-4o-mini") -> list[Chunk]:
    """Chunks of about equal size, none over `budget` tokens, cut only between segments."""
    lines: list[tuple[Segment, int]] = []
    for seg in segments:
        if not seg.text.strip():
            continue
        size = count_tokens(segment_line(seg), model) + 1
        if size > budget:
            lines += [
                (s, count_tokens(segment_line(s), model) + 1) for s in split_segment(seg, budget - 8, model)
            ]
        else:
            lines.append((seg, size))
    total = sum(size for _, size in lines)
    if not total:
        return []
    # Balanced: n chunks of about total/n rather than full ones and a small tail.
    target = total / math.ceil(total / budget)
    chunks: list[Chunk] = []
    current: list[Segment] = []
    used = 0
    for seg, size in lines:
        if current and used + size > budget:
            chunks.append(Chunk(tuple(current), used))
            current, used = [], 0
        current.append(seg)
        used += size
        if used >= target:
            chunks.append(Chunk(tuple(current), used))
            current, used = [], 0
    if current:
        chunks.append(Chunk(tuple(current), used))
    return chunks


def halve(chunk: Chunk, model: str, min_tokens: int = 150) -> list[Chunk] | None:
    """Two smaller chunks for a retry, or None when the chunk is already as small as we go."""
    if chunk.depth >= MAX_SPLIT_DEPTH or chunk.tokens < 2 * min_tokens:
        return None
    segments = list(chunk.segments)
    if len(segments) == 1:
        segments = split_segment(segments[0], max(1, chunk.tokens // 2), model)
        if len(segments) < 2:
            return None
    sizes = [count_tokens(segment_line(s), model) + 1 for s in segments]
    cut, running = 1, sizes[0]
    while cut < len(segments) - 1 and running + sizes[cut] <= sum(sizes) / 2:
        running += sizes[cut]
        cut += 1
    return [
        Chunk(tuple(segments[:cut]), sum(sizes[:cut]), chunk.depth + 1),
        Chunk(tuple(segments[cut:]), sum(sizes[cut:]), chunk.depth + 1),
    ]


@dataclass
class Partial:
    """A summary of the stretch of the episode from `start` to `end` (parts first..last)."""

    first: int
    last: int
    start: float
    end: float
    content: SummaryContent


@dataclass
class Stats:
    """What one map-reduce did: for the summary's record, the tests and the bench."""

    parts: int = 0
    map_calls: int = 0
    splits: int = 0
    reduce_calls: int = 0
    reduce_depth: int = 0
    repaired: int = 0
    failures: list[str] = field(default_factory=list)


MapFn = Callable[[Chunk, int, int], SummaryContent]  # (chunk, part number, parts)
ReduceFn = Callable[[list[Partial], int, int, str], SummaryContent]  # (partials, first, last, feedback)


def reduce_groups(sizes: list[int], budget: int) -> list[list[int]]:
    """Consecutive groups of part summaries that each fit the budget; a level always shrinks."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, size in enumerate(sizes):
        if current and used + size > budget:
            groups.append(current)
            current, used = [], 0
        current.append(i)
        used += size
    groups.append(current)
    if len(groups) == len(sizes) > 1:  # every summary alone near the budget: pair them anyway
        groups = [list(range(i, min(i + 2, len(sizes)))) for i in range(0, len(sizes), 2)]
    return groups


def missing_parts(chunks: list[Chunk], content: SummaryContent) -> list[int]:
    """Indexes of chunks with no chapter or takeaway inside their stretch of the episode."""
    marks = [c.start for c in content.chapters] + [t.timestamp for t in content.key_takeaways]
    missing = []
    for i in range(len(chunks)):
        lo = chunks[i].start if i else -math.inf
        hi = chunks[i + 1].start if i + 1 < len(chunks) else math.inf
        if not any(lo <= m < hi for m in marks):
            missing.append(i)
    return missing


def repair_coverage(
    content: SummaryContent, chunks: list[Chunk], missing: list[int], partials: list[Partial]
) -> SummaryContent:
    """Give each missing chunk the first chapter (else takeaway) of its own part summary."""
    chapters = list(content.chapters)
    for i in missing:
        lo = chunks[i].start
        hi = chunks[i + 1].start if i + 1 < len(chunks) else math.inf
        for p in partials:
            if not lo <= p.start < hi:
                continue
            own = [c for c in p.content.chapters if lo <= c.start < hi]
            if own:
                chapters.append(own[0])
                break
            taken = [t for t in p.content.key_takeaways if lo <= t.timestamp < hi]
            if taken:
                chapters.append(Chapter(start=taken[0].timestamp, title=taken[0].text[:90]))
                break
        else:
            chapters.append(Chapter(start=lo, title=chunks[i].segments[0].text.strip()[:90]))
    return content.model_copy(update={"chapters": sorted(chapters, key=lambda c: c.start)})


def map_reduce(
    chunks: list[Chunk],
    map_fn: MapFn,
    reduce_fn: ReduceFn,
    measure: Callable[[SummaryContent], int],
    budget: int,
    concurrency: int,
    model: str = "gpt-4o-mini",
) -> tuple[SummaryContent, Stats]:
    """Summarize every chunk (concurrently), combine the parts, and check that all of them count."""
    stats = Stats(parts=len(chunks))
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="summarize") as pool:

        def submit(fn: Callable[..., Any], *args: Any) -> Future[Any]:
            # Each worker carries the caller's context (Prefect run, logger).
            return pool.submit(contextvars.copy_context().run, fn, *args)

        partials = _map_all(chunks, map_fn, submit, stats, model)
        if len(partials) == 1:
            return partials[0].content, stats
        level = partials
        parts = len(chunks)
        while True:
            groups = reduce_groups([measure(p.content) for p in level], budget)
            if len(groups) == 1:
                break
            stats.reduce_depth += 1
            futures = [
                submit(reduce_fn, [level[i] for i in g], level[g[0]].first, level[g[-1]].last, "")
                if len(g) > 1
                else None
                for g in groups
            ]
            stats.reduce_calls += sum(1 for f in futures if f is not None)
            level = [
                Partial(level[g[0]].first, level[g[-1]].last, level[g[0]].start, level[g[-1]].end, f.result())
                if f is not None
                else level[g[0]]
                for g, f in zip(groups, futures, strict=True)
            ]
        stats.reduce_depth += 1
        stats.reduce_calls += 1
        content = reduce_fn(level, 1, parts, "")
        missing = missing_parts(chunks, content)
        if missing:
            stats.reduce_calls += 1
            content = reduce_fn(level, 1, parts, coverage_feedback(chunks, missing))
            missing = missing_parts(chunks, content)
        if missing:
            stats.repaired = len(missing)
            content = repair_coverage(content, chunks, missing, partials)
    return content, stats


def coverage_feedback(chunks: list[Chunk], missing: list[int]) -> str:
    spans = ", ".join(f"part {i + 1} ({chunks[i].span})" for i in missing)
    return (
        f"no chapter or key takeaway falls inside {spans}. Every part must have at least one chapter "
        "starting inside its time span."
    )


def _map_all(
    chunks: list[Chunk],
    map_fn: MapFn,
    submit: Callable[..., Future[Any]],
    stats: Stats,
    model: str,
) -> list[Partial]:
    parts = len(chunks)
    pending: dict[Future[Any], tuple[Chunk, int]] = {}
    for number, chunk in enumerate(chunks, start=1):
        pending[submit(map_fn, chunk, number, parts)] = (chunk, number)
        stats.map_calls += 1
    partials: list[Partial] = []
    failed: list[tuple[int, Chunk, str]] = []
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk, number = pending.pop(future)
                try:
                    content = future.result()
                except SummaryRejectedError as exc:
                    halves = halve(chunk, model)
                    if not halves:
                        failed.append((number, chunk, str(exc)))
                        continue
                    stats.splits += 1
                    for half in halves:
                        pending[submit(map_fn, half, number, parts)] = (half, number)
                        stats.map_calls += 1
                    continue
                partials.append(Partial(number, number, chunk.start, chunk.end, content))
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    if failed:
        number, chunk, reason = min(failed, key=lambda f: (f[0], f[1].start))
        stats.failures = [f"part {n} ({c.span}): {r}" for n, c, r in sorted(failed, key=lambda f: f[1].start)]
        raise SummaryRejectedError(
            f"part {number} of {parts} ({chunk.span}) could not be summarized, even in smaller pieces "
            f"({reason}); the episode is not summarized rather than summarized in part"
        )
    return sorted(partials, key=lambda p: p.start)
