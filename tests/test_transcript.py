"""Cleaning, auto-caption repair and the offset -> time map."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Sequence

import pytest

from tubewiki import transcript as tx
from tubewiki.errors import EmptyTranscriptError
from tubewiki.transcript import (
    TimedText,
    capitalize_i,
    capitalize_sentences,
    clean_text,
    clean_texts,
    drop_boundary_repeat,
    name_fixer,
    needs_repair,
    repair,
    timed_text,
)
from tubewiki.types import Snippet, Transcript, TranscriptKind

VIDEO = "abcdefghijk"


def snippets(*parts: tuple[str, float], duration: float = 2.0) -> list[Snippet]:
    """Snippets of `duration` seconds, each followed by the given silence."""
    out: list[Snippet] = []
    start = 0.0
    for text, gap in parts:
        out.append(Snippet(text, round(start, 3), duration))
        start += duration + gap
    return out


def transcript(texts: Sequence[str], kind: TranscriptKind = TranscriptKind.MANUAL) -> Transcript:
    return Transcript(
        VIDEO, tuple(Snippet(t, float(i), 1.0) for i, t in enumerate(texts)), kind=kind
    )


# --- each cleaner --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cleaner", "raw", "clean"),
    [
        (tx.strip_tags, "<i>two</i> years", "two years"),
        (tx.strip_tags, "the<00:00:00.400><c> plan</c>", "the plan"),
        (tx.strip_tags, "<v Dana>hello", "hello"),
        (tx.strip_tags, "if a < b and c > d", "if a < b and c > d"),
        (tx.unescape_html, "&gt;&gt; rock &amp; roll", ">> rock & roll"),
        (tx.unescape_html, "it&#39;s", "it's"),
        (tx.normalize_quotes, "don’t say “never”", 'don\'t say "never"'),
        (tx.normalize_quotes, "‘quoted’", "'quoted'"),
        (tx.drop_noise, "[Music] hello", "  hello"),
        (tx.drop_noise, "we [Applause] won", "we   won"),
        (tx.drop_noise, "[inaudible] tomorrow", "  tomorrow"),
        (tx.drop_noise, "yes (laughs) really", "yes   really"),
        (tx.drop_noise, "it (Laughter) works", "it   works"),
        (tx.drop_noise, "the (new) plan", "the (new) plan"),
        (tx.drop_noise, "♪ la la ♪", "  la la  "),
        (tx.drop_speaker_marks, ">> Where were you?", "  Where were you?"),
        (tx.drop_speaker_marks, "- Hi. - Hello.", "Hi. Hello."),
        (tx.drop_speaker_marks, "Why? -- Because.", "Why? Because."),
        (tx.drop_speaker_marks, "ten - maybe eleven", "ten - maybe eleven"),
        (tx.drop_speaker_marks, "a well-known fact", "a well-known fact"),
        (tx.drop_speaker_marks, "-5 degrees", "-5 degrees"),
        (tx.drop_speaker_marks, "-", ""),
        (tx.drop_speaker_marks, "Yes. -", "Yes. "),
        (tx.drop_fillers, "so, um, the plan", "so, the plan"),
        (tx.drop_fillers, "Um, so we did", "So we did"),
        (tx.drop_fillers, "and uh the", "and the"),
        (tx.drop_fillers, "Hmm. Right.", "Right."),
        (tx.drop_fillers, "I was, um. Then", "I was, . Then"),
        (tx.drop_fillers, "Really? Uh... okay", "Really? Okay"),
        (tx.drop_fillers, "erm, uhh, umm yes", "yes"),
        (tx.drop_fillers, "uh-huh, exactly", "uh-huh, exactly"),
        (tx.drop_fillers, "the ER and UM", "the ER and UM"),
        (tx.drop_fillers, "a human number umbrella", "a human number umbrella"),
        (tx.drop_fillers, "I was like, you know, well", "I was like, you know, well"),
        (tx.normalize_whitespace, "  a \n b\t\tc\u00a0d\u200be ", "a b c d e"),
        (tx.drop_repeats, "the the cat", "the cat"),
        (tx.drop_repeats, "I I think", "I think"),
        (tx.drop_repeats, "The the plan", "The plan"),
        (tx.drop_repeats, "we were we were going", "we were going"),
        (tx.drop_repeats, "it is on it is on the table", "it is on the table"),
        (tx.drop_repeats, "we saw it on the on the table", "we saw it on the table"),
        (tx.drop_repeats, "no no no no", "no"),
        (tx.drop_repeats, "this, this and this", "this, this and this"),
        (tx.drop_repeats, "I know that that works", "I know that that works"),
        (tx.drop_repeats, "it had had an effect", "it had had an effect"),
        (tx.drop_repeats, "in twenty twenty we", "in twenty twenty we"),
        (tx.drop_repeats, "in 2020 2020", "in 2020 2020"),
        (tx.drop_repeats, "Bora Bora is far", "Bora Bora is far"),
        (tx.drop_repeats, "don't don't", "don't"),
        (tx.drop_repeats, "the theory", "the theory"),
        (tx.tidy_punctuation, "so, , the", "so, the"),
        (tx.tidy_punctuation, "I was, . Then", "I was. Then"),
        (tx.tidy_punctuation, ", and then", "and then"),
        (tx.tidy_punctuation, "done .", "done."),
        (tx.tidy_punctuation, "costs 3.5 dollars", "costs 3.5 dollars"),
    ],
)
def test_cleaner(cleaner: tx.Cleaner, raw: str, clean: str) -> None:
    assert cleaner(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("[Music] So, um, the the plan is, uh, ready.", "So, the plan is, ready."),
        ("&gt;&gt; Um, I I think it’s fine.", "I think it's fine."),
        ("- We were we were late. - Why?", "We were late. Why?"),
        ("<i>Hmm</i>, well, like, it works (laughs)", "Well, like, it works"),
        ("Right. Um. Okay, so", "Right. Okay, so"),
        ("It was, uh. Fine.", "It was. Fine."),
        ("[Applause]", ""),
        ("♪♪", ""),
        ("um uh", ""),
        ("  ", ""),
        ("The ER said, um... no.", "The ER said... no."),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


TRICKY = [
    "um", "Um,", "uh", "the", "The", "the the", "we were", "[Music]", "[Applause]", "♪", ">>",
    "-", "- Hi.", ",", ".", "so,", "so", "I", "I I", "&gt;&gt;", "<i>x</i>", "don’t", "(laughs)",
    "that that", "well", "like", "twenty", "\n", "  ", "Hmm.", "ok", "really?", "[", "]", "yes",
]  # fmt: skip


def test_clean_texts_matches_clean_text_on_each() -> None:
    rng = random.Random(7)
    for _ in range(400):
        texts = [
            " ".join(rng.choices(TRICKY, k=rng.randint(0, 6))) for _ in range(rng.randint(1, 6))
        ]
        assert clean_texts(texts) == [clean_text(t) for t in texts], texts


def test_clean_texts_survives_the_separator_in_input() -> None:
    assert clean_texts(["a\ue000b", "c"]) == ["a b", "c"]
    assert clean_texts([]) == []


def word_counts(text: str) -> Counter[str]:
    return Counter(re.findall(r"[a-z0-9']+", text.lower()))


def test_cleaning_never_adds_words() -> None:
    rng = random.Random(11)
    for _ in range(300):
        raw = " ".join(rng.choices(TRICKY, k=rng.randint(1, 12)))
        assert not word_counts(clean_text(raw)) - word_counts(
            tx.unescape_html(raw).replace("’", "'")
        )


# --- repair ---------------------------------------------------------------------------


def test_needs_repair() -> None:
    auto = snippets(("so i think the new plant opened in march", 0.1), ("and it employs people", 0))
    manual = snippets(("So I think the new plant opened in March.", 0.1), ("It employs people.", 0))
    assert needs_repair(auto)
    assert not needs_repair(manual)
    assert not needs_repair([])
    shouting = snippets(("THE NEW PLANT OPENED IN MARCH AND IT EMPLOYS PEOPLE", 0))
    assert needs_repair(shouting)  # no sentence punctuation at all


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("i think i'm right", "I think I'm right"),
        ("i've and i'd and i'll", "I've and I'd and I'll"),
        ("it's mine said i", "it's mine said I"),
        ("pi and ai and i.e. this", "pi and ai and i.e. this"),
    ],
)
def test_capitalize_i(raw: str, fixed: str) -> None:
    assert capitalize_i(raw) == fixed


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("elon musk said musk's plan", "Elon Musk said Musk's plan"),
        ("we met ELON   musk", "we met Elon Musk"),
        ("openai and open ai", "OpenAI and open ai"),
        ("muskrat and elonmusk", "muskrat and elonmusk"),
        ("no names here", "no names here"),
    ],
)
def test_capitalize_names(raw: str, fixed: str) -> None:
    assert name_fixer(["Musk", "Elon Musk", "OpenAI", "  "])(raw) == fixed


def test_name_fixer_with_many_names_only_uses_those_present() -> None:
    names = [f"Person{i} Surname{i}" for i in range(100)] + ["Acme Energy"]
    text = "acme energy hired person7 surname7 and person8"
    assert name_fixer(names, within=text)(text) == (
        "Acme Energy hired Person7 Surname7 and person8"
    )


def end_sentences(parts: Sequence[Snippet]) -> list[str]:
    texts = [s.text for s in parts]
    ends = [s.start + s.duration for s in parts]
    return tx.end_sentences(texts, [s.start for s in parts], ends)


def test_end_sentences_openers_pauses_and_dangling_words() -> None:
    texts = end_sentences(
        snippets(
            ("the plant opened in march", 0.1),  # next starts with an opener
            ("but it was late", 1.5),  # long pause
            ("we went to the", 1.5),  # pause, but "the" cannot end a sentence
            ("harbour", 0.1),
            ("and then home", 0.1),  # last snippet always ends
        )
    )
    assert texts == [
        "the plant opened in march.",
        "but it was late.",
        "we went to the",
        "harbour",
        "and then home.",
    ]


def test_end_sentences_breaks_long_runs() -> None:
    ten = "one two three four five six seven eight nine ten"
    texts = end_sentences(snippets(*[(ten, 0.0)] * 7))
    # a break once a run reaches MAX_RUN_WORDS (24): after 30 words, twice
    assert [t.endswith(".") for t in texts] == [False, False, True, False, False, True, True]
    dangling = "one two three four five six seven eight nine the"
    texts = end_sentences(snippets(*[(dangling, 0.0)] * 7))
    # never after "the", until the run reaches HARD_RUN_WORDS (40)
    assert [t.endswith(".") for t in texts] == [False, False, False, True, False, False, True]


def test_end_sentences_respects_existing_punctuation() -> None:
    texts = end_sentences(snippets(("it works. so", 0.1), ("yes it does!", 2.0), ("fine", 0)))
    assert texts == ["it works. so", "yes it does!", "fine."]


def test_capitalize_sentences() -> None:
    assert capitalize_sentences('so. "yes" she said? no! it is') == 'So. "Yes" she said? No! It is'


def test_repair_on_auto_captions() -> None:
    raw = snippets(
        ("so i think the new battery plant", 0.1),
        ("opened in march and", 0.1),
        ("it employs about two thousand people", 1.5),
        ("we talked to maria lopez about it", 0.1),
        ("she said acme energy plans a second site", 0.1),
        ("but the permits are not ready", 0.1),
    )
    fixed = repair(raw, names={"Maria Lopez", "Acme Energy", "Acme"})
    assert [s.start for s in fixed] == [s.start for s in raw]
    assert " ".join(s.text for s in fixed) == (
        "So I think the new battery plant opened in march and it employs about two thousand "
        "people. We talked to Maria Lopez about it she said Acme Energy plans a second site. "
        "But the permits are not ready."
    )


# --- timed text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "following", "kept"),
    [
        ("we built the", "the plant", "plant"),
        ("we built the", "The plant", "plant"),
        ("it is on the", "on the table", "table"),
        ("and we were", "and we were late", "late"),
        ("we built the", "the", ""),
        ("we built the.", "the plant", "the plant"),
        ("this,", "this and this", "this and this"),
        ("I know that", "that works", "that works"),
        ("it was twenty", "twenty years", "twenty years"),
        ("a plan", "another plan", "another plan"),
        ("", "x", "x"),
    ],
)
def test_drop_boundary_repeat(previous: str, following: str, kept: str) -> None:
    assert drop_boundary_repeat(previous, following) == kept


def test_timed_text_cleans_joins_and_maps() -> None:
    timed = timed_text(
        transcript(["[Music]", "Um, the plan is", "is ready.", "♪♪", "We start, uh, today."])
    )
    assert timed.text == "The plan is ready. We start, today."
    assert timed.offsets == (0, 12, 19)
    assert timed.times == (1.0, 2.0, 4.0)
    assert timed.words == 7
    assert timed.time_at(timed.text.index("ready")) == 2.0
    assert timed.time_at(timed.text.index("today")) == 4.0


def test_time_at_edges() -> None:
    timed = TimedText("ab cd ef", (0, 3, 6), (1.0, 2.0, 3.0))
    assert [timed.time_at(i) for i in range(-2, 12)] == [1.0] * 5 + [2.0] * 3 + [3.0] * 6
    assert timed.index_at(5) == 1


def check_invariants(source: Transcript, timed: TimedText) -> None:
    starts = [s.start for s in source.snippets]
    assert list(timed.offsets) == sorted(set(timed.offsets))
    assert timed.offsets[0] == 0
    assert set(timed.times) <= set(starts)
    assert [starts.index(t) for t in timed.times] == sorted(starts.index(t) for t in timed.times)
    assert "  " not in timed.text
    assert timed.text == timed.text.strip()
    bounds = [*timed.offsets, len(timed.text) + 1]
    for k in range(len(timed.offsets)):
        piece = timed.text[bounds[k] : bounds[k + 1] - 1]
        assert piece and piece == piece.strip()
        for char in range(bounds[k], bounds[k + 1] - 1):
            assert timed.time_at(char) == timed.times[k]
    assert not word_counts(timed.text) - word_counts(
        " ".join(tx.unescape_html(s.text).replace("’", "'") for s in source.snippets)
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("repair_mode", [None, True, False])
def test_time_at_returns_the_snippet_start_for_every_character(
    seed: int, repair_mode: bool | None
) -> None:
    rng = random.Random(seed)
    vocabulary = [*TRICKY, "plant", "opened", "march", "acme", "energy", "but", "so", "okay"]
    start = rng.uniform(0, 5)
    parts: list[Snippet] = []
    for _ in range(rng.randint(1, 40)):
        text = " ".join(rng.choices(vocabulary, k=rng.randint(0, 9)))
        duration = rng.uniform(0.2, 4.0)
        parts.append(Snippet(text, round(start, 3), round(duration, 3)))
        start += duration + rng.choice([0.0, 0.05, 1.2])
    parts.append(Snippet("the plant opened", round(start + 1, 3), 1.0))  # never empty
    source = Transcript(VIDEO, tuple(parts))
    timed = timed_text(source, names=["Acme Energy"], repair=repair_mode)
    check_invariants(source, timed)


def test_repair_is_automatic_for_auto_captions() -> None:
    auto = transcript(["so i think the plant opened", "but acme energy was late"])
    assert timed_text(auto, names=["Acme Energy"]).text == (
        "So I think the plant opened. But Acme Energy was late."
    )
    assert (
        timed_text(auto, repair=False).text
        == "so i think the plant opened but acme energy was late"
    )
    manual = transcript(["So I think the plant opened.", "But it was late."])
    assert timed_text(manual).text == "So I think the plant opened. But it was late."


@pytest.mark.parametrize("texts", [["[Music]", "♪♪", "[Applause]"], ["um", "uh"], ["", "  "]])
def test_no_speech_raises(texts: list[str]) -> None:
    with pytest.raises(EmptyTranscriptError) as caught:
        timed_text(transcript(texts))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"transcript for {VIDEO} has no speech after removing caption noise")


def test_timed_text_is_fast_on_an_hour_of_auto_captions() -> None:
    rng = random.Random(3)
    sentence = "so we built the plant and i think acme energy will hire more people next year"
    words = sentence.split(" ")
    parts = [
        Snippet(" ".join(rng.choices(words, k=7)), i * 2.0, rng.choice([1.9, 2.0, 1.0]))
        for i in range(2200)
    ]
    source = Transcript(VIDEO, tuple(parts), kind=TranscriptKind.GENERATED)
    names = [f"Person{i} Surname{i}" for i in range(300)] + ["Acme Energy"]
    began = time.perf_counter()
    timed = timed_text(source, names=names)
    elapsed = time.perf_counter() - began
    assert timed.words > 14_000
    assert elapsed < 0.5  # about 0.04 s on a 2-core machine; generous against a busy CI box
