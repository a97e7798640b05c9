"""tubewiki.watchlist: accepted and refused entry forms, the YAML file, add and remove."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from tubewiki.errors import ConfigError
from tubewiki.watchlist import (
    HEADER,
    WatchEntry,
    add_entry,
    dump_entries,
    load_watchlist,
    parse_entry,
    remove_entry,
    save_watchlist,
)

CID = "UCq3Zr7TfLwXbN5kH2mV9pQa"
PID = "PLx9Wc2Rk7Dq0Tn4Ym8Vb3Gs5Hf1Jp6LzA"


@pytest.mark.parametrize(
    ("raw", "kind", "ref"),
    [
        (CID, "channel", CID),
        (f"  {CID}\n", "channel", CID),
        ("@tidepoolworkshop", "channel", "@tidepoolworkshop"),
        ("@Tide.Pool-Works_2", "channel", "@Tide.Pool-Works_2"),
        (f"https://www.youtube.com/channel/{CID}", "channel", CID),
        (f"https://www.youtube.com/channel/{CID}/videos", "channel", CID),
        (f"youtube.com/channel/{CID}", "channel", CID),
        ("https://www.youtube.com/@tidepoolworkshop", "channel", "@tidepoolworkshop"),
        ("https://m.youtube.com/@tidepoolworkshop/videos", "channel", "@tidepoolworkshop"),
        ("https://www.youtube.com/@%C3%A9cume", "channel", "@écume"),
        ("https://www.youtube.com/c/TidepoolWorkshop", "channel", "c/TidepoolWorkshop"),
        ("https://www.youtube.com/user/tidepool1999/featured", "channel", "user/tidepool1999"),
        ("c/TidepoolWorkshop", "channel", "c/TidepoolWorkshop"),
        (f"https://www.youtube.com/feeds/videos.xml?channel_id={CID}", "channel", CID),
        (PID, "playlist", PID),
        ("PLb5d3c1f2e4a6b8c9", "playlist", "PLb5d3c1f2e4a6b8c9"),
        (f"UU{CID[2:]}", "playlist", f"UU{CID[2:]}"),
        (
            "OLAK5uy_kR2vT9wQ3zX8mN1pL4sJ7hG0fD6cB5aE",
            "playlist",
            "OLAK5uy_kR2vT9wQ3zX8mN1pL4sJ7hG0fD6cB5aE",
        ),
        (f"https://www.youtube.com/playlist?list={PID}", "playlist", PID),
        (f"https://www.youtube.com/watch?v=Lh4tK9-pQ2w&list={PID}&index=2", "playlist", PID),
        (f"https://youtu.be/Lh4tK9-pQ2w?list={PID}", "playlist", PID),
        (f"https://music.youtube.com/playlist?list={PID}", "playlist", PID),
        (f"https://www.youtube.com/feeds/videos.xml?playlist_id={PID}", "playlist", PID),
    ],
)
def test_parse_entry_accepts(raw: str, kind: str, ref: str) -> None:
    entry = parse_entry(raw)
    assert (entry.kind, entry.ref) == (kind, ref)
    assert entry.languages == ("en",)
    assert entry.since is None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "not a channel or playlist"),
        ("tidepoolworkshop", "not a channel or playlist"),
        ("@ab", "not a channel or playlist"),
        ("UCshort", "not a channel or playlist"),
        ("https://vimeo.com/@tidepoolworkshop", "not a channel or playlist"),
        ("https://www.youtube.com/channel/notanid", "not a channel or playlist"),
        ("https://www.youtube.com/watch?v=Lh4tK9-pQ2w", "single video (Lh4tK9-pQ2w)"),
        ("https://youtu.be/Lh4tK9-pQ2w", "single video"),
        ("https://www.youtube.com/watch?v=Lh4tK9-pQ2w&list=RDLh4tK9-pQ2w", "mix"),
        ("https://www.youtube.com/playlist?list=WL", "private list"),
        ("ftp://www.youtube.com/@tidepoolworkshop", "not a channel or playlist"),
        ("first line\nsecond line", "not a channel or playlist"),
    ],
)
def test_parse_entry_refuses_with_one_line(raw: str, why: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_entry(raw)
    message = str(caught.value)
    assert why in message
    assert "\n" not in message
    assert "@handle" in message and "playlist id" in message


def test_parse_entry_options() -> None:
    entry = parse_entry("@tidepoolworkshop", languages=["de", " en ", "de"], since="2026-01-01")
    assert entry.languages == ("de", "en")
    assert entry.since == date(2026, 1, 1)
    assert parse_entry(PID, languages="fr", name="  Harbour   picks ").name == "Harbour picks"
    assert parse_entry(PID, languages="fr").languages == ("fr",)


@pytest.mark.parametrize("since", ["2026-13-01", "yesterday", "01/02/2026"])
def test_bad_since_names_the_entry(since: str) -> None:
    with pytest.raises(ConfigError, match=r"'@tidepoolworkshop'.*since .*YYYY-MM-DD"):
        parse_entry("@tidepoolworkshop", since=since)


@pytest.mark.parametrize("languages", [[], [""], ["en", " "], [1], "  "])
def test_bad_languages(languages: object) -> None:
    with pytest.raises(ConfigError, match="languages"):
        parse_entry(CID, languages=languages)  # type: ignore[arg-type]


def test_entry_urls_labels_and_keys() -> None:
    assert parse_entry(CID).url == f"https://www.youtube.com/channel/{CID}"
    assert parse_entry("@écume").url == "https://www.youtube.com/@%C3%A9cume"
    assert parse_entry("c/Tidepool").url == "https://www.youtube.com/c/Tidepool"
    assert parse_entry(PID).url == f"https://www.youtube.com/playlist?list={PID}"
    assert parse_entry(CID, name="Tides").label == f"channel {CID} (Tides)"
    assert parse_entry("@TidePool").key == parse_entry("@tidepool").key
    assert parse_entry(CID).key != parse_entry("UC" + CID[2:].swapcase()).key


# --- the file -----------------------------------------------------------------------------

SAMPLE = f"""# channels and playlists tubewiki watches
- channel: {CID}      # a comment after the id
  languages: [en]
  since: 2026-01-01
