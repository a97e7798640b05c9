"""`relink._notes_after` through the citing index gives what a walk of every note gave.

The entity notes once a run's videos are planned: a note no video cites any
more, with nothing of a person's in it, is gone; every other one stays. The
index lets a run look only at the notes citing its videos; this compares it
with the walk over all entity notes it replaced, on random vaults.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tubewiki.notes import Note
from tubewiki.plan import VideoInput, disposable
from tubewiki.relink import _notes_after
from tubewiki.types import Entity, Extraction, VideoMeta
from tubewiki.vault import Vault, as_strings

VIDEOS = ("vidAAAAAAA1", "vidBBBBBBB2", "vidCCCCCCC3")
SLUGS = ("ada", "bab", "cid", "dot")
BODIES = ("", "A person's own words.\n")  # disposable, and not


def walked(loaded: Vault, inputs: dict[str, VideoInput]) -> set[str]:
    """The walk `_notes_after` made before the index."""
    yielded: set[str] = set()
    for item in inputs.values():
        for entity in item.extraction.entities:
            slug = entity.slug
            if loaded.entity_note(slug) is None:
                slug = loaded.redirect(slug) or slug
            yielded.add(slug)
    after = set(yielded)
    for note in loaded.by_kind("entity"):
        cited = set(as_strings(note.meta.get("videos")))
        vanishes = bool(cited) and disposable(note)
        if not cited <= inputs.keys() or note.slug in yielded or not vanishes:
            after.add(note.slug)
    return after


notes = st.lists(
    st.tuples(
        st.sampled_from(("entities", "people")),  # an entity note may live elsewhere too
        st.sampled_from(SLUGS),
        st.lists(st.sampled_from(VIDEOS), unique=True, max_size=3),
        st.sampled_from(BODIES),
    ),
    max_size=8,
)
runs = st.dictionaries(
    st.sampled_from(VIDEOS), st.lists(st.sampled_from(SLUGS), unique=True, max_size=3)
)


def item(video_id: str, slugs: list[str]) -> VideoInput:
    entities = tuple(Entity(slug, slug.title(), "PERSON", (), 1) for slug in slugs)
    return VideoInput(VideoMeta(video_id, "T", "C"), Extraction(video_id, entities, (), ()))


@settings(max_examples=300, deadline=None)
@given(notes, runs)
def test_the_index_gives_what_the_walk_gave(
    found: list[tuple[str, str, list[str], str]], run: dict[str, list[str]]
) -> None:
    loaded = Vault(Path("/nonexistent"), {})
    for folder, slug, videos, body in found:
        meta = {"tubewiki": "entity", "title": slug.title(), "videos": videos}
        loaded.put(Note(f"{folder}/{slug}.md", meta, body))
    inputs = {video_id: item(video_id, slugs) for video_id, slugs in run.items()}
    assert _notes_after(loaded, inputs) == walked(loaded, inputs)
