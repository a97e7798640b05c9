"""Read a transcript from a file the user already has: JSON, SRT or WebVTT.

Users ingest videos whose captions YouTube will not serve to us, or fix a bad
transcript by hand, so tubewiki accepts the three formats people actually
have: youtube-transcript-api's JSON, SubRip (via `srt`) and WebVTT (via
`webvtt-py`). The format comes from the extension, or from the content when
the extension says nothing. Markup (<i>, <v Name>, inline timings) is removed
here, but caption noise is left for `tubewiki.transcript` to clean. Every
problem becomes a one-line `TranscriptFileError` naming the file and what to
do, because the CLI prints it as is.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Timestamp

from tubewiki.errors import EmptyTranscriptError, TranscriptFileError, one_line
from tubewiki.limits import MAX_SNIPPETS, check_snippets
from tubewiki.sanitize import strip_controls
from tubewiki.transcript import clean_texts
from tubewiki.types import Snippet, Transcript, TranscriptKind

log = logging.getLogger(__name__)

Parser = Callable[[str, str], list[Snippet]]

_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|\d[\d:.]*)>")
_SRT_START = re.compile(r"\A\s*\d+\s*\r?\n\s*\d+:\d+:\d+[,.]\d+\s*-->")
_FIX = "(fix the file or re-export it)"


def read_transcript_file(path: Path, video_id: str) -> Transcript:
    """Read a .json, .srt or .vtt transcript into a `Transcript` of kind FILE.

    Snippets come back sorted by start time, with markup removed and a cue's
    lines joined by spaces. Raises `TranscriptFileError` for anything that
    cannot be read and `EmptyTranscriptError` when no cue holds speech.
    """
    name = str(path)
    text = _read_text(path, name)
    if not text.strip():
        raise TranscriptFileError(f"transcript file {name!r} is empty (export the captions again)")
    parse = _parser_for(path, text, name)
    snippets = sorted(_usable(parse(text, name)), key=lambda s: s.start)
    check_snippets(snippets, f"transcript file {name!r}")
    if not any(clean_texts([s.text for s in snippets])):
        raise EmptyTranscriptError(
            f"transcript file {name!r} holds no speech, only caption noise such as [Music] "
            "(use a transcript with spoken words)"
        )
    log.debug("read %d snippets from %s", len(snippets), name)
    return Transcript(video_id, tuple(snippets), language="en", kind=TranscriptKind.FILE)


def _read_text(path: Path, name: str) -> str:
    """Read UTF-8 text (a BOM is fine), turning OS errors into one-line messages."""
    if not path.exists():
        raise TranscriptFileError(f"transcript file {name!r} does not exist (check the path)")
    if path.is_dir():
        raise TranscriptFileError(
            f"transcript file {name!r} is a directory (pass a .json, .srt or .vtt file)"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise TranscriptFileError(
            f"transcript file {name!r} cannot be read: {reason} (check its permissions)"
        ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TranscriptFileError(
            f"transcript file {name!r} is not UTF-8 text (bad byte at position {error.start}; "
            "re-save it as UTF-8)"
        ) from error


def _parser_for(path: Path, text: str, name: str) -> Parser:
    """Choose a parser by extension, falling back to what the content looks like."""
    by_suffix: dict[str, Parser] = {".json": parse_json, ".srt": parse_srt, ".vtt": parse_vtt}
    parser = by_suffix.get(path.suffix.lower())
    if parser is not None:
        return parser
    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return parse_vtt
    if head[:1] in "[{":
        return parse_json
    if _SRT_START.match(text):
        return parse_srt
    raise TranscriptFileError(
        f"transcript file {name!r} is in an unknown format "
        "(expected youtube-transcript-api JSON, SRT or WebVTT; name it .json, .srt or .vtt)"
    )


def clean_markup(text: str) -> str:
    """Strip tags and join a cue's lines with single spaces; speech is left as is."""
    if "<" in text:
        text = _TAG.sub("", text)
    return " ".join(strip_controls(text).split())


def _usable(snippets: list[Snippet]) -> list[Snippet]:
    return [s for s in snippets if s.text]


# --- JSON -------------------------------------------------------------------


