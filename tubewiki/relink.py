"""Which videos a run extracts, so the vault is what all its videos make together.

A run's own videos are extracted against the lexicon of the whole vault
(`tubewiki.lexicon`). When they change that lexicon (a new name, a new
spelling, a note made or gone), the older videos that say one of the changed
names are extracted again too, from their cached parse, and re-planned in
the same run: every video links every name the vault knows, whichever came
first. The lexicon a run ends with is kept in the state folder, so the next
run can tell what changed, a person's edits to front matter included.

That next run does not build the lexicon again from every note: it starts
from the kept one and builds again the entries of the notes whose front
matter changed since (which the note index knows, `tubewiki.note_index`) and
of the videos whose record changed, so a run into a 10,000-note vault builds
a few entries, not 10,000. A run that cannot tell what changed builds all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tubewiki import cache, lexicon
from tubewiki.cache import Source
from tubewiki.errors import StateError
from tubewiki.extract.known import KnownNames, squeeze, squeezed_names
from tubewiki.journal import state_dir
from tubewiki.lexicon import Lexicon, Snapshot, Taught
from tubewiki.notes import Note, slug_of
from tubewiki.plan import VideoInput, disagrees, disposable
from tubewiki.said import videos_saying
from tubewiki.study import Study, extract_known, load_taught, study
from tubewiki.types import Extraction
from tubewiki.vault import Vault, as_strings

LEXICON_FILE = "lexicon/vault.pickle"

# How `prepare` runs one extraction over many videos, giving the results in the order
# of the videos: each is a pure function of its video and the lexicon, so a flow may
# spread them over its workers (`flows.backfill.on_workers`) where `serial` runs them here.
Mapper = Callable[[Callable[[Source], Extraction], Sequence[Source]], Sequence[Extraction]]


def serial(extract: Callable[[Source], Extraction], sources: Sequence[Source]) -> list[Extraction]:
    return [extract(source) for source in sources]


@dataclass
class RunPlan:
    """The videos a run plans, against which lexicon, and what it stores."""

    inputs: dict[str, VideoInput]
    lexicon: Lexicon  # the entries, each `has_note` as after the run
    linkable: set[str]  # the entity notes that exist after the run
    refresh: set[str]  # entity notes whose title, type or aliases are no longer their entry's
    kept: Snapshot  # what the run leaves for the next one
    studies: list[Study] = field(default_factory=list)  # records to store with the notes


def prepare(
    vault: Path,
    loaded: Vault,
    sources: Mapping[str, Source],
    studies: Mapping[str, Study],
    *,
    everything: bool = False,
    over: Mapper = serial,
) -> RunPlan:
    """Plan a run of `sources` (studied in `studies`) into the loaded vault; `over` runs
    the extractions against its lexicon."""
    sources = dict(sources)
    fresh = dict(studies)
    # The vault's videos: those with a video note (a reverted or deleted one stays out
    # until `rebuild`, which re-renders every cached video), and the run's own.
    cached = cache.cached_ids(vault)
    ids = {v for v in cached if everything or loaded.video_note(v) is not None} | set(sources)
    records: dict[str, tuple[Taught, ...]] = {v: s.taught for v, s in fresh.items()}
    for video_id in sorted(ids - set(records)):
        stored = load_taught(vault, video_id)
        if stored is None:  # made by other code, or lost: study it again
            sources[video_id] = _cached(vault, video_id)
            fresh[video_id] = study(vault, sources[video_id])
            stored = fresh[video_id].taught
        records[video_id] = stored
    snapshot = None if everything else _snapshot(vault)
    claims = {slug: tuple(sorted(by)) for slug, by in loaded.claims().items()}
    entries, squeezed, changed = _lexicon(loaded, records, claims, snapshot)
    old = snapshot.lexicon if snapshot is not None else None
    if old is None:
        todo = set(ids)
    else:
        names = lexicon.forms_of(old.get(s) for s in changed) | lexicon.forms_of(
            entries.get(s) for s in changed
        )
        todo = set(fresh) | videos_saying(vault, ids - set(fresh), _squeezed(names))
    known = KnownNames(entries, squeezed)
    allowed = lexicon.allowed(entries)

    def extract(video_ids: Iterable[str]) -> dict[str, VideoInput]:
        chosen = [sources.get(v) or _cached(vault, v) for v in sorted(video_ids)]
        found = over(partial(extract_known, vault, known=known, allowed=allowed), chosen)
        return {
            source.meta.video_id: VideoInput(
                meta=source.meta,
                extraction=extraction,
                transcript_kind=str(source.transcript.kind),
                language=source.transcript.language,
                duration=source.transcript.end,
            )
            for source, extraction in zip(chosen, found, strict=True)
        }

    inputs = extract(todo)
    current = loaded.slugs_of("entity")
    linkable = _notes_after(loaded, inputs)
    flipped = linkable ^ current
    if flipped and old is not None:  # links to a note made or gone: re-plan who says it
        names = lexicon.forms_of(entries.get(s) or old.get(s) for s in flipped)
        inputs.update(extract(videos_saying(vault, ids - set(inputs), _squeezed(names))))
    ending = lexicon.with_notes(entries, linkable, among=flipped)  # the rest say `current`
    return RunPlan(
        inputs=inputs,
        lexicon=ending,
        linkable=linkable,
        refresh={
            s
            for s in changed
            if s in linkable and (note := loaded.entity_note(s)) and disagrees(note, entries[s])
        },
        kept=Snapshot(ending, squeezed, loaded.generation, records, claims, tuple(flipped)),
        studies=[fresh[v] for v in sorted(fresh)],
    )


def state_files(plan: RunPlan) -> dict[str, bytes]:
    return {LEXICON_FILE: lexicon.dumps(plan.kept)}


def _lexicon(
    loaded: Vault,
    records: Mapping[str, tuple[Taught, ...]],
    claims: Mapping[str, tuple[str, ...]],
    old: Snapshot | None,
) -> tuple[Lexicon, dict[str, tuple[str, ...]], set[str]]:
    """The lexicon of the loaded vault and the videos' `records`, each entry's squeezed
    names, and the slugs whose entry is not the last run's (`old`); `claims` are the
    vault's `formerly` claims (`Vault.claims`).

    Only the entries that can differ from `old`'s are built again (`_dirty`):
    at 10,000 notes, a run that changes a few builds a few. Without a snapshot
    to start from, or when it cannot tell what changed since, it builds all.
    """
    slugs = _dirty(loaded, records, claims, old) if old is not None else None
    if old is None or slugs is None:
        entries = lexicon.build(loaded.known_entities(), records)
        squeezed = {slug: squeezed_names(entry) for slug, entry in entries.items()}
        return entries, squeezed, lexicon.changed(old.lexicon if old else {}, entries)
    entries = lexicon.update(old.lexicon, slugs, loaded, records)
    squeezed = dict(old.squeezed)
    for slug in slugs:
        if slug in entries:
            squeezed[slug] = squeezed_names(entries[slug])
        else:
            squeezed.pop(slug, None)
    return entries, squeezed, {s for s in slugs if old.lexicon.get(s) != entries.get(s)}


def _dirty(
    loaded: Vault,
    records: Mapping[str, tuple[Taught, ...]],
    claims: Mapping[str, tuple[str, ...]],
    old: Snapshot,
) -> set[str] | None:
    """The slugs whose entry can differ from `old`'s, or None when that cannot be told.

    They are the slugs of the notes whose front matter changed since (the note
    index's generation), those a video's record teaches or taught, if the
    record changed, and the notes the last run meant to make or delete; and,
    as a note takes in what the slugs it lists as `formerly` teach, every slug
    claiming or claimed by one of those.
    """
    paths = loaded.changed_since(old.generation) if old.generation is not None else None
    if paths is None:
        return None
    slugs = {slug_of(path) for path in paths}.union(old.flipped)
    for video in old.records.keys() | records.keys():
        before, now = old.records.get(video, ()), records.get(video, ())
        if before != now:
            slugs.update(t.slug for t in (*before, *now))
    links: dict[str, set[str]] = {}  # slug -> the slugs it claims or is claimed by
    for each in (old.claims, claims):
        for claimed, by in each.items():
            for slug in by:
                links.setdefault(claimed, set()).add(slug)
                links.setdefault(slug, set()).add(claimed)
    return slugs.union(*(links.get(slug, ()) for slug in slugs))


def _notes_after(loaded: Vault, inputs: Mapping[str, VideoInput]) -> set[str]:
    """The entity notes once `inputs` are planned: a note no video cites any more, and
    with nothing of a person's in it, is gone (`plan.disposable`)."""
    yielded: dict[str, set[str]] = {}
    for video_id, item in inputs.items():
        for entity in item.extraction.entities:
            slug = entity.slug
            if loaded.entity_note(slug) is None:
                slug = loaded.redirect(slug) or slug
            yielded.setdefault(slug, set()).add(video_id)
    # Only a note citing one of `inputs` can go; every other entity note stays.
    citing = {n.path: n for video_id in inputs for n in loaded.entity_notes_citing(video_id)}
    after = set(yielded)
    after.update(loaded.slugs_of("entity", besides=citing))
    for note in citing.values():
        cited = set(as_strings(note.meta.get("videos")))
        if not cited <= inputs.keys() or note.slug in yielded or not _vanishes(note, cited):
            after.add(note.slug)
    return after


def _vanishes(note: Note, cited: set[str]) -> bool:
    """Gone, when every video it cites (all in the run) no longer yields it."""
    return bool(cited) and disposable(note)


def _squeezed(forms: Iterable[str]) -> set[str]:
    """Names as `said.videos_saying` looks them up."""
    return {squeeze(f) for f in forms}


def _snapshot(vault: Path) -> Snapshot | None:
    path = state_dir(vault) / LEXICON_FILE
    try:
        return lexicon.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception:  # unreadable: extract every video again, which needs no snapshot
        return None


def _cached(vault: Path, video_id: str) -> Source:
    source = cache.load(vault, video_id)
    if source is None:
        raise StateError(f"the cached transcript of {video_id} is missing; ingest the video again")
    return source
