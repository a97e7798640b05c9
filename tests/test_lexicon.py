"""The vault's lexicon: built from every video's own names and the notes' front matter."""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import Any

import pytest

from tubewiki.extract.known import squeezed_names
from tubewiki.lexicon import (
    Entry,
    Snapshot,
    Taught,
    build,
    changed,
    dumps,
    loads,
    with_notes,
)
from tubewiki.types import KnownEntity


def taught(slug: str, name: str, label: str = "ORG", *others: str, said: int = 3) -> Taught:
    return Taught(slug, name, label, tuple(sorted({name, *others})), said)


RECORDS = {
    "vidA": (taught("nvidia", "Nvidia", "ORG", "Nvidia's", said=9),),
    "vidB": (taught("nvidia", "NVIDIA", "ORG", said=2), taught("cuda", "CUDA", "PRODUCT")),
    "vidC": (taught("nvidia", "Nvidia", "PERSON", said=1), taught("gpu", "GPU", "PRODUCT")),
}


def test_a_name_no_note_has_yet_takes_what_most_videos_call_it() -> None:
    entries = build([], RECORDS)
    assert entries["nvidia"] == Entry(
        "nvidia", "Nvidia", "ORG", ("NVIDIA", "Nvidia", "Nvidia's"), (), False
    )
    assert sorted(entries) == ["cuda", "gpu", "nvidia"]


def test_the_result_does_not_depend_on_the_order_records_come_in() -> None:
    backwards = dict(reversed(list(RECORDS.items())))
    assert build([], backwards) == build([], RECORDS)


def test_a_title_type_or_alias_no_video_taught_is_a_persons_and_stays() -> None:
    notes = [KnownEntity("nvidia", "Nvidia Corporation", "COMPANY", ("Team Green", "NVIDIA"))]
    entry = build(notes, RECORDS)["nvidia"]
    assert (entry.name, entry.label) == ("Nvidia Corporation", "COMPANY")
    assert entry.forms == ("NVIDIA", "Nvidia", "Nvidia Corporation", "Nvidia's", "Team Green")
    assert entry.has_note


def test_a_title_a_video_taught_follows_the_videos() -> None:
    notes = [KnownEntity("nvidia", "NVIDIA", "PERSON", ("Nvidia",))]
    entry = build(notes, RECORDS)["nvidia"]
    assert (entry.name, entry.label) == ("Nvidia", "ORG")


def test_a_merged_note_takes_in_the_names_of_what_was_merged_into_it() -> None:
    notes = [KnownEntity("cuda", "CUDA", "PRODUCT", (), formerly=("gpu",))]
    entries = build(notes, RECORDS)
    assert "gpu" not in entries
    assert entries["cuda"].forms == ("CUDA", "GPU")
    assert entries["cuda"].known() == KnownEntity("cuda", "CUDA", "PRODUCT", ("GPU",), ("gpu",))


def test_a_renamed_note_keeps_the_name_a_person_gave_it() -> None:
    notes = [KnownEntity("green_team", "Green Team", "ORG", (), formerly=("nvidia",))]
    entry = build(notes, RECORDS)["green_team"]
    assert entry.name == "Green Team" and "Nvidia" in entry.forms


def fresh(value: Any) -> Any:
    """An equal value made of new objects: no string in it is another's."""
    if isinstance(value, str):
        return value.encode().decode()
    return tuple(map(fresh, value)) if isinstance(value, tuple) else value


def test_changes_are_found_by_slug_and_survive_a_round_trip() -> None:
    old = build([], RECORDS)
    new = with_notes(build([], {**RECORDS, "vidD": (taught("cuda", "Cuda", "PRODUCT"),)}), {"gpu"})
    assert changed(old, new) == {"cuda", "gpu"}
    squeezed = {slug: squeezed_names(entry) for slug, entry in new.items()}
    kept = Snapshot(new, squeezed, "index:7", dict(RECORDS), {"nvidia": ("green_team",)}, ("gpu",))
    assert loads(dumps(kept)) == kept
    assert {type(e) for e in loads(dumps(kept)).lexicon.values()} == {Entry}  # not bare tuples
    # equal snapshots give equal bytes, whichever of their strings are one object
    twin = replace(
        kept,
        lexicon={fresh(s): Entry(*map(fresh, e)) for s, e in new.items()},
        squeezed={fresh(s): tuple(map(fresh, n)) for s, n in squeezed.items()},
    )
    assert twin == kept and dumps(twin) == dumps(kept)
    assert squeezed["nvidia"] == ("nvidia", "nvidia's")


def test_a_damaged_or_older_snapshot_is_refused_not_half_read() -> None:
    """`relink` then builds the lexicon from every note and video, as with none."""
    lexicon = build([], RECORDS)
    squeezed = {slug: squeezed_names(entry) for slug, entry in lexicon.items()}
    data = pickle.loads(dumps(Snapshot(lexicon, squeezed, None, dict(RECORDS), {})))
    older = {k: v for k, v in data.items() if k not in ("slugs", "squeezed")}
    older["entries"] = [(*e, squeezed[e[0]]) for e in data["entries"]]  # one tuple an entry
    short = {**data, "entries": [e[:5] for e in data["entries"]]}
    unequal = {**data, "squeezed": data["squeezed"][1:]}
    for damaged in (older, short, unequal):
        with pytest.raises((KeyError, ValueError)):
            loads(pickle.dumps(damaged))
