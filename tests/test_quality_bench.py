"""The quality bench's yardsticks (bench/quality.py) on small inputs, and the corpus it ships."""

from __future__ import annotations

from bench import _quality_metrics as q
from bench.quality import CORPUS, load_corpus


def test_topic_coverage_counts_alternatives_and_inflections() -> None:
    story = "Use templates for your show notes. Guests promote the episode."
    topics = ["template", "show notes", "guest", "batch|batch production", "podcast website|website"]
    assert q.topic_coverage(topics, story) == 3 / 5
    assert q.topic_coverage([], story) == 1.0
    # A topic's words must stand together, not scattered over the story.
    assert q.topic_coverage(["show notes"], "Notes on the show.") == 0.0


def test_title_coverage_ignores_function_words() -> None:
    title = "Claude Sonnet 4.5 bouwt Slack na"
    assert q.title_words(title, "nl") == ["claude", "sonnet", "bouwt", "slack"]
    assert q.title_coverage(title, "Sonnet bouwde een kloon van Slack.", "nl") == 2 / 4


def test_unsupported_allows_dropped_fillers_and_repeats_but_nothing_else() -> None:
    transcript = "[Muziek] Dus eh we we hebben het over Sora. Het is een eh model van OpenAI."
    written = [
        "We hebben het over Sora.",  # "we we" and "eh" dropped, otherwise verbatim
        "Het is een model van OpenAI.",
        "Onderwerpen: sora, model van openai.",  # a list of phrases, each said
        "Het is een model van Google.",  # not said
        "Onderwerpen: sora, gpt-5.",  # one phrase not said
    ]
    assert q.unsupported(written, [transcript], "nl", set()) == written[3:]
    # newsroom's own wording (locale phrases) is not the transcript's to hold
    own = {"het is een model van google"}
    assert q.unsupported(written, [transcript], "nl", own) == written[4:]
    # the publisher's description is the host's own words: a blurb may take a sentence from it
    description = "Het is een model van Google."
    assert q.unsupported(written, [transcript, description], "nl", set()) == written[4:]


def test_repeated_finds_copies_and_sentences_inside_others() -> None:
    blurb = "The hosts rebuild Slack with Claude in one afternoon. It works."
    highlights = [
        "The hosts rebuild Slack with Claude in one afternoon.",
        "An AI artist signs a record deal, and the hosts rebuild Slack with Claude in one afternoon.",
        "Short one.",
        "Something else entirely is said here.",
    ]
    again = q.repeated([[blurb], highlights])
    assert again == highlights[:2]
    assert q.repeated([["One sentence said once."], ["Another sentence said once."]]) == []


def test_filler_labels_in_both_languages() -> None:
    labels = [
        "you're, listen, need, they're, show, sure",
        "Opening Tagline We're",
        "Claude Sonnet",
        "show notes",
    ]
    assert q.filler_labels(labels, "en") == labels[:1]
    dutch = ["Nerds Gewoon Hele", "Eigenlijk Allemaal Model", "Gaswinning Groningen", "U.S"]
    assert q.filler_labels(dutch, "nl") == dutch[:2]


def test_language_mismatches_from_the_locale_files() -> None:
    vocab = q.wording_vocabulary()
    labels = ["Themes", "Personen", "Hoofdonderwerp", "Claude Sonnet", "Transcript"]
    assert q.language_mismatches(labels, "nl", vocab) == ["Themes"]
    assert q.language_mismatches(labels, "en", vocab) == ["Personen", "Hoofdonderwerp"]


def test_program_labels_reads_headings_and_lead_ins() -> None:
    note = "# Title\n\n## Thema's\nThemes: a, b. Meer tekst.\n\n## 1. [Story](https://x)\n- Personen: Ann\n"
    assert q.program_labels(note) == ["Thema's", "Themes", "Personen"]


def test_the_corpus_is_real_licensed_and_small() -> None:
    corpus = load_corpus()
    languages = [c.transcript.language for c in corpus]
    assert languages.count("en") >= 2 and languages.count("nl") >= 2
    size = sum(p.stat().st_size for p in CORPUS.iterdir())
    assert size < 2_000_000
    readme = (CORPUS / "README.md").read_text()
    for c in corpus:
        assert c.episode.id in readme and c.topics and c.episode.title
        assert c.transcript.duration > 240  # whole talks, not snippets
        assert all(s.start <= s.end for s in c.transcript.segments)
    nasa = next(c for c in corpus if c.episode.id.startswith("en-hwhap"))
    assert {"Kay Taylor", "Gary Jordan (Host)"} <= {s.speaker for s in nasa.transcript.segments}


def test_sentences_are_not_cut_after_titles_and_initials() -> None:
    text = "At the U.S. Space and Rocket Center, Dr. Kay Taylor runs it. Next one.\nA line."
    assert q.sentences(text) == [
        "At the U.S. Space and Rocket Center, Dr. Kay Taylor runs it.",
        "Next one.",
        "A line.",
    ]


def test_speakers_are_never_things() -> None:
    speakers = q.speakers_of(
        [
            ("Kay Taylor", "Thanks a lot."),
            (None, "Travis: When you first get started."),
            (None, "Plain text."),
        ]
    )
    assert speakers == {"Kay Taylor", "Travis"}
    entities = {"people": ["Kay Taylor"], "companies": ["NASA"], "products": ["Kay", "Travis", "EarthKAM"]}
    assert q.speakers_as_things(entities, speakers | {"Gary Jordan (Host)"}) == ["Kay", "Travis"]


def test_a_sentence_ending_inside_its_quotation_mark_is_cut_there() -> None:
    text = 'The advice is to "treat them like software." Jonah Glover tried it anyway.'
    assert q.sentences(text) == [
        'The advice is to "treat them like software."',
        "Jonah Glover tried it anyway.",
    ]
