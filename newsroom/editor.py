"""The newsletter draft. The deterministic editor: one story per episode, in date order, from the
summaries alone (the fallback whenever a model editor is not configured or fails)."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from newsroom.models import Episode, Highlight, Newsletter, NewsletterItem, Summary

PHRASES = {
    "en": {
        "intro": "This issue covers {n} new {items} from {sources}.",
        "item": "episode",
        "items": "episodes",
        "outro": "Made with newsroom. Reply to tell us what you would like more of.",
        "empty": "Nothing new was published this time.",
    },
    "nl": {
        "intro": "Deze editie bespreekt {n} nieuwe {items} van {sources}.",
        "item": "aflevering",
        "items": "afleveringen",
        "outro": "Gemaakt met newsroom. Laat ons weten waar je meer over wilt lezen.",
        "empty": "Er is deze keer niets nieuws verschenen.",
    },
}


def phrases(language: str) -> dict[str, str]:
    return PHRASES.get(language.split("-")[0], PHRASES["en"])


def newsletter_id(day: date, episode_ids: list[str]) -> str:
    digest = hashlib.sha256("|".join(sorted(episode_ids)).encode()).hexdigest()[:8]
    return f"{day.isoformat()}-{digest}"


def first_sentences(text: str, n: int = 2, max_chars: int = 420) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    out = " ".join(sentences[:n])
    return out if len(out) <= max_chars else out[: max_chars - 1].rsplit(" ", 1)[0] + "…"


def deterministic_draft(
    title: str, language: str, day: date, stories: list[tuple[Episode, Summary]]
) -> Newsletter:
    """A newsletter built only from the summaries: no model, same every time."""
    p = phrases(language)
    stories = sorted(
        stories, key=lambda pair: pair[0].published.timestamp() if pair[0].published else 0, reverse=True
    )
    items = []
    for episode, summary in stories:
        first = summary.key_takeaways[0].timestamp if summary.key_takeaways else 0.0
        items.append(
            NewsletterItem(
                episode_id=episode.id,
                title=episode.title,
                blurb=first_sentences(summary.main_topic),
                link=episode.link_at(first),
                source_name=episode.source_name,
                highlights=[
                    Highlight(text=t.text, link=episode.link_at(t.timestamp))
                    for t in summary.key_takeaways[:3]
                ],
            )
        )
    sources = sorted({e.source_name for e, _ in stories})
    intro = (
        p["intro"].format(
            n=len(items), items=p["item"] if len(items) == 1 else p["items"], sources=", ".join(sources)
        )
        if items
        else p["empty"]
    )
    return Newsletter(
        id=newsletter_id(day, [e.id for e, _ in stories]),
        title=f"{title} — {day.isoformat()}",
        date=day.isoformat(),
        intro=intro,
        items=items,
        outro=p["outro"],
        language=language,
        backend="deterministic",
    )
