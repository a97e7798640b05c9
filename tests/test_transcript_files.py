"""Reading transcript files: JSON, SRT and WebVTT, and every way a file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tubewiki.errors import EmptyTranscriptError, TranscriptFileError, TubewikiError
from tubewiki.transcript_files import clean_markup, read_transcript_file
from tubewiki.types import Snippet, TranscriptKind

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
VIDEO = "abcdefghijk"

BRIDGE = "The harbour bridge reopened in April after two years of repairs."
CABLES = "Engineers replaced every cable on the north span."


def fail(path: Path, error: type[TubewikiError] = TranscriptFileError) -> str:
    """Read `path`, expect `error`, and check the message is one line naming the file."""
    with pytest.raises(error) as caught:
        read_transcript_file(path, VIDEO)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- good files ---------------------------------------------------------------


def test_json_is_sorted_stripped_and_joined() -> None:
    transcript = read_transcript_file(FIXTURES / "lecture.json", VIDEO)
    assert transcript.video_id == VIDEO
    assert transcript.kind is TranscriptKind.FILE
    assert transcript.language == "en"
    assert transcript.snippets == (
        Snippet("[Music]", 0.0, 4.2),
        Snippet(BRIDGE, 4.2, 3.1),
        Snippet(CABLES, 7.3, 2.9),
        Snippet("Traffic now moves about twenty percent faster.", 10.2, 2.5),
    )


def test_srt() -> None:
    transcript = read_transcript_file(FIXTURES / "lecture.srt", VIDEO)
    assert transcript.snippets == (
        Snippet(BRIDGE, 1.0, 2.5),
        Snippet(CABLES, 3.5, 2.75),
        Snippet("- Traffic now moves faster.", 62.04, 1.96),
    )


def test_vtt_drops_header_notes_voice_and_tags() -> None:
    transcript = read_transcript_file(FIXTURES / "lecture.vtt", VIDEO)
    assert transcript.snippets == (
        Snippet(BRIDGE, 1.0, 2.5),
        Snippet(CABLES, 3.5, 2.75),
        Snippet("Traffic now moves faster.", 3602.04, 1.96),
    )


def test_rolling_auto_captions_keep_each_line_once() -> None:
    transcript = read_transcript_file(FIXTURES / "rolling_auto.vtt", VIDEO)
    assert [s.text for s in transcript.snippets] == [
        "the harbour bridge reopened",
        "in april after repairs",
        "[Music]",
    ]
    assert [s.start for s in transcript.snippets] == [0.16, 2.28, 4.64]


def test_json_object_with_snippets_and_missing_duration(tmp_path: Path) -> None:
    data = {"video_id": VIDEO, "snippets": [{"text": "Hello &amp; welcome.", "start": 1}]}
    path = write(tmp_path, "t.json", json.dumps(data))
    assert read_transcript_file(path, VIDEO).snippets == (
        Snippet("Hello &amp; welcome.", 1.0, 0.0),
    )


def test_json_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"text": "Hi there.", "start": 0}]).encode())
    assert read_transcript_file(path, VIDEO).snippets[0].text == "Hi there."


def test_cues_with_no_text_are_skipped(tmp_path: Path) -> None:
    entries = [{"text": "<i></i>", "start": 0.0}, {"text": "Real words.", "start": 1.0}]
    path = write(tmp_path, "t.json", json.dumps(entries))
    assert [s.text for s in read_transcript_file(path, VIDEO).snippets] == ["Real words."]


@pytest.mark.parametrize("fixture", ["lecture.json", "lecture.srt", "lecture.vtt"])
@pytest.mark.parametrize("name", ["captions.txt", "captions", "captions.CAPTIONS"])
def test_unknown_extension_falls_back_to_sniffing(tmp_path: Path, fixture: str, name: str) -> None:
    path = write(tmp_path, name, (FIXTURES / fixture).read_text(encoding="utf-8"))
    expected = read_transcript_file(FIXTURES / fixture, VIDEO)
    assert read_transcript_file(path, VIDEO) == expected


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "LECTURE.SRT", (FIXTURES / "lecture.srt").read_text(encoding="utf-8"))
    assert read_transcript_file(path, VIDEO).snippets[0].text == BRIDGE


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<i>two</i> years", "two years"),
        ("<v Dana>Hello</v>", "Hello"),
        ("the<00:00:00.400><c> harbour</c>", "the harbour"),
        ("line one\nline two", "line one line two"),
        ("  spaced   out  ", "spaced out"),
        ("a < b and c > d", "a < b and c > d"),
    ],
)
def test_clean_markup(raw: str, clean: str) -> None:
    assert clean_markup(raw) == clean


# --- bad files: one line, naming the file ------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in fail(tmp_path / "nope.json")


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in fail(tmp_path)


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "t.json", "[]")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert "Permission denied" in fail(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in fail(path)


@pytest.mark.parametrize("text", ["", "  \n\n\t"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert "is empty" in fail(write(tmp_path, "t.vtt", text))


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", '[\n  {"text": "a", "start": 1}\n  {"text": "b"}\n]')
    message = fail(path)
    assert "not valid JSON at line 3, column 3: Expecting ',' delimiter" in message
    assert message.endswith("(fix the file or re-export it)")


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([{"start": 1.0}], 'entry 0 has no "text"'),
        ([{"text": "a", "start": 0}, {"text": "b"}], 'entry 1 has no "start"'),
        ([{"text": 5, "start": 0}], '"text" that is not a string'),
        ([{"text": None, "start": 0}], '"text" that is not a string'),
        ([{"text": "a", "start": "1.5"}], "\"start\" that is not a number of seconds: '1.5'"),
        ([{"text": "a", "start": True}], '"start" that is not a number'),
        ([{"text": "a", "start": 0, "duration": "long"}], '"duration" that is not a number'),
        ([{"text": "a", "start": -2}], 'negative "start": -2'),
        (["just a string"], "entry 0 is not an object"),
    ],
)
def test_bad_json_entries(tmp_path: Path, entries: list[object], expected: str) -> None:
    assert expected in fail(write(tmp_path, "t.json", json.dumps(entries)))


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN"])
def test_json_infinite_time(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "t.json", f'[{{"text": "a", "start": {value}}}]')
    assert '"start" that is not a number of seconds' in fail(path)


def test_json_negative_duration_reads_as_zero(tmp_path: Path) -> None:
    # Real youtube-transcript-api exports hold overlapping cues with negative durations.
    entries = [{"text": "Overlap.", "start": 3.0, "duration": -0.86}]
    path = write(tmp_path, "t.json", json.dumps(entries))
    assert read_transcript_file(path, VIDEO).snippets == (Snippet("Overlap.", 3.0, 0.0),)


@pytest.mark.parametrize("text", ['{"video": "x"}', "42", '"words"', '{"snippets": 3}'])
def test_json_that_is_not_a_transcript(tmp_path: Path, text: str) -> None:
    assert "JSON but not a transcript" in fail(write(tmp_path, "t.json", text))


def test_srt_garbage_between_cues_names_line(tmp_path: Path) -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nFirst cue.\n\n"
        "2\n00:00:0x,000 --> 00:00:03,000\nBroken cue.\n"
    )
    message = fail(write(tmp_path, "t.srt", text))
    assert "not valid SRT at line 5" in message
    assert "00:00:0x,000" in message


def test_srt_not_srt_at_all(tmp_path: Path) -> None:
    assert "not valid SRT at line 1" in fail(write(tmp_path, "t.srt", "hello there\nfriend\n"))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("t.srt", "1\n00:00:05,000 --> 00:00:02,000\nBackwards.\n"),
        ("t.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nBackwards.\n"),
    ],
)
def test_cue_ending_before_it_starts_lasts_zero(tmp_path: Path, name: str, text: str) -> None:
    snippets = read_transcript_file(write(tmp_path, name, text), VIDEO).snippets
    assert snippets == (Snippet("Backwards.", 5.0, 0.0),)


def test_vtt_without_header(tmp_path: Path) -> None:
    text = "00:00:01.000 --> 00:00:02.000\nNo header.\n"
    assert 'must start with a "WEBVTT" line' in fail(write(tmp_path, "t.vtt", text))


def test_vtt_bad_timestamp_names_line(tmp_path: Path) -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFine.\n\n00:00:xx.000 --> 00:00:03.000\nBad.\n"
    message = fail(write(tmp_path, "t.vtt", text))
    assert "not valid WebVTT at line 6: bad cue timings" in message


def test_vtt_with_no_cues(tmp_path: Path) -> None:
    assert "holds no WebVTT cues" in fail(write(tmp_path, "t.vtt", "WEBVTT\n\nNOTE nothing\n"))


def test_unknown_format(tmp_path: Path) -> None:
    message = fail(write(tmp_path, "notes.txt", "Just some prose someone saved by mistake.\n"))
    assert "unknown format" in message
    assert ".json, .srt or .vtt" in message


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [{"text": "[Music]", "start": 0}, {"text": "♪♪", "start": 3}],
        [{"text": "[Applause]", "start": 0}, {"text": "(laughs)", "start": 2}],
        [{"text": "&gt;&gt; [Music]", "start": 0}, {"text": "um", "start": 1}],
    ],
)
def test_noise_only_is_empty_transcript(tmp_path: Path, entries: list[object]) -> None:
    message = fail(write(tmp_path, "t.json", json.dumps(entries)), EmptyTranscriptError)
    assert "no speech" in message


def test_noise_only_vtt(tmp_path: Path) -> None:
    text = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n[Music]\n\n00:00:05.000 --> 00:00:09.000\n♪\n"
    fail(write(tmp_path, "t.vtt", text), EmptyTranscriptError)