- channel: "@harbournotes"
  name: Harbour Notes
  languages: [de, "no"]
- playlist: https://www.youtube.com/playlist?list={PID}
- "@shorthand"
"""


def test_load_sample(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    assert load_watchlist(path) == [
        WatchEntry("channel", CID, ("en",), date(2026, 1, 1)),
        WatchEntry("channel", "@harbournotes", ("de", "no"), None, "Harbour Notes"),
        WatchEntry("playlist", PID),
        WatchEntry("channel", "@shorthand"),
    ]


def test_missing_and_empty_files_are_empty(tmp_path: Path) -> None:
    assert load_watchlist(tmp_path / "absent.yaml") == []
    (tmp_path / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert load_watchlist(tmp_path / "empty.yaml") == []


def test_save_load_round_trip_is_byte_stable(tmp_path: Path) -> None:
    entries = [
        parse_entry(CID, languages=["en", "de"], since=date(2026, 1, 1), name="Tidepool: the #1"),
        parse_entry("@harbournotes", languages=["no", "yes", "null"]),
        parse_entry("user/tidepool1999", name="Ünïcode name"),
        parse_entry(PID),
    ]
    path = tmp_path / "watchlist.yaml"
    save_watchlist(path, entries)
    first = path.read_bytes()
    assert first.startswith(HEADER.encode())
    assert load_watchlist(path) == entries
    save_watchlist(path, load_watchlist(path))
    assert path.read_bytes() == first
    assert first.decode().splitlines()[len(HEADER.splitlines()) :] == [
        f"- channel: {CID}",
        '  name: "Tidepool: the #1"',
        "  languages: [en, de]",
        "  since: 2026-01-01",
        '- channel: "@harbournotes"',
        '  languages: ["no", "yes", "null"]',
        "- channel: user/tidepool1999",
        '  name: "Ünïcode name"',
        f"- playlist: {PID}",
    ]


def test_save_keeps_the_files_header_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text("# my shows\n# keep this\n" + SAMPLE, encoding="utf-8")
    os.chmod(path, 0o640)
    save_watchlist(path, load_watchlist(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my shows\n# keep this\n# channels and playlists tubewiki watches\n- ")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["watchlist.yaml"]  # no temp files


def test_save_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    link = tmp_path / "watchlist.yaml"
    real.write_text("", encoding="utf-8")
    link.symlink_to(real)
    save_watchlist(link, [parse_entry(CID)])
    assert link.is_symlink()
    assert load_watchlist(real) == [parse_entry(CID)]


def test_dump_entries_empty() -> None:
    assert dump_entries([]) == ""


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("- channel: [unclosed\n", r"is not valid YAML \(.*at line \d+\); fix it by hand"),
        ("channel: x\n", r"must be a YAML list of entries"),
        (f"- channel: {CID}\n- chanel: {CID}\n", r"entry 2 \(line 2\): unknown key 'chanel'"),
        (f"- channel: {CID}\n  playlist: {PID}\n", r"entry 1 \(line 1\): .*exactly one of"),
        ("- name: lonely\n", r"entry 1 \(line 1\): .*exactly one of"),
        (f"- channel: {PID}\n", r"entry 1 .*is a playlist; write it as `playlist: "),
        ("- channel: 12345\n", r"entry 1 .*not text"),
        ("- 42\n", r"entry 1 .*expected `channel: …`"),
        ("- channel: nope\n", r"entry 1 \(line 1\): watchlist entry 'nope' is not a channel"),
        (f"- channel: {CID}\n\n  since: 2026-02-30\n", r"entry 1 \(line 1\): .*since '2026-02-30'"),
        (f"- channel: {CID}\n  languages: []\n", r"entry 1 .*languages"),
        (f"- channel: {CID}\n  name: [a]\n", r"entry 1 .*name"),
        ("- '@a_handle'\n- '@A_Handle'\n", r"entry 2 \(line 2\): @A_Handle is already entry 1"),
    ],
)
def test_malformed_files_name_the_file_and_entry(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as caught:
        load_watchlist(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "\n" not in message


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_bytes(b"- channel: \xff\xfe\n")
    with pytest.raises(ConfigError, match="cannot read watchlist"):
        load_watchlist(path)


# --- add and remove -----------------------------------------------------------------------


def test_add_and_remove(tmp_path: Path) -> None:
    path = tmp_path / "lists" / "watchlist.yaml"
    added = add_entry(path, "https://www.youtube.com/@tidepoolworkshop/videos", ["en"], None)
    assert added == WatchEntry("channel", "@tidepoolworkshop")
    add_entry(path, PID, ("en", "de"), "2026-01-01", "Harbour picks")
    assert load_watchlist(path) == [
        added,
        WatchEntry("playlist", PID, ("en", "de"), date(2026, 1, 1), "Harbour picks"),
    ]
    assert path.read_text(encoding="utf-8").startswith(HEADER)

    removed = remove_entry(path, f"https://www.youtube.com/playlist?list={PID}")
    assert removed.name == "Harbour picks"
    assert load_watchlist(path) == [added]
    assert remove_entry(path, "@TidepoolWorkshop") == added
    assert load_watchlist(path) == []


def test_remove_by_name(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    add_entry(path, CID, name="Tide Pool")
    assert remove_entry(path, "tide pool").ref == CID


def test_add_refuses_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    add_entry(path, "@tidepoolworkshop")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"channel @tidepoolworkshop is already in .*remove it"):
        add_entry(path, "https://www.youtube.com/@TidepoolWorkshop", languages=["de"])
    assert path.read_bytes() == before


def test_add_refuses_a_bad_entry_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    with pytest.raises(ConfigError, match="not a channel or playlist"):
        add_entry(path, "not a thing")
    assert not path.exists()


def test_remove_absent(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    with pytest.raises(ConfigError, match=r"'@nobody' is not in .* \(it holds: nothing\)"):
        remove_entry(path, "@nobody")
    add_entry(path, CID)
    with pytest.raises(ConfigError, match=rf"'{PID}' is not in .* \(it holds: {CID}\)"):
        remove_entry(path, PID)
    with pytest.raises(ConfigError, match="is not in"):
        remove_entry(path, "garbage that parses as nothing")
