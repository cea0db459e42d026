"""One stage on one input, with the same tasks and config as the digest: `newsroom task STAGE INPUT`.

For debugging: transcribe one URL, file or library episode; summarize one transcript.json; draft a
newsletter from summary.json files; publish a newsletter.json (always as a dry run: a preview in
out/<date>/dry-run/, nothing sent and nothing marked as sent).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from newsroom.config import Settings, SourceConfig
from newsroom.models import Episode, Newsletter, RunReport, Summary, Transcript, utcnow
from newsroom.ops.limits import ensure_stage_limits
from newsroom.sources import episode_for_url
from newsroom.store import Store
from tasks.discover import discover_source
from tasks.draft import draft_newsletter
from tasks.fetch import fetch_episode
from tasks.publish import write_issue
from tasks.summarize import summarize_episode
from tasks.transcribe import transcribe_episode

STAGES = ("discover", "fetch", "transcribe", "summarize", "draft", "publish")


class StageInputError(ValueError):
    """The input does not fit the stage; the message says what would."""


def json_kind(path: Path) -> str:
    """'transcript', 'summary' or 'newsletter': what a JSON file written by newsroom holds."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StageInputError(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict):
        if "segments" in data:
            return "transcript"
        if "key_subjects_and_themes" in data:
            return "summary"
        if "items" in data and "intro" in data:
            return "newsletter"
    raise StageInputError(f"{path}: not a transcript, summary or newsletter JSON written by newsroom")


def resolve_episode(target: str, settings: Settings) -> Episode:
    """An episode id from the library (as the run report shows it), else a URL or a path."""
    store = Store(settings.library_dir)
    known = store.get_episode(target)
    if known is not None:
        return known
    episode = episode_for_url(target, settings)
    store.upsert_episode(episode)
    return episode


def run_stage(stage: str, targets: list[str], settings: Settings, force: bool = False) -> Any:
    """Run `stage` on `targets` and return its result as JSON-ready data."""
    if stage not in STAGES:
        raise StageInputError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}")
    if not targets:
        raise StageInputError(f"{stage} needs an input")
    ensure_stage_limits(settings)
    first = targets[0]
    if stage == "discover":
        return [e.model_dump(mode="json") for e in discover_source(SourceConfig(url=first), settings)]
    is_json = first.endswith(".json")
    if stage in ("fetch", "transcribe") or (stage == "summarize" and not is_json):
        return _episode_stages(stage, resolve_episode(first, settings), settings, force)
    if stage == "summarize":
        return _summarize_file(Path(first), settings, force)
    kinds = {p: json_kind(Path(p)) for p in targets}
    if stage == "publish" and list(kinds.values()) == ["newsletter"]:
        newsletter = Newsletter.model_validate_json(Path(first).read_text())
        return _publish(newsletter, _stories_of(newsletter, settings), settings)
    if set(kinds.values()) != {"summary"}:
        raise StageInputError(
            f"{stage} takes summary.json files" + (" or one newsletter.json" if stage == "publish" else "")
        )

    store = Store(settings.library_dir)
    stories = [_story(Summary.model_validate_json(Path(p).read_text()), store) for p in targets]
    newsletter = draft_newsletter(stories, settings, date.today()).newsletter
    if stage == "draft":
        return newsletter.model_dump(mode="json")
    return _publish(newsletter, stories, settings)


def _episode_stages(stage: str, episode: Episode, settings: Settings, force: bool) -> Any:
    fetched = fetch_episode(episode, settings)
    if stage == "fetch":
        return {"kind": fetched.kind, **fetched.model_dump(mode="json")}
    transcript = transcribe_episode(episode, fetched, settings, None, force)
    if stage == "transcribe":
        return {
            "episode": episode.id,
            "backend": transcript.backend,
            "language": transcript.language,
            "corrections": transcript.corrections,
            "file": str(Store(settings.library_dir).transcript_path(episode.id)),
            "text": transcript.text[:2000],
        }
    return summarize_episode(episode, transcript, settings, None, force).model_dump(mode="json")


def _summarize_file(path: Path, settings: Settings, force: bool) -> Any:
    if json_kind(path) != "transcript":
        raise StageInputError(f"{path}: summarize takes a transcript.json (or a URL, path or episode id)")
    transcript = Transcript.model_validate_json(path.read_text())
    episode = Store(settings.library_dir).get_episode(transcript.episode_id)
    if episode is None:
        raise StageInputError(f"{transcript.episode_id} is not in the library at {settings.library_dir}")
    return summarize_episode(episode, transcript, settings, None, force).model_dump(mode="json")


def _story(summary: Summary, store: Store) -> tuple[Episode, Summary]:
    episode = store.get_episode(summary.episode_id)
    if episode is None:
        raise StageInputError(f"{summary.episode_id} is not in the library at {store.root}")
    return episode, summary


def _stories_of(newsletter: Newsletter, settings: Settings) -> list[tuple[Episode, Summary]]:
    store = Store(settings.library_dir)
    stories = []
    for item in newsletter.items:
        summary = store.load_summary(item.episode_id)
        if summary is None:
            raise StageInputError(f"{item.episode_id}: no summary in the library at {settings.library_dir}")
        stories.append(_story(summary, store))
    return stories


def _publish(newsletter: Newsletter, stories: list[tuple[Episode, Summary]], settings: Settings) -> Any:
    """Always a dry run: a single stage must never send an issue (nor mark its episodes as sent)."""

    report = RunReport(run_id="task-publish", started=utcnow(), dry_run=True)
    return write_issue(newsletter, stories, report, settings, dry_run=True)
