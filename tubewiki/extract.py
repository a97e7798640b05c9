"""One spaCy pass over a transcript, reduced at once to plain data.

`parse` feeds the cleaned transcript to `nlp.pipe` in chunks that end on
sentence boundaries, and turns each sentence, entity and noun chunk into small
frozen records with character offsets into `TimedText.text`. Nothing spaCy
leaves this module, so what follows (`entities`, `claims`) is pure Python that
can run anywhere and be tested on hand-made records. `extract` composes the
whole stage: parse, resolve entities, select claims.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tubewiki.nlp import RULER, load_nlp, patterns_in, set_ruler_patterns
from tubewiki.transcript import TimedText
from tubewiki.types import Chapter, Extraction

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

# NER labels that name something a wiki note can be about.
NAMED_LABELS = frozenset(
    {"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "GPE", "LOC", "FAC", "LAW"}
)
NUMERIC_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME"})
# Words a speaker opens with that carry no content; a claim starts after them.
LEADING_FILLER = frozenset(
    {
        "and",
        "so",
        "but",
        "yeah",
        "yes",
        "no",
        "okay",
        "ok",
        "oh",
        "well",
        "right",
        "now",
        "like",
        "actually",
        "basically",
        "honestly",
        "look",
        "see",
        "also",
        "then",
        "because",
    }
)
LEADING_PAIRS = frozenset({("i", "mean"), ("you", "know"), ("you", "see"), ("of", "course")})
AMBIGUOUS_OPENERS = frozenset({"no", "like", "look", "see"})
HEDGES = frozenset({"maybe", "probably", "perhaps", "guess", "kinda", "sorta", "might"})
PERSONAL = frozenset({"i", "you", "me"})
VAGUE = frozenset({"it", "this", "that", "they", "he", "she", "there", "these", "those"})
# Adjectives that make a noun chunk an opinion, not the name of a concept.
VAGUE_ADJECTIVES = frozenset(
    [
        "crazy",
        "great",
        "good",
        "big",
        "small",
        "little",
        "huge",
        "whole",
        "real",
        "different",
        "same",
        "other",
        "new",
        "old",
        "best",
        "better",
        "bad",
        "worse",
        "worst",
        "important",
        "interesting",
        "amazing",
        "incredible",
        "hard",
        "easy",
        "right",
        "wrong",
        "first",
        "last",
        "next",
        "main",
        "key",
        "certain",
        "specific",
        "particular",
        "entire",
        "single",
        "large",
        "high",
        "low",
        "long",
        "short",
        "early",
        "late",
        "full",
        "true",
        "simple",
        "nice",
        "cool",
        "awesome",
        "super",
        "major",
        "own",
        "favorite",
        "perfect",
        "serious",
        "weird",
        "hot",
        "able",
        "likely",
        "possible",
        "huge",
        "massive",
        "tiny",
        "fantastic",
        "wonderful",
        "terrible",
        "horrible",
        "obvious",
        "clear",
        "strong",
        "weak",
        "general",
        "basic",
        "actual",
        "various",
        "several",
        "many",
        "few",
        "much",
    ]
)
CHUNK_CHARS = 2000
_PIPELINE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """An entity note already in the vault: the extractor learns its names."""

    slug: str
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    formerly: tuple[str, ...] = ()  # slugs merged or renamed into this note


@dataclass(frozen=True, slots=True)
class RawMention:
    start: int
    end: int
    text: str
    label: str
    slug: str = ""  # set when the vault's entity ruler recognised it
    lemma: str = ""  # set for concept (noun chunk) mentions


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with the features claim selection needs."""

    start: int
    end: int
    text: str
    claim_shaped: bool
    base_score: float
    subject_start: int
    subject_end: int


@dataclass(frozen=True, slots=True)
class Parsed:
    sentences: tuple[Sentence, ...]
    mentions: tuple[RawMention, ...]


