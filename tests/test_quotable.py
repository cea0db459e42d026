"""Which spoken sentences stand alone as a quote, and which rank first: a pronoun and its verb lean on
the sentence before ("Het is een iOS-app ..."), a false start is dropped ("I am, I was born ..."),
a summing-up cue counts where it leads the sentence, dense lines beat thoughts said aloud, and a
chapter where nothing carries a subject gives no takeaway."""

from __future__ import annotations

from newsroom.models import Chapter
from newsroom.summaries.extractive import Picker, _per_chapter, _spread, rank
from newsroom.summaries.keyphrases import KeyPhrase
from newsroom.summaries.lexicon import lexicon
from newsroom.summaries.sentences import Sentence, density, quotable, sums_up
from newsroom.summaries.spoken import standalone

NL, EN = lexicon("nl"), lexicon("en")


def test_a_pronoun_and_its_verb_lean_on_the_sentence_before_but_an_article_does_not():
    assert standalone("Het is een iOS app die verdacht veel lijkt op TikTok.", "nl") is None
    assert standalone("En het gaat aan de waan van de dag gekoppeld worden.", "nl") is None
    assert standalone("Het kabinet trekt extra geld uit voor het onderwijs.", "nl") == (
        "Het kabinet trekt extra geld uit voor het onderwijs."
    )
    # Connectives that point back at what was said: "Daarnaast ...", "Moreover, ...".
    assert standalone("Daarnaast een app aangekondigd in de App Store.", "nl") is None
    assert standalone("Moreover, the camera points down at Earth.", "en") is None
    # "Tenslotte, ..." and "Finally, ..." only order the list: dropped like "So, ...".
    assert standalone("Tenslotte, deze week tekende een AI-artiest een contract.", "nl") == (
        "Deze week tekende een AI-artiest een contract."
    )


def test_a_false_start_is_dropped_and_the_rest_stays_verbatim():
    assert standalone("I am, I was born and raised in north Alabama.", "en") == (
        "I was born and raised in north Alabama."
    )
    assert standalone("Ik nu dat weet je, ik denk dat het platform anders is.", "nl") == (
        "Ik denk dat het platform anders is."
    )
    # A comma after a first word that does not come back is no false start.
    assert (
        standalone("Apple, like Google, ships its own model.", "en")
        == "Apple, like Google, ships its own model."
    )


def test_a_summing_up_cue_counts_only_where_it_leads_the_sentence():
    assert sums_up("Samengevat zien we een videomodel met een eigen feed.")
    assert sums_up("In short, the camera is run by students.")
    assert sums_up("Dus kortom, het model werkt dertig uur door.")
    assert not sums_up("Op een of andere manier deel ik die conclusie wel met hem.")


def test_dense_lines_rank_above_thoughts_said_aloud():
    scripted = "Deze week tekende Xania Monet, een door AI gegenereerde artiest, een platencontract."
    spoken = "Ik denk dat die artiest, weet je, dat het wel een beetje zo is dat het er ook om gaat."
    assert density(scripted, NL) > 0.5 > density(spoken, NL)
    phrase = [KeyPhrase("artiest", "artiest", 1.0, 2)]
    sentences = quotable([Sentence(spoken, 0.0, 0), Sentence(scripted, 5.0, 1)], "nl")
    ranked = rank(sentences, phrase, [], NL)
    assert ranked[0][1].text == scripted


def test_a_chapter_where_nothing_carries_a_subject_gives_no_takeaway():
    phrase = KeyPhrase("Slack", "slack", 1.0, 2)
    said = [
        Sentence("Claude bouwde in dertig uur een kloon van Slack met duizenden regels code.", 10.0, 0),
        Sentence("Dat moet je even laten bezinken voordat we verder gaan met de rest.", 100.0, 1),
    ]
    chapters = [Chapter(start=0.0, title="Slack"), Chapter(start=90.0, title="pauze")]
    ranked = rank(said, [phrase], [], NL)
    assert [s.index for s in _per_chapter(ranked, Picker(NL), [phrase], [], chapters, 2)] == [0]


def test_plugs_for_the_show_are_never_quoted():
    nl = "Je kunt in onze nieuwsbrief grondige uitleg lezen over hoe Imagine with Claude werkt."
    en = "This episode is brought to you by a company that sells microphones to podcasters."
    assert NL.courtesy(nl) and EN.courtesy(en)
    assert not NL.courtesy("De nieuwe versie van Claude programmeert dertig uur zelfstandig.")


def test_a_sentence_of_almost_only_function_words_is_not_quoted():
    said = [
        Sentence("Kay, tell me a little bit about yourself and how it all started.", 0.0, 0),
        Sentence(
            "Ik wou even zeggen dat ik het een beetje heb onderschat, want ik was het aan het bekijken.",
            4.0,
            1,
        ),
        Sentence("Kay Taylor runs the Sally Ride EarthKAM program for middle school students.", 9.0, 2),
    ]
    assert [s.index for s in quotable(said[:1] + said[2:], "en")] == [2]
    assert quotable(said[1:2], "nl") == []


def test_the_show_naming_itself_and_a_sponsors_read_are_never_quoted():
    said = [
        Sentence("I'm Jerod and this is Changelog News for the week of Monday, December 8th.", 0.0, 0),
        Sentence("The company behind Bun, the runtime for Claude Code, is joining Anthropic.", 20.0, 1),
        Sentence("It's now time for sponsored news!", 60.0, 2),
        Sentence("Depot is running a community leaderboard for Advent of Code this year.", 65.0, 3),
        Sentence("The top five finishers each direct a thousand dollars to a charity.", 80.0, 4),
        Sentence("The Chromium team has reversed its decision and will support JPEG XL in Blink.", 200.0, 5),
    ]
    assert [s.index for s in quotable(said, "en", show="Changelog News")] == [1, 5]
    assert NL.announces_ad("Maar eerst een speciale oproep van onze sponsor.")


def test_a_sentence_trailing_off_is_not_quoted_but_one_ending_in_its_quotation_is():
    said = [
        Sentence(
            'Another way of dealing with these "confident idiots" in our stacks... remove them...', 0.0, 0
        ),
        Sentence(
            'The advice is to "stop treating agents like magic boxes and treat them like software."', 5.0, 1
        ),
    ]
    assert [s.index for s in quotable(said, "en")] == [1]


def test_takeaways_beyond_new_subjects_are_not_all_on_the_top_subject():
    """Maximal marginal relevance: once a subject is said, a line that only says it again must
    outrank a line on something else by more than REDUNDANCY to be taken."""
    bun = KeyPhrase("Bun", "bun", 1.0, 6)
    ranked = [
        (1.0, Sentence("The company behind Bun is joining Anthropic with its whole team.", 0.0, 0)),
        (0.4, Sentence("Jarred Sumner and the Bun engineers bring years of runtime expertise.", 5.0, 1)),
        (0.1, Sentence("Bazzite is a Linux distribution that makes gaming on Linux much easier.", 9.0, 2)),
    ]
    picked = _spread(ranked, Picker(EN), [bun], [], 2)
    assert [s.index for s in picked] == [0, 2]
