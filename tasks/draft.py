"""Draft the newsletter from the week's summaries: the editor agent, else the deterministic draft."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from newsroom.config import Settings
from newsroom.models import Episode, Summary, ToolCallRecord
from newsroom.newsletter.editor import Draft, draft_issue
from newsroom.newsletter.notes import Library, write_episode_notes
from newsroom.openai_api import Meter
from newsroom.store import Store
from tasks import run_as_command


def _logger() -> Any:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("newsroom.newsletter.editor")


@task(name="draft-newsletter", cache_policy=NO_CACHE)
def draft_newsletter(
    stories: list[tuple[Episode, Summary]], settings: Settings, day: date, run_id: str | None = None
) -> Draft:
    """Choose, order and write up the stories of this issue; every tool call of the editor is logged."""
    store = Store(settings.library_dir)
    transcripts = {e.id: t for e, _ in stories if (t := store.load_transcript(e.id)) is not None}
    # An untimed transcript (plain text) gives no second to link to: its links go to the page.
    stories = [
        (
            e.model_copy(update={"untimed": True})
            if e.id in transcripts and not transcripts[e.id].timed
            else e,
            s,
        )
        for e, s in stories
    ]
    # Now that the whole week is summarized, each episode's note can link the others (Related).
    library = Library.read(store)
    for episode, summary in stories:
        if episode.id in transcripts:
            write_episode_notes(store, episode, transcripts[episode.id], summary, settings, library)
    logger = _logger()

    def log_tool_call(record: ToolCallRecord) -> None:
        outcome = "ok" if record.ok else f"error: {record.error}"
        logger.info(
            "editor step %d: %s(%s) -> %s, %d chars",
            record.step,
            record.tool,
            json.dumps(record.arguments, ensure_ascii=False)[:200],
            outcome,
            record.result_chars,
        )

    meter = Meter(store, settings.prices, run_id, None, "editor")
    draft = draft_issue(settings, stories, transcripts, day, meter, log_tool_call)
    if draft.agent_failed:
        logger.warning("deterministic draft: %s", draft.fallback_reason)
    elif draft.fallback_reason:
        logger.info("deterministic draft: %s", draft.fallback_reason)
    return draft


if __name__ == "__main__":
    run_as_command("draft")