def pipe_chunks(timed: TimedText, max_chars: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Split the text at snippet starts that follow a sentence end.

    Chunks let `nlp.pipe` batch, and cutting only after `.!?` keeps sentences
    whole. A run with no sentence end for four chunk lengths is cut anyway.
    """
    text = timed.text
    chunks: list[tuple[int, str]] = []
    begin = 0
    for offset in timed.offsets[1:]:
        size = offset - begin
        ends_sentence = text[:offset].rstrip()[-1:] in ".!?"
        if size >= max_chars and (ends_sentence or size >= 4 * max_chars):
            chunks.append((begin, text[begin:offset].rstrip()))
            begin = offset
    if begin < len(text):
        chunks.append((begin, text[begin:]))
    return [(start, chunk) for start, chunk in chunks if chunk.strip()]


def ruler_patterns(known: Iterable[KnownEntity]) -> list[dict[str, str]]:
    """Phrase patterns for the entity ruler, the slug as the pattern id."""
    patterns = []
    for entity in known:
        for form in dict.fromkeys((entity.name, *entity.aliases)):
            if form.strip():
                patterns.append({"label": entity.label, "pattern": form, "id": entity.slug})
    return patterns


def configure_ruler(nlp: Language, known: Sequence[KnownEntity], text: str | None = None) -> bool:
    """Load the vault's names into the ruler (those that can occur in `text`); False if none."""
    patterns = ruler_patterns(known)
    return set_ruler_patterns(nlp, patterns if text is None else patterns_in(patterns, text))


def parse(
    timed: TimedText,
    *,
    known: Sequence[KnownEntity] = (),
    nlp: Language | None = None,
    batch_size: int = 16,
) -> Parsed:
    nlp = nlp or load_nlp()
    chunks = pipe_chunks(timed)
    sentences: list[Sentence] = []
    mentions: list[RawMention] = []
    # The ruler belongs to the process-wide pipeline: a Dask worker running
    # several threads must not load one video's names while another parses.
    with _PIPELINE_LOCK:
        has_patterns = configure_ruler(nlp, known, timed.text)
        with nlp.select_pipes(disable=[] if has_patterns else [RULER]):
            docs = nlp.pipe((chunk for _, chunk in chunks), batch_size=batch_size)
            for (offset, _), doc in zip(chunks, docs, strict=True):
                sentences.extend(_sentences(doc, offset))
                mentions.extend(_mentions(doc, offset))
    return Parsed(tuple(sentences), tuple(mentions))


def title_names(title: str, *, nlp: Language | None = None) -> list[str]:
    """Names the video's title gives, to mend their case in lowercase auto-captions."""
    from tubewiki.entities import surface_form

    nlp = nlp or load_nlp()
    with _PIPELINE_LOCK, nlp.select_pipes(disable=[RULER]):
        doc = nlp(title)
    return sorted({surface_form(e.text) for e in doc.ents if e.label_ in NAMED_LABELS} - {""})


def extract(
    timed: TimedText,
    video_id: str,
    *,
    known: Sequence[KnownEntity] = (),
    chapters: Sequence[Chapter] = (),
    nlp: Language | None = None,
) -> Extraction:
    """The whole extraction stage for one video."""
    from tubewiki.claims import select
    from tubewiki.entities import propagate, resolve

    parsed = parse(timed, known=known, nlp=nlp)
    resolved = propagate(resolve(parsed.mentions, known=known), timed.text)
    return select(parsed.sentences, resolved, timed, video_id=video_id, chapters=chapters)


def _sentences(doc: Doc, offset: int) -> Iterator[Sentence]:
    whole = doc.text  # built from every token on each access: once per doc, not per sentence
    for sent in doc.sents:
        start = _content_start(sent)
        if start is None:
            continue
        text = whole[start : sent.end_char].strip()
        shaped, score, subject = _claim_features(sent, start)
        yield Sentence(
            start=offset + start,
            end=offset + start + len(text),
            text=text,
            claim_shaped=shaped,
            base_score=score,
            subject_start=offset + subject[0],
            subject_end=offset + subject[1],
        )


def _content_start(sent: Span) -> int | None:
    """Character where the sentence's content begins, after openers like "So, yeah,"."""
    tokens = list(sent)
    i = 0
    while i < len(tokens):
        low = tokens[i].lower_
        pair = (low, tokens[i + 1].lower_) if i + 1 < len(tokens) else None
        if pair in LEADING_PAIRS:
            i += 2
        elif tokens[i].is_punct or (low in LEADING_FILLER and _is_opener(tokens[i])):
            i += 1
        else:
            break
    if i >= len(tokens) - 1:
        return None
    return tokens[i].idx


def _is_opener(token: Token) -> bool:
    """ "No, ..." and "Like, ..." open a sentence; "No company ..." and "Like X, ..." mean it."""
    if token.lower_ in AMBIGUOUS_OPENERS:
        return (
            token.pos_ == "INTJ" or token.nbor(1).is_punct
            if token.i + 1 < len(token.doc)
            else False
        )
    return True


def _claim_features(sent: Span, start: int) -> tuple[bool, float, tuple[int, int]]:
    """Is this a declarative, complete sentence, and how checkable does it look?"""
    words = [t for t in sent if not t.is_punct and t.idx >= start]
    root = sent.root
    subjects = [c for c in root.children if c.dep_ in {"nsubj", "nsubjpass", "csubj", "expl"}]
    last, text = sent[-1].text, sent.text
    first = words[0] if words else root
    shaped = (
        6 <= len(words) <= 45
        and last in {".", "!"}
        and "?" not in text
        and root.pos_ in {"VERB", "AUX"}
        and bool(subjects)
        and first.pos_ not in {"SCONJ", "CCONJ", "ADP"}
        and first.lower_ not in {"which", "who", "what", "whether"}
        and text.count('"') % 2 == 0
    )
    subject_span = (start, start)
    score = 0.0
    if subjects:
        subject = subjects[0]
        sub_tokens = list(subject.subtree)
        subject_span = (sub_tokens[0].idx, sub_tokens[-1].idx + len(sub_tokens[-1]))
        low = subject.lower_
        score -= 0.5 if low in PERSONAL else 0.2 if low == "we" else 0.3 if low in VAGUE else 0
    if any(_is_figure(e) for e in sent.ents):
        score += 1.0
    if any(t.pos_ == "PROPN" for t in words):
        score += 0.3
    lows = [t.lower_ for t in words]
    if any(w in HEDGES for w in lows) or "i think" in " ".join(lows[:4]):
        score -= 0.5
    if 10 <= len(words) <= 32:
        score += 0.3
    return shaped, score, subject_span


def _is_figure(ent: Span) -> bool:
    """A number worth checking: "$350 billion", "1999", "92,000", not "one of"."""
    if ent.label_ not in NUMERIC_LABELS:
        return False
    return ent.label_ in {"MONEY", "PERCENT"} or any(c.isdigit() for c in ent.text)


def _mentions(doc: Doc, offset: int) -> Iterator[RawMention]:
    named: list[tuple[int, int]] = []
    for ent in doc.ents:
        if ent.label_ in NAMED_LABELS or ent.ent_id_:
            named.append((ent.start, ent.end))
            yield RawMention(
                start=offset + ent.start_char,
                end=offset + ent.end_char,
                text=ent.text,
                label=ent.label_,
                slug=ent.ent_id_,
            )
    for chunk in doc.noun_chunks:
        span = _concept_span(chunk)
        if span is None or any(s < span.end and span.start < e for s, e in named):
            continue
        yield RawMention(
            start=offset + span.start_char,
            end=offset + span.end_char,
            text=span.text,
            label="CONCEPT",
            lemma=" ".join([*(t.lower_ for t in span[:-1]), span[-1].lemma_.lower()]),
        )


def _concept_span(chunk: Span) -> Span | None:
    """The content words of a noun chunk ("the hidden layers" -> "hidden layers")."""
    i = 0
    while i < len(chunk) and (chunk[i].is_stop or chunk[i].pos_ in {"DET", "PRON", "NUM", "PUNCT"}):
        i += 1
    span = chunk[i:]
    if not 2 <= len(span) <= 4 or span[-1].pos_ != "NOUN":
        return None
    if not all(
        t.is_alpha
        and not t.is_stop
        and t.pos_ in {"NOUN", "ADJ", "PROPN"}
        and t.lower_ not in VAGUE_ADJECTIVES
        for t in span
    ):
        return None
    return span
