"""Episode notes in the Obsidian form: a transcript note and a summary note per episode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from newsroom.config import Settings, slugify
from newsroom.locales import builtin_codes, locale
from newsroom.models import Episode, Segment, Summary, Transcript
from newsroom.newsletter.render import render
from newsroom.sources import kind_named
from newsroom.store import Store, write_text
from newsroom.summaries.extractive import words
from newsroom.summaries.grounding import plain_summary


def _headings(keys: tuple[str, ...], user_dir: Path | None) -> set[str]:
    """What these headings are called in every language newsroom writes."""
    return {locale(code, user_dir).headings[key] for code in builtin_codes() for key in keys}


def user_notes(text: str, user_dir: Path | None = None) -> str:
    """What stands under a `## Notes` heading, up to the next heading the template writes (or the end:
    the newsletter note ends with its Notes)."""
    lines = text.splitlines()
    notes = _headings(("notes",), user_dir)
    after = _headings(("takeaways", "related"), user_dir)  # what the templates write after Notes
    start = next((i for i, line in enumerate(lines) if _heading(line) in notes), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines)) if _heading(lines[i]) in after), len(lines))
    return "\n".join(lines[start + 1 : end]).strip("\n").rstrip()


def _heading(line: str) -> str | None:
    match = re.match(r"^##\s+(.+?)\s*$", line)
    return match.group(1) if match else None


def safe_title(title: str) -> str:
    """The title as a file name Obsidian accepts and wikilinks can point at."""
    title = re.sub(r'[\\/:*?"<>|#^\[\]]+', " ", title)
    return re.sub(r"\s+", " ", title).strip()[:80].rstrip(" .")


def note_names(store: Store) -> dict[str, str]:
    """Every library episode's note name: its safe title, or, for a later episode whose title is
    already taken (two "Live Q&A" streams), the title plus its id. Stable: the episode seen first
    keeps the plain title for good."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for episode_id, title in store.titles():
        name = safe_title(title) or episode_id
        if name.casefold() in taken:  # case-insensitive file systems (macOS, Windows) clash too
            name = f"{name} ({episode_id})"
        taken.add(name.casefold())
        names[episode_id] = name
    return names


def note_name(episode: Episode, names: dict[str, str] | None = None) -> str:
    """The episode's note name from `note_names`, or its safe title when it is not in the library."""
    return (names or {}).get(episode.id) or safe_title(episode.title) or episode.id


def tags_for(episode: Episode) -> list[str]:
    return [f"#{episode.kind}", "#transcript", f"#{slugify(episode.source_name)[:40] or 'source'}"]


def _entities(summary: Summary) -> set[str]:
    e = summary.entities
    return {n.lower() for n in e.people + e.companies + e.products}


def _topics(summary: Summary) -> set[str]:
    """The significant words of what the episode is about (themes, main topic, chapter titles)."""
    text = " ".join(
        [summary.key_subjects_and_themes, summary.main_topic, *(c.title for c in summary.chapters)]
    )
    return set(words(text))


@dataclass
class Library:
    """What Related links need from the whole library, read once: every episode's note name, and the
    entities and topic words of every summarized episode."""

    names: dict[str, str]
    profiles: list[tuple[str, set[str], set[str]]]  # (episode id, entities, topics)

    @classmethod
    def read(cls, store: Store) -> Library:
        profiles = []
        for other in store.episodes():
            theirs = store.load_summary(other.id)
            if theirs is not None:
                profiles.append((other.id, _entities(theirs), _topics(theirs)))
        return cls(note_names(store), profiles)


def related_episodes(
    store: Store,
    episode: Episode,
    summary: Summary,
    limit: int = 5,
    min_topic_overlap: float = 0.2,
    library: Library | None = None,
) -> list[str]:
    """Other library episodes on the same entities (people, companies, products) or topics (a share
    of significant words), strongest first. Pass `library` when linking several episodes in a row."""
    library = library or Library.read(store)
    mine, my_topics = _entities(summary), _topics(summary)
    scored = []
    for other_id, theirs, their_topics in library.profiles:
        if other_id == episode.id:
            continue
        shared = len(mine & theirs)
        union = my_topics | their_topics
        overlap = len(my_topics & their_topics) / len(union) if union else 0.0
        if shared or overlap >= min_topic_overlap:
            scored.append((3 * shared + 10 * overlap, library.names[other_id]))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [name for _, name in scored[:limit]]


def speaker_turns(segments: list[Segment]) -> list[tuple[str | None, Segment]]:
    """Each segment with its speaker's name where a turn begins (None inside a turn, or unknown)."""
    out: list[tuple[str | None, Segment]] = []
    previous: str | None = None
    for seg in segments:
        out.append((seg.speaker if seg.speaker and seg.speaker != previous else None, seg))
        previous = seg.speaker
    return out


def transcript_note(
    episode: Episode,
    transcript: Transcript,
    summary: Summary | None,
    related: list[str],
    settings: Settings,
    user_notes: str = "",
) -> str:
    language = summary.language if summary else settings.language
    return render(
        "transcript_note.md.j2",
        settings.templates_dir,
        episode=episode,
        transcript=transcript,
        lines=speaker_turns(transcript.segments),
        takeaways=plain_summary(summary).key_takeaways if summary else [],
        related=related,
        tags=tags_for(episode),
        source_label=kind_named(episode.kind).label,
        h=locale(language, settings.templates_dir).headings,
        user_notes=user_notes,
    )


def summary_note(episode: Episode, summary: Summary, transcript_backend: str, settings: Settings) -> str:
    return render(
        "summary_note.md.j2",
        settings.templates_dir,
        episode=episode,
        summary=plain_summary(summary),  # model text, made plain as in the newsletter
        transcript_backend=transcript_backend,
        h=locale(summary.language, settings.templates_dir).headings,
        p=locale(summary.language, settings.templates_dir).phrases,
    )


def write_episode_notes(
    store: Store,
    episode: Episode,
    transcript: Transcript,
    summary: Summary | None,
    settings: Settings,
    library: Library | None = None,
) -> list[Path]:
    """transcript.md (and summary.md once there is a summary) in the episode's library folder."""
    if not transcript.timed and episode.has_timeline:  # plain text: no second to link to
        episode = episode.model_copy(update={"untimed": True})
    folder = store.episode_dir(episode.id)
    related = related_episodes(store, episode, summary, library=library) if summary else []
    note = folder / "transcript.md"
    kept = user_notes(note.read_text(), settings.templates_dir) if note.exists() else ""  # the user's stay
    paths = [write_text(note, transcript_note(episode, transcript, summary, related, settings, kept))]
    store.save_notes(episode.id, kept)
    if summary:
        paths.append(
            write_text(folder / "summary.md", summary_note(episode, summary, transcript.backend, settings))
        )
    return paths
