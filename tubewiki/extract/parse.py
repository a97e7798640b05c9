"""One spaCy pass over a transcript, reduced at once to plain data.

This is the only module of extraction that touches spaCy objects. `parse`
feeds the cleaned transcript to `nlp.pipe` in chunks that end on sentence
boundaries and turns each sentence, named entity and key term into the frozen
records of `tubewiki.types`, with character offsets into `TimedText.text`.
Everything downstream is pure Python that can run in any process and be tested
on hand-made records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from tubewiki.extract.entities import surface_form
from tubewiki.extract.yake import Word, key_terms
from tubewiki.nlp import load_nlp
from tubewiki.transcript import TimedText
from tubewiki.types import KeyTerm, Parsed, RawMention, Sentence, TermHit

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

# NER labels that name something a wiki note can be about.
NAMED_LABELS = frozenset(
    {"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "GPE", "LOC", "FAC", "LAW", "NORP"}
)
NUMERIC_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME"})
# Words a speaker opens with that carry no content; a claim starts after them.
LEADING_FILLER = frozenset(
    [
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
        "anyway",
        "um",
        "uh",
    ]
)
LEADING_PAIRS = frozenset({("i", "mean"), ("you", "know"), ("you", "see"), ("of", "course")})
AMBIGUOUS_OPENERS = frozenset({"no", "like", "look", "see", "right", "well"})
HEDGES = frozenset({"maybe", "probably", "perhaps", "guess", "kinda", "sorta", "might"})
GREETINGS = frozenset({"hi", "hello", "hey", "bye", "goodbye", "cheers", "welcome", "thanks"})
WH_TAGS = frozenset({"WP", "WRB", "WDT"})  # "who", "how", "which company"
FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
CHUNK_CHARS = 2000
KEY_TERMS = 60

Tok = tuple[int, int, str, str, str, bool]  # start, end, lemma (lower), pos, tag, stop word


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


def parse(
    timed: TimedText,
    *,
    nlp: Language | None = None,
    batch_size: int = 16,
) -> Parsed:
    """What spaCy says of the text: a function of the text alone, so it can be cached."""
    nlp = nlp or load_nlp()
    chunks = pipe_chunks(timed)
    sentences: list[Sentence] = []
    mentions: list[RawMention] = []
    tokens: list[Tok] = []
    words: list[list[Word]] = []  # each sentence's, as YAKE sees them
    piped = nlp.pipe((chunk for _, chunk in chunks), batch_size=batch_size)
    for (offset, _), doc in zip(chunks, piped, strict=True):
        sentences.extend(_sentences(doc, offset, words, tokens))
        mentions.extend(_mentions(doc, offset))
    terms = _key_terms(words, tokens, timed.text)
    return Parsed(tuple(sentences), tuple(mentions), terms)


def title_names(title: str, *, nlp: Language | None = None) -> list[str]:
    """Names the video's title gives, to mend their case in lowercase auto-captions."""
    nlp = nlp or load_nlp()
    doc = nlp(title)
    return sorted({surface_form(e.text) for e in doc.ents if e.label_ in NAMED_LABELS} - {""})


# --- sentences ----------------------------------------------------------------


def _sentences(
    doc: Doc, offset: int, words: list[list[Word]], toks: list[Tok]
) -> Iterator[Sentence]:
    """The doc's sentences worth a claim. Every sentence's words as YAKE sees them go to
    `words`, and its tokens to `toks`: spaCy's sentences cover the doc in order, and
    each token object made is a cost (a quarter of this work when made three times)."""
    whole = doc.text  # built from every token on each access: once per doc, not per sentence
    for sent in doc.sents:
        tokens = list(sent)
        words.append(_yake_words(tokens))
        toks.extend(
            (offset + t.idx, offset + t.idx + len(t), t.lemma_.lower(), t.pos_, t.tag_, t.is_stop)
            for t in tokens
        )
        start = _content_start(tokens)
        if start is None:
            continue
        text = whole[start : sent.end_char].strip()
        yield _features(sent, tokens, start, text, offset)


def _content_start(tokens: Sequence[Token]) -> int | None:
    """Character where the sentence's content begins, after openers like "So, yeah,"."""
    i = 0
    while i < len(tokens):
        low = tokens[i].lower_
        pair = (low, tokens[i + 1].lower_) if i + 1 < len(tokens) else None
        if pair in LEADING_PAIRS and (i + 2 >= len(tokens) or tokens[i + 2].is_punct):
            i += 2
        elif tokens[i].is_punct or (low in LEADING_FILLER and _is_opener(tokens[i])):
            i += 1
        else:
            break
    if i >= len(tokens) - 1:
        return None
    return tokens[i].idx


def _is_opener(token: Token) -> bool:
    """ "No, ..." and "Now, ..." open a sentence; "No company ..." and "Now is ..." mean it."""
    if token.lower_ in AMBIGUOUS_OPENERS:
        return (
            token.pos_ == "INTJ" or token.nbor(1).is_punct
            if token.i + 1 < len(token.doc)
            else False
        )
    return True


