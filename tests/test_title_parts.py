"""A title that lists several subjects ("Sora 2 + Claude Sonnet 4.5 + AI-artiesten") gets a story
that covers each of them: the parts are matched by stem, weighed by how rarely the episode says
their words, and a word said everywhere ("AI" in an AI show) covers no part on its own."""

from __future__ import annotations

import re
from datetime import date

from newsroom.models import Episode, Segment, Transcript
from newsroom.newsletter.editor import deterministic_draft
from newsroom.summaries.lexicon import lexicon
from newsroom.summaries.summarizer import OfflineSummarizer
from newsroom.summaries.titles import coverage_gain, covered, one_edit, stems, title_parts

NL = lexicon("nl")
TITLE = "Sora 2: scrollen door een synthetische TikTok + Claude Sonnet 4.5 bouwt Slack na + AI-artiesten"


def test_a_title_splits_into_its_subjects_and_a_plain_title_is_one():
    parts = title_parts(TITLE, NL)
    assert [p.text for p in parts] == [
        "Sora 2: scrollen door een synthetische TikTok",
        "Claude Sonnet 4.5 bouwt Slack na",
        "AI-artiesten",
    ]
    assert [
        p.text for p in title_parts("Apple's new chip | the EU AI Act; listener mail", lexicon("en"))
    ] == [
        "Apple's new chip",
        "the EU AI Act",
        "listener mail",
    ]
    assert len(title_parts("Verbod op winstuitkering door zorgverzekeraars", NL)) == 1
    assert title_parts("#12 | 2026", lexicon("en")) == []  # nothing to cover


def test_parts_are_matched_by_stem_hyphen_parts_and_names_one_letter_off():
    artists, claude = title_parts(TITLE, NL)[2], title_parts(TITLE, NL)[1]
    # "AI-artiesten" is said as "door AI gegenereerde artiest": the stems and the hyphen's parts.
    assert artists.share(stems("Deze week tekende een door AI gegenereerde artiest een contract.", NL)) == 1.0
    assert one_edit("claude", "claud") and one_edit("sonnet", "sonet") and not one_edit("slack", "black")
    assert claude.share(stems("Claud kan nu dertig uur doorwerken.", NL)) > 0  # captions misspell names
    assert claude.share(stems("De wolken hangen laag.", NL)) == 0


def test_a_word_said_everywhere_covers_no_part_on_its_own():
    texts = [f"Over AI gesproken, dit is zin {i} over modellen." for i in range(40)]
    texts += ["Een door AI gegenereerde artiest tekende een platencontract.", "Slack is een chatprogramma."]
    parts = title_parts(TITLE, NL, texts=texts)
    artists = parts[-1]
    assert artists.share(stems("Open AI lanceerde Sora 2.", NL)) == 0.0  # "AI" alone: no anchor
    assert artists.share(stems(texts[-2], NL)) == 1.0
    # Each part counts the same in the gain, and what is covered counts once.
    have = covered(parts, [stems(texts[-2], NL)])
    assert coverage_gain(parts, have, stems(texts[-2], NL)) == 0.0
    assert coverage_gain(parts, have, stems(texts[-1], NL)) > 0.0


def _episode() -> tuple[Episode, Transcript]:
    """Forty minutes on the Sora app, then a few lines on Claude and Slack, and one on AI artists at
    the end: the last subjects of the title are said least."""
    sora = [
        "Deze week lanceerde OpenAI Sora 2, een videomodel met een eigen app om door video's te scrollen.",
        "De Sora app lijkt verdacht veel op TikTok, maar elke video in de feed is synthetisch.",
        "Je kunt in de Sora app jezelf als cameo in elke synthetische video laten verschijnen.",
        "Het videomodel begrijpt nu hoe zwaartekracht werkt, dus een basketbal stuitert realistisch terug.",
        "Ik denk dat de synthetische feed van Sora 2 vooral gemaakt is om mensen lang te laten scrollen.",
        "Deepfakes van bekende mensen circuleren al binnen een dag na de lancering van de Sora app.",
        "OpenAI zet een watermerk op elke video, maar dat watermerk is met een tool zo weggehaald.",
        "Volgens OpenAI is Sora 2 voor video wat GPT 3,5 voor tekst was, een echte doorbraak.",
    ]
    rest = [
        "Anthropic bracht deze week Claude Sonnet 4.5 uit, een model dat dertig uur zelfstandig programmeert.",
        "In die dertig uur bouwde Claude Sonnet 4.5 een werkende kloon van Slack met elfduizend regels code.",
        "Een volwaardige chatapp zoals Slack bouwen kost een team van ontwikkelaars normaal maanden werk.",
        "Tot slot tekende Xania Monet, een door AI gegenereerde artiest, een platencontract van drie miljoen.",
    ]
    lines = [sora[i % len(sora)].replace(".", f" in deel {i}.") for i in range(48)] + rest
    segments, at = [], 0.0
    for line in lines:
        segments.append(Segment(start=at, end=at + 50.0, text=line))
        at += 50.0
    episode = Episode(
        id="nl-parts",
        source_id="aiweek",
        source_name="AI Week",
        kind="podcast",
        title=TITLE,
        url="https://example.org/aiweek/parts",
        duration=at,
        language="nl",
    )
    return episode, Transcript(
        episode_id=episode.id, language="nl", provenance="feed", backend="feed:test", segments=segments
    )


def test_the_story_covers_every_subject_the_title_lists():
    episode, transcript = _episode()
    summary = OfflineSummarizer([]).summarize(episode, transcript, "nl")
    newsletter = deterministic_draft(
        "AI Week", "nl", date(2026, 12, 5), [(episode, summary)], transcripts={episode.id: transcript}
    )
    [item] = newsletter.items
    story = " ".join([item.blurb, *(h.text for h in item.highlights)])
    assert re.search(r"Sora|TikTok|scrollen", story)
    assert "Slack" in story and "Claude Sonnet 4.5" in story
    assert "gegenereerde artiest" in story
    # Each highlight covers something new: no two of them on the Sora app's feed.
    assert sum("Sora" in h.text or "TikTok" in h.text for h in item.highlights) <= 2
