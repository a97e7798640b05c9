"""Transcript text for NLP: cleaning, auto-caption repair and the offset -> time map.

Extraction wants one clean text, yet every claim must keep the start time of
the caption snippet it came from. So each snippet is cleaned by a chain of small
`str -> str` functions (caption noise, hesitations, stutters, quotes, spaces),
raw auto-captions get their case and sentence ends mended, and the kept snippets
are joined into a `TimedText` mapping any character offset to its snippet's
start. For speed the chain runs once over all snippets joined by a private-use
separator no cleaner touches. Only noise is deleted and only case and
punctuation change: the wiki quotes speakers, so their words stay their own.
"""

from __future__ import annotations

import html
import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from tubewiki.errors import EmptyTranscriptError
from tubewiki.types import Snippet, Transcript

log = logging.getLogger(__name__)

Cleaner = Callable[[str], str]

# --- cleaners ---------------------------------------------------------------

_SEP = "\ue000"  # joins snippets for one-pass cleaning; every pattern leaves it alone
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>\ue000]*|\d[\d:.]*)>")
_QUOTES = {"‘": "'", "’": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"'}
_NOTE_CHARS = "♩♪♫♬🎵🎶"
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_BRACKETED = re.compile(r"\[[^\[\]\ue000]*\]")
_PAREN_NOISE = re.compile(
    r"\(\s*(?:laugh\w*|chuckl\w*|giggl\w*|applause|music\w*|cheer\w*|sigh\w*|cough\w*"
    r"|inaudible|crosstalk|silence|unintelligible|indistinct\w*|background noise)\s*\)",
    re.IGNORECASE,
)
_NOTES = re.compile(f"[{_NOTE_CHARS}]+")
_CHEVRONS = re.compile(r">>+")
_LEADING_DASH = re.compile(r"\A\s*-+(?:[ \t]+|(?=\ue000)|\Z)")
_DIALOGUE_DASH = re.compile(r"([.?!\n\ue000])[ \t]*-+(?:[ \t]+|(?=\ue000)|\Z)")
# The lookahead lets the scan skip most positions cheaply. All-caps "UM" or "ER" is an acronym.
_FILLER_RUN = re.compile(
    r"(?=[UuEeHh])(?<![\w'-])(?:(?:[Uu](?:m+|h+|hm+)|[Ee]r(?:m+)?|[Hh]m+)(?![\w'-])[,;]?\s*)+"
    r"(?P<stop>[.?!]+(?=[\s\ue000]|$)\s*)?(?P<next>[a-z](?![A-Z]))?"
)
# Single spaces only (drop_repeats runs after normalize_whitespace): `\s+` is twice as slow.
# Opens with the character before the phrase, so the scan jumps between word starts.
_REPEAT = re.compile(
    r"(?P<pre>[ \ue000\"(\[/-])(?P<p>\w[\w']*+(?: [\w']++){0,2}?)(?: (?P=p))+(?![\w'])",
    re.IGNORECASE,
)
# Repetitions that are grammar or names rather than stutters ("that that", "twenty twenty").
_KEEP_REPEATS = frozenset({"that", "had", "bye", "ha", "knock", "twenty", "nineteen"})
_SPACE_BEFORE_PUNCT = re.compile(r" (?=[,.?!;:](?:[ \ue000]|$))")
_DOUBLE_COMMA = re.compile(r"([,;])(?: ?[,;])+")
_COMMA_BEFORE_END = re.compile(r"[,;] ?(?=[.?!])")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


def strip_tags(text: str) -> str:
    """Drop HTML and WebVTT inline tags (<i>, <c>, <00:00:01.000>) that are markup, not speech."""
    return _TAG.sub("", text) if "<" in text else text


def unescape_html(text: str) -> str:
    """Turn entities such as `&gt;&gt;` and `&#39;` into characters, so later steps see them."""
    return html.unescape(text) if "&" in text else text


def normalize_quotes(text: str) -> str:
    """Curly quotes and apostrophes become ASCII, so "don’t" and "don't" are one word."""
    # str.replace is far faster than str.translate on long non-ASCII text.
    for curly, straight in _QUOTES.items():
        if curly in text:
            text = text.replace(curly, straight)
    return text


def drop_noise(text: str) -> str:
    """Remove caption noise: `[Music]`, any `[...]`, `(laughs)`-style asides and music notes."""
    if "[" in text:
        text = _BRACKETED.sub(" ", text)
    if "(" in text:
        text = _PAREN_NOISE.sub(" ", text)
    if any(note in text for note in _NOTE_CHARS):
        text = _NOTES.sub(" ", text)
    return text


def drop_speaker_marks(text: str) -> str:
    """Remove `>>` and leading `-` speaker-change markers; they are layout, not words."""
    if ">>" in text:
        text = _CHEVRONS.sub(" ", text)
    if "-" in text:
        text = _LEADING_DASH.sub("", text, count=1) if text.lstrip()[:1] == "-" else text
        text = _DIALOGUE_DASH.sub(r"\1 ", text)
    return text


def _filler_sub(match: re.Match[str]) -> str:
    following = match.group("next") or ""
    if match.group(0)[0].isupper():
        following = following.upper()  # "Um, so we..." opened a sentence: keep its capital
    stop = match.group("stop") or ""
    before = match.string[max(0, match.start() - 20) : match.start()].rstrip()
    if stop and (not before or before[-1] in ".?!\ue000"):
        stop = ""  # "Hmm." alone was a whole sentence: drop its period too
    return stop + following


def drop_fillers(text: str) -> str:
    """Remove pure hesitation sounds (um, uh, erm, hmm); words like "like" or "so" stay."""
    return _FILLER_RUN.sub(_filler_sub, text)


def _repeat_sub(match: re.Match[str]) -> str:
    phrase = match.group("p")
    whole = match.group(0)
    if phrase.lower() in _KEEP_REPEATS or any(c.isdigit() for c in phrase):
        return whole
    if phrase.lower() != "i" and all(w[0].isupper() for w in whole[1:].split(" ")):
        return whole  # "Bora Bora", "Duran Duran": a name, not a stutter
    return match.group("pre") + phrase


def drop_repeats(text: str) -> str:
    """Collapse stutters: "the the", "I I think", "we were we were" keep their first copy.

    Expects single spaces between words, as `normalize_whitespace` leaves them.
    """
    return _REPEAT.sub(_repeat_sub, " " + text)[1:]


def tidy_punctuation(text: str) -> str:
    """Mend the commas removals leave behind: no ", ,", no ", ." and no leading comma.

    Expects single spaces, as `normalize_whitespace` leaves them.
    """
    if "," in text or ";" in text:
        text = _DOUBLE_COMMA.sub(r"\1", text)
        text = _COMMA_BEFORE_END.sub("", text).lstrip(" ,;")
    return _SPACE_BEFORE_PUNCT.sub("", text)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace (newlines, tabs, no-break spaces) into one space."""
    if any(char in text for char in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub(" ", text)
    return " ".join(text.split())


CLEANERS: tuple[Cleaner, ...] = (
    strip_tags,
    unescape_html,
    normalize_quotes,
    drop_noise,
    drop_speaker_marks,
    drop_fillers,
    normalize_whitespace,
    drop_repeats,
    tidy_punctuation,
)


def compose(*cleaners: Cleaner) -> Cleaner:
    """Chain cleaners left to right into one function."""

    def composed(text: str) -> str:
        for cleaner in cleaners:
            text = cleaner(text)
        return text

    return composed


clean_text: Cleaner = compose(*CLEANERS)

# --- auto-caption repair ----------------------------------------------------

# Patterns open with a literal or a character class so the scan can skip ahead fast.
_I_PRONOUN = re.compile(r"i(?<![\w'.]i)(?=(?:'(?:m|ve|d|ll|s))?(?![\w']|\.\w))")
_SENTENCE_START = re.compile(r"([.?!][\"')\]]*[ \ue000]+[\"'(]?)([a-z])")
_FIRST_LETTER = re.compile(r"([\"'(]?)([a-z])")
_CLOSERS = "\"')]"
_PUNCT = "\"'()[],.;:!?"
_SCREEN_NAMES_OVER = 20
_SAMPLE_CHARS = 50_000
_UPPER_NOT_I = "ABCDEFGHJKLMNOPQRSTUVWXYZ"

PAUSE_SECONDS = 0.8
"""A silence longer than this between two snippets is taken as a sentence end."""
MAX_RUN_WORDS = 24
"""Break a run of unpunctuated words at the next snippet boundary after this many."""
HARD_RUN_WORDS = 40
"""Break even after a word that cannot end a sentence once a run is this long."""

_OPENER_WORDS = "so but now okay ok alright yeah anyway anyways however let's"
_OPENERS = frozenset(_OPENER_WORDS.split())
_TWO_WORD_OPENERS = frozenset({"and so", "i think", "i mean", "i'm", "so i"})
_NON_FINAL_WORDS = """
a an the to of and or but nor with for in on at from by into onto about than as if because
is are was were am be been being my your our their his her its very i we they he she not
just really this
"""
# Words a sentence almost never ends on: no break right after them before HARD_RUN_WORDS.
_NON_FINAL = frozenset(_NON_FINAL_WORDS.split())


def _looks_unrepaired(text: str) -> bool:
    text = text[:_SAMPLE_CHARS]  # ~8k words are plenty to judge a whole transcript
    words = text.count(" ") + 1
    ends = text.count(".") + text.count("?") + text.count("!")
    upper = sum(text.count(c) for c in _UPPER_NOT_I)
    return ends / words < 0.02 or upper / words < 0.02


def needs_repair(snippets: Sequence[Snippet]) -> bool:
    """Guess whether snippets are raw auto-captions: almost no capitals or sentence punctuation.

    Manual transcripts end a sentence every 10-25 words and capitalise names and
    sentence starts; YouTube's auto-captions do neither. Fewer than 2 sentence
    ends, or 2 capitals other than "I", per 100 words means the text needs mending.
    """
    text = " ".join(" ".join(s.text.split()) for s in snippets)
    return bool(text) and _looks_unrepaired(text)


def _tokens(text: str) -> set[str]:
    """Lowercase words of `text` without surrounding punctuation or "'s", for cheap lookups."""
    spaced = text.lower().replace(_SEP, " ").replace("-", " ").replace("/", " ")
    words = {word.strip(_PUNCT) for word in set(spaced.split())}
    return words | {word.split("'")[0] for word in words if "'" in word}


def name_fixer(names: Iterable[str], within: str | None = None) -> Cleaner:
    """Build a cleaner giving known names their own casing ("openai" -> "OpenAI").

    Matching ignores case and the spacing inside a name, respects word
    boundaries and prefers the longest name, so "elon musk" wins over "musk".
    With `within` and many names, names whose first word does not occur in
    that text are left out of the pattern, which keeps a vault's hundreds of
    names cheap.
    """
    canon: dict[str, str] = {}
    for name in names:
        spaced = " ".join(name.split())
        if spaced:
            canon.setdefault(spaced.lower(), spaced)
    if within is not None and len(canon) > _SCREEN_NAMES_OVER:
        present = _tokens(within)
        canon = {key: name for key, name in canon.items() if _tokens(key.split()[0]) & present}
    if not canon:
        return lambda text: text
    alternatives = sorted(canon, key=len, reverse=True)
    body = "|".join(r"\s+".join(map(re.escape, key.split())) for key in alternatives)
    pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)

    def fix(text: str) -> str:
        return pattern.sub(lambda m: canon[" ".join(m.group(0).split()).lower()], text)

    return fix


def capitalize_i(text: str) -> str:
    """The pronoun is always "I": "i", "i'm", "i've", "i'd", "i'll" -> "I", "I'm", ..."""
    return _I_PRONOUN.sub("I", text)


def capitalize_sentences(text: str) -> str:
    """Capitalise the first letter of the text and of every sentence after . ? or !"""
    first = _FIRST_LETTER.match(text)
    if first:
        text = _upper_second(first) + text[first.end() :]
    return _SENTENCE_START.sub(_upper_second, text)


def _upper_second(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2).upper()


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in (".", "?", "!")


def _words_after_last_end(text: str) -> int:
    cut = max(text.rfind("."), text.rfind("?"), text.rfind("!"))
    return text.count(" ") + 1 if cut < 0 else len(text[cut + 1 :].split())


def _opens_sentence(text: str) -> bool:
    words = text.lower().split(" ", 2)
    first = words[0].rstrip(",;:")
    return first in _OPENERS or " ".join(w.rstrip(",;:") for w in words[:2]) in _TWO_WORD_OPENERS


def end_sentences(texts: list[str], starts: Sequence[float], ends: Sequence[float]) -> list[str]:
    """Put periods, in place, at snippet boundaries that look like sentence ends.

    A boundary ends a sentence when the next snippet starts with a typical
    opener ("so", "but", "okay", "I think"), when the speaker paused longer than
    PAUSE_SECONDS, or when the run has reached MAX_RUN_WORDS; never right after
    a word like "the" or "of" unless the run passed HARD_RUN_WORDS. The last
    snippet always ends a sentence. Only punctuation is added, never words.
    """
    run = 0
    last = len(texts) - 1
    for k, text in enumerate(texts):
        if "." in text or "?" in text or "!" in text:
            if _ends_sentence(text):
                run = 0
                continue
            run = _words_after_last_end(text)
        else:
            run += text.count(" ") + 1
        if k < last and run < HARD_RUN_WORDS:
            cue = (
                starts[k + 1] - ends[k] > PAUSE_SECONDS
                or run >= MAX_RUN_WORDS
                or _opens_sentence(texts[k + 1])
            )
            if not cue or text[text.rfind(" ") + 1 :].strip(",;:-\"'").lower() in _NON_FINAL:
                continue
        texts[k] = text.rstrip(",;:- ") + "."
        run = 0
    return texts


def _repair_texts(
    texts: list[str], starts: Sequence[float], ends: Sequence[float], names: Iterable[str]
) -> list[str]:
    joined = capitalize_i(_SEP.join(texts))
    joined = name_fixer(names, within=joined)(joined)
    mended = end_sentences(joined.split(_SEP), starts, ends)
    return capitalize_sentences(_SEP.join(mended)).split(_SEP)


def repair(snippets: Sequence[Snippet], names: Iterable[str] = ()) -> tuple[Snippet, ...]:
    """Mend lowercase, unpunctuated auto-captions so spaCy can find sentences and names.

    "I" and the given `names` get their casing, `end_sentences` adds periods,
    then every sentence starts with a capital. Heuristic, not perfect; start
    times are unchanged. Expects cleaned, single-spaced snippet texts.
    """
    texts = [s.text for s in snippets]
    ends = [s.start + s.duration for s in snippets]
    mended = _repair_texts(texts, [s.start for s in snippets], ends, names)
    return tuple(replace(s, text=t) for s, t in zip(snippets, mended, strict=True))


# --- the offset -> time map -------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimedText:
    """Cleaned transcript text plus where each kept snippet begins in it and when."""

    text: str
    offsets: tuple[int, ...]
    times: tuple[float, ...]

    def index_at(self, char: int) -> int:
        """Index of the kept snippet whose text (or following space) holds offset `char`."""
        return max(bisect_right(self.offsets, char) - 1, 0)

    def time_at(self, char: int) -> float:
        """Start time of the snippet holding offset `char`: every wiki timestamp comes from here."""
        return self.times[self.index_at(char)]

    @property
    def words(self) -> int:
        return self.text.count(" ") + 1 if self.text else 0


def clean_texts(texts: Sequence[str]) -> list[str]:
    """Clean many snippet texts in one pass; the same as `clean_text` on each, but faster."""
    if not texts:
        return []
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        joined = _SEP.join(t.replace(_SEP, " ") for t in texts)
    return [piece.strip().lstrip(",; ") for piece in clean_text(joined).split(_SEP)]


def drop_boundary_repeat(previous: str, following: str) -> str:
    """Drop the start of `following` when it repeats the last 1-3 words of `previous`.

    Auto-captions often repeat words across a cue boundary ("...the" | "the
    plan"). A sentence end before the boundary means the repeat was meant.
    """
    last = previous[previous.rfind(" ") + 1 :].lower()
    if not last or last not in following[:80].lower():
        return following  # the cheap test first: this runs for every snippet
    keys = [w.rstrip(",").lower() for w in following.split(" ", 3)[:3]]
    if last not in keys or _ends_sentence(previous):
        return following
    tail = previous.lower().rsplit(" ", 3)[-3:]
    for n in range(len(keys), 0, -1):
        if n > len(tail) or tail[-n:] != keys[:n]:
            continue
        if n == 1 and (last in _KEEP_REPEATS or any(c.isdigit() for c in last)):
            return following
        return following.split(" ", n)[n] if len(following.split(" ", n)) > n else ""
    return following


def timed_text(
    transcript: Transcript, *, names: Iterable[str] = (), repair: bool | None = None
) -> TimedText:
    """Clean, optionally repair and join a transcript, keeping each snippet's start time.

    `repair=None` repairs only when the cleaned text looks like raw
    auto-captions (see `needs_repair`). Snippets that clean down to nothing,
    or only repeat the end of the snippet before, are dropped.
    """
    snippets = transcript.snippets
    texts: list[str] = []
    kept: list[int] = []
    for index, text in enumerate(clean_texts([s.text for s in snippets])):
        if text and texts:
            text = drop_boundary_repeat(texts[-1], text)
        if text:
            texts.append(text)
            kept.append(index)
    if not texts:
        raise EmptyTranscriptError(
            f"transcript for {transcript.video_id} has no speech after removing caption noise "
            "(music, applause, fillers); try another language or a manual transcript"
        )
    starts = [snippets[i].start for i in kept]
    if repair is None:
        repair = _looks_unrepaired(" ".join(texts))
    if repair:
        log.debug("repairing auto-captions for %s", transcript.video_id)
        ends = [snippets[i].start + snippets[i].duration for i in kept]
        texts = _repair_texts(texts, starts, ends, names)
    offsets: list[int] = []
    position = 0
    for text in texts:
        offsets.append(position)
        position += len(text) + 1
    return TimedText(text=" ".join(texts), offsets=tuple(offsets), times=tuple(starts))