def _features(sent: Span, tokens: Sequence[Token], start: int, text: str, offset: int) -> Sentence:
    words = [t for t in tokens if not t.is_punct and t.idx >= start]
    root = sent.root
    subjects = [c for c in root.children if c.dep_ in SUBJECT_DEPS]
    first = words[0] if words else root
    lows = [t.lower_ for t in words]
    subject = subjects[0] if subjects else None
    inverted = first.pos_ == "AUX" and subject is not None and subject.i > first.i
    attribute = next((c for c in root.children if c.dep_ == "attr"), None)
    return Sentence(
        start=offset + start,
        end=offset + start + len(text),
        text=text,
        words=len(words),
        question="?" in text or inverted or (first.tag_ in WH_TAGS and root.i > first.i),
        finite=root.pos_ in {"VERB", "AUX"}
        and any(
            t.tag_ in FINITE_TAGS
            for t in (root, *root.children)
            if t.i == root.i or t.dep_.startswith("aux")
        ),
        greeting=bool(GREETINGS.intersection(lows[:3])) or any(t.lemma_ == "thank" for t in words),
        hedged=bool(HEDGES.intersection(lows)) or " ".join(lows[:4]).startswith("i think"),
        figures=sum(1 for e in sent.ents if _is_figure(e)),
        subject=(offset + subject.idx, offset + subject.idx + len(subject)) if subject else (0, 0),
        subject_word=subject.lower_ if subject is not None else "",
        subject_pos=subject.pos_ if subject is not None else "",
        attribute=(
            _span(attribute, offset)
            if root.lemma_ == "be" and attribute is not None and attribute.pos_ in {"NOUN", "PROPN"}
            else (0, 0)
        ),
        appositions=tuple(_appositions(tokens, offset)),
        lemmas=tuple(
            t.lemma_.lower()
            for t in words
            if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha and len(t) > 2
        ),
    )


def _span(token: Token, offset: int) -> tuple[int, int]:
    sub = list(token.subtree)
    return offset + sub[0].idx, offset + sub[-1].idx + len(sub[-1])


def _appositions(tokens: Sequence[Token], offset: int) -> Iterator[tuple[int, int, int, int]]:
    """("Melissa Perri", "the CEO of Produx Labs") as offsets, for each appositive."""
    for token in tokens:
        if token.dep_ != "appos" or token.head.pos_ != "PROPN":
            continue
        head = token.head
        left = [t for t in head.subtree if t.i <= head.i and t.dep_ in {"compound", "flat"}]
        begin = min([head, *left], key=lambda t: t.i)
        appos = _span(token, offset)
        yield offset + begin.idx, offset + head.idx + len(head), appos[0], appos[1]


def _is_figure(ent: Span) -> bool:
    """A number worth checking: "$350 billion", "1999", "92,000", not "one of"."""
    if ent.label_ not in NUMERIC_LABELS:
        return False
    return ent.label_ in {"MONEY", "PERCENT"} or any(c.isdigit() for c in ent.text)


# --- names and key terms ------------------------------------------------------


def _yake_words(tokens: Sequence[Token]) -> list[Word]:
    return [
        Word(
            t.lemma_,
            t.pos_,
            t.is_stop,
            t.is_punct or t.is_space,
            t.is_upper or (t.is_title and not t.is_sent_start),
        )
        for t in tokens
    ]


def _mentions(doc: Doc, offset: int) -> Iterator[RawMention]:
    for ent in doc.ents:
        if ent.label_ in NAMED_LABELS:
            yield RawMention(
                start=offset + ent.start_char,
                end=offset + ent.end_char,
                text=ent.text,
                label=ent.label_,
            )


def _key_terms(
    words: Sequence[Sequence[Word]], tokens: Sequence[Tok], text: str
) -> tuple[KeyTerm, ...]:
    """YAKE's key terms of the whole video, with every place each is said."""
    found = key_terms(words, KEY_TERMS)
    ranked = [term.lower() for term, _ in found]
    wanted = {tuple(term.split()): rank for rank, term in enumerate(ranked)}
    longest = max((len(k) for k in wanted), default=0)
    hits: dict[tuple[str, ...], list[TermHit]] = {}
    first: dict[tuple[str, ...], tuple[str, str]] = {}
    lemmas = [t[2] for t in tokens]
    nouns = {"NOUN", "PROPN"}
    for i in range(len(tokens)):
        for n in range(1, min(longest, len(tokens) - i) + 1):
            key = tuple(lemmas[i : i + n])
            if (
                key in wanted
                and tokens[i + n - 1][3] in nouns
                and not any(t[5] for t in tokens[i : i + n])
            ):
                start, end = tokens[i][0], tokens[i + n - 1][1]
                hit = TermHit(start, end, text[start:end], text[start - 1 : start] == "-")
                hits.setdefault(key, []).append(hit)
                first.setdefault(key, (tokens[i][3], tokens[i][4]))
    return tuple(
        KeyTerm(" ".join(key), wanted[key], tuple(found), *first[key])
        for key, found in sorted(hits.items(), key=lambda kv: wanted[kv[0]])
    )