def parse_json(text: str, name: str) -> list[Snippet]:
    """Parse youtube-transcript-api JSON: a list of entries, or {"snippets": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptFileError(
            f"transcript file {name!r} is not valid JSON at line {error.lineno}, "
            f"column {error.colno}: {error.msg} {_FIX}"
        ) from error
    except (ValueError, RecursionError) as error:  # a 5,000-digit number, 10,000 nested lists
        raise TranscriptFileError(
            f"transcript file {name!r} cannot be read as JSON: {one_line(str(error), 80)} {_FIX}"
        ) from error
    if isinstance(data, dict) and isinstance(data.get("snippets"), list):
        data = data["snippets"]
    if not isinstance(data, list):
        raise TranscriptFileError(
            f"transcript file {name!r} is JSON but not a transcript (expected a list of "
            '{"text", "start", "duration"} entries or an object with a "snippets" list)'
        )
    if len(data) > MAX_SNIPPETS:
        raise TranscriptFileError(
            f"transcript file {name!r} has {len(data):,} entries, more than the "
            f"{MAX_SNIPPETS:,} tubewiki accepts (split the transcript into parts)"
        )
    return [_json_entry(entry, index, name) for index, entry in enumerate(data)]


def _json_entry(entry: Any, index: int, name: str) -> Snippet:
    where = f"transcript file {name!r} entry {index}"
    if not isinstance(entry, dict):
        raise TranscriptFileError(
            f'{where} is not an object (expected {{"text", "start", "duration"}}) {_FIX}'
        )
    for key in ("text", "start"):
        if key not in entry:
            raise TranscriptFileError(f'{where} has no "{key}" {_FIX}')
    if not isinstance(entry["text"], str):
        raise TranscriptFileError(f'{where} has a "text" that is not a string {_FIX}')
    start = _json_time(entry["start"], "start", where)
    # Caption tools sometimes export overlapping cues with a negative duration;
    # only `start` feeds anchors, so such a duration is read as zero.
    duration = max(0.0, _json_number(entry.get("duration", 0.0), "duration", where))
    return Snippet(clean_markup(entry["text"]), start, duration)


def _json_number(value: Any, key: str, where: str) -> float:
    try:
        seconds = float(value) if isinstance(value, int | float) else math.nan
    except OverflowError:  # an integer too large for a float
        seconds = math.inf
    if isinstance(value, bool) or not math.isfinite(seconds):
        raise TranscriptFileError(
            f'{where} has a "{key}" that is not a number of seconds: '
            f"{one_line(repr(value), 40)} {_FIX}"
        )
    return seconds


def _json_time(value: Any, key: str, where: str) -> float:
    seconds = _json_number(value, key, where)
    if seconds < 0:
        raise TranscriptFileError(f'{where} has a negative "{key}": {value!r} {_FIX}')
    return seconds


# --- SRT --------------------------------------------------------------------


def _line_of(text: str, char: int) -> int:
    """1-based line number of the first non-blank character at or after `char`."""
    while char < len(text) and text[char].isspace():
        char += 1
    return text.count("\n", 0, char) + 1


def parse_srt(text: str, name: str) -> list[Snippet]:
    """Parse SubRip with the `srt` library, naming the line where parsing stopped."""
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        line = _line_of(text, error.expected_start)
        raise TranscriptFileError(
            f"transcript file {name!r} is not valid SRT at line {line}: cannot read "
            f"{one_line(error.unmatched_content, 60)!r} {_FIX}"
        ) from error
    except ValueError as error:  # srt.TimestampParseError and friends
        raise TranscriptFileError(
            f"transcript file {name!r} is not valid SRT: {one_line(str(error), 60)} {_FIX}"
        ) from error
    if not subtitles:
        raise TranscriptFileError(f"transcript file {name!r} holds no SRT cues {_FIX}")
    snippets: list[Snippet] = []
    previous: list[str] = []
    for subtitle in subtitles:
        start, end = subtitle.start.total_seconds(), subtitle.end.total_seconds()
        if start < 0:
            raise TranscriptFileError(
                f"transcript file {name!r} cue {subtitle.index} starts at a negative time {_FIX}"
            )
        lines = [clean_markup(line) for line in subtitle.content.splitlines()]
        kept = _drop_rolled_lines(previous, lines)
        previous = lines
        snippets.append(Snippet(" ".join(kept), start, _duration(start, end)))
    return snippets


def _duration(start: float, end: float) -> float:
    """Seconds from start to end; a cue that ends before it starts lasts zero, as in JSON."""
    return max(0.0, round(end - start, 3))


def _drop_rolled_lines(previous: Sequence[str], lines: list[str]) -> list[str]:
    """Drop the lines a rolling (auto-generated) caption repeats from the cue before.

    YouTube's auto-caption SRT and VTT files show each line twice: once as it
    is typed and again on top while the next line appears.
    """
    shown = [line for line in previous if line]
    fresh = [line for line in lines if line]
    for n in range(min(len(shown), len(fresh)), 0, -1):
        if shown[-n:] == fresh[:n]:
            return fresh[n:]
    return fresh


# --- WebVTT -----------------------------------------------------------------


def parse_vtt(text: str, name: str) -> list[Snippet]:
    """Parse WebVTT with `webvtt-py`; a cue block it would silently skip is an error."""
    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except MalformedFileError as error:
        raise TranscriptFileError(
            f'transcript file {name!r} is not valid WebVTT: it must start with a "WEBVTT" line '
            f"{_FIX}"
        ) from error
    except (MalformedCaptionError, ValueError) as error:
        raise TranscriptFileError(
            f"transcript file {name!r} is not valid WebVTT: {one_line(str(error), 60)} {_FIX}"
        ) from error
    if len(captions) < sum(1 for line in text.splitlines() if "-->" in line):
        raise TranscriptFileError(_bad_vtt_cue(text, name))
    if not captions:
        raise TranscriptFileError(f"transcript file {name!r} holds no WebVTT cues {_FIX}")
    snippets: list[Snippet] = []
    previous: list[str] = []
    for caption in captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        lines = [clean_markup(line) for line in caption.text.splitlines()]
        kept = _drop_rolled_lines(previous, lines)
        previous = lines
        snippets.append(Snippet(" ".join(kept), start, _duration(start, end)))
    return snippets


def _bad_vtt_cue(text: str, name: str) -> str:
    """Find the first timings line webvtt-py could not read and say where it is."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" not in line:
            continue
        parts = line.split("-->")
        stamps = [parts[0].strip(), parts[1].split()[0] if parts[1].split() else ""]
        try:
            for stamp in stamps:
                Timestamp.from_string(stamp)
        except MalformedCaptionError:
            return (
                f"transcript file {name!r} is not valid WebVTT at line {number}: bad cue timings "
                f"{one_line(line, 60)!r} {_FIX}"
            )
    return f"transcript file {name!r} is not valid WebVTT: a cue block could not be read {_FIX}"
