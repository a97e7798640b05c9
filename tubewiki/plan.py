"""Plan the note changes one video makes, on the vault held in memory.

For a video this decides the paths and slugs of its video note, its entity
notes and its channel index, renders each managed block, and puts it in place
with `sections.upsert`, which keeps whatever a person wrote. Slugs are unique
across the vault, and a wikilink is only written to a note that exists once
the run is committed, so no link can dangle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tubewiki import sections
from tubewiki.journal import STATE_DIR
from tubewiki.lexicon import Entry
from tubewiki.notes import Note
from tubewiki.render import (
    ChannelBlockContext,
    Context,
    EntityIntroContext,
    EntitySectionContext,
    VideoContext,
    join_claims,
    plain,
    render,
    skipped_read,
    wikilink,
)
from tubewiki.slugs import slugify, unique_slug
from tubewiki.types import Claim, ClaimLink, Entity, Extraction, VideoMeta
from tubewiki.vault import ENTITY_DIR, Vault, as_strings
from tubewiki.youtube import video_url

INTRO_KEY = sections.INTRO
_FROM_LINE = re.compile(r"^From: \[\[[^\n]*<br/>[ \t]*$", re.MULTILINE)
TRANSCRIPT_LABELS = {
    "manual": "transcript: captions by the creator",
    "generated": "transcript: YouTube's automatic captions",
    "file": "transcript: a local file",
}


@dataclass(frozen=True, slots=True)
class VideoInput:
    meta: VideoMeta
    extraction: Extraction
    transcript_kind: str = "file"
    language: str = "en"
    duration: float = 0.0


@dataclass(frozen=True, slots=True)
class SectionReport:
    path: str
    key: str
    outcome: sections.Outcome


# A change to the in-memory vault that `pipeline.apply` commits as one run.
Edit = Callable[[Vault], list[SectionReport]]


def plan_video(
    vault: Vault,
    item: VideoInput,
    *,
    force: bool = False,
    templates: Path | None = None,
    lexicon: Mapping[str, Entry] | None = None,
    linkable: Collection[str] | None = None,
) -> list[SectionReport]:
    """Edit the in-memory vault for one video; return what happened to each block.

    `lexicon` gives each entity note its title, type and aliases; `linkable`
    the entity notes that exist once the run is done (by default, those that
    exist now and this video's).
    """
    meta, ex = item.meta, item.extraction
    lexicon = lexicon or {}
    taken = vault.slugs()
    # A new channel or video note leaves the slugs of the run's entity notes to them:
    # whichever video comes first, "Skyhook Labs" the company keeps `skyhook_labs`.
    reserved = taken | set(linkable or ())
    channel = _channel_note(vault, meta, reserved)
    vault.put(channel)
    video = _video_note(vault, meta, channel.slug, reserved)
    taken |= {channel.slug, video.slug}
    slugs = {e.slug: _entity_slug(vault, e.slug, taken) for e in ex.entities}
    if linkable is None:
        linkable = set(slugs.values()) | vault.slugs_of("entity")
    reports: list[SectionReport] = []

    def claims(items: Iterable[Claim], self_slug: str = "") -> list[str]:
        return join_claims([_remap(c, slugs) for c in items], linkable, self_slug)

    names = {e.slug: e.name for e in ex.entities}

    def links(entity_slugs: Iterable[str]) -> list[str]:
        return [wikilink(slugs[s], names[s]) for s in entity_slugs if s in slugs]

    video_ctx = VideoContext(
        url=video_url(meta.video_id),
        transcript_label=TRANSCRIPT_LABELS.get(item.transcript_kind, item.transcript_kind),
        intro=claims(ex.intro),
        topics=links(ex.topics),
        people=links(ex.people),
        skipped=[skipped_read(s.brand, s.start) for s in ex.skipped],
        sections=[{"title": plain(s.title), "claims": claims(s.claims)} for s in ex.sections],
    )
    video.meta.update(
        title=meta.title,
        videoId=meta.video_id,
        channel=channel.slug,
        url=video_url(meta.video_id),
        transcript=f"{item.transcript_kind} ({item.language})",
        duration=round(item.duration),
    )
    video.body = _with_from_line(video.body, [channel.slug])
    reports.append(_upsert(video, meta.video_id, "video_note.md.j2", video_ctx, force, templates))
    vault.put(video)

    video_link = wikilink(video.slug, meta.title)
    written: list[Entity] = []
    for entity in sorted(ex.entities, key=lambda e: slugs[e.slug]):
        slug = slugs[entity.slug]
        entry = lexicon.get(slug)
        note = vault.entity_note(slug) or vault.new_note(
            f"{ENTITY_DIR}/{slug}.md",
            "entity",
            {
                "title": entry.name if entry else entity.name,
                "videoId": meta.video_id,
                "type": entry.label if entry else entity.label,
            },
        )
        described = ex.descriptions.get(entity.slug, ())
        section = EntitySectionContext(
            video_link=video_link,
            description=claims(described, slug),
            claims=claims([c for c in ex.entity_claims[entity.slug] if c not in described], slug),
        )
        reports.append(
            _upsert(note, meta.video_id, "entity_section.md.j2", section, force, templates)
        )
        forms = [a for a in (entity.name, *entity.aliases) if a != note.meta["title"]]
        add_to_list(note, "aliases", sorted(forms, key=str.casefold))
        add_to_list(note, "channels", [channel.slug])
        add_to_list(note, "videos", [meta.video_id])
        vault.put(note)
        written.append(replace(entity, slug=slug))
    dropped = _drop_stale_sections(vault, meta.video_id, {e.slug for e in written})
    reports.extend(dropped)
    stale = [n for r in dropped if (n := vault.notes.get(r.path)) is not None]
    for note in [*vault.entity_notes_citing(meta.video_id), *stale]:
        refresh_entity_intro(vault, note, templates, lexicon.get(note.slug))

    channel_ctx = ChannelBlockContext(
        title=meta.title.replace("[", "(").replace("]", ")"),
        url=video_url(meta.video_id),
        links=[video_link]
        + [wikilink(e.slug, e.name) for e in sorted(written, key=lambda e: e.name.casefold())],
    )
    reports.append(
        _upsert(channel, meta.video_id, "channel_block.md.j2", channel_ctx, force, templates)
    )
    vault.put(channel)
    return [r for r in reports if r.outcome is not sections.Outcome.UNCHANGED]


def _channel_note(vault: Vault, meta: VideoMeta, taken: set[str]) -> Note:
    for note in vault.by_kind("channel"):
        same_id = meta.channel_id and note.meta.get("channelId") == meta.channel_id
        if same_id or str(note.meta.get("title", "")).casefold() == meta.channel.casefold():
            return note
    slug = unique_slug(slugify(meta.channel) or "channel", taken, suffix="channel")
    taken.add(slug)
    extra = {"channelId": meta.channel_id} if meta.channel_id else {}
    return vault.new_note(f"{slug}/{slug}.md", "channel", {"title": meta.channel, **extra})


def _video_note(vault: Vault, meta: VideoMeta, channel_slug: str, taken: set[str]) -> Note:
    existing = vault.video_note(meta.video_id)
    if existing is not None:
        return existing
    slug = unique_slug(slugify(meta.title) or slugify(meta.video_id), taken, suffix="video")
    taken.add(slug)
    return vault.new_note(f"{channel_slug}/{slug}.md", "video", {})


def _entity_slug(vault: Vault, slug: str, taken: set[str]) -> str:
    """The entity's note slug: its own, or a suffixed one when another note has it."""
    if vault.entity_note(slug) is None and (moved := vault.redirect(slug)):
        return moved
    candidate, n = slug, 1
    while candidate in taken and vault.entity_note(candidate) is None:
        candidate = f"{slug}_entity" if n == 1 else f"{slug}_entity_{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _remap(claim: Claim, slugs: dict[str, str]) -> Claim:
    links = tuple(
        ClaimLink(link.start, link.end, slugs.get(link.slug, link.slug)) for link in claim.links
    )
    return replace(claim, links=links)


def _upsert(
    note: Note, key: str, template: str, context: Context, force: bool, templates: Path | None
) -> SectionReport:
    content = render(template, context, override_dir=templates)
    note.body, outcome = sections.upsert(note.body, key, content, force=force, path=note.path)
    return SectionReport(note.path, key, outcome)


def _with_from_line(body: str, channel_slugs: Collection[str]) -> str:
    line = "From: " + ", ".join(f"[[{slug}]]" for slug in channel_slugs) + " <br/>"
    stripped = body.lstrip("\n")
    if _FROM_LINE.match(stripped):
        return _FROM_LINE.sub(line, stripped, count=1)
    return f"{line}\n\n{stripped}" if stripped else f"{line}\n"


def add_to_list(note: Note, key: str, values: Iterable[str]) -> None:
    """Union `values` into a front matter list, ignoring case.

    A list that gains a value is sorted, so it reads the same whichever video
    added what first; a list that gains nothing is left as people wrote it.
    """
    current = as_strings(note.meta.get(key))
    seen = {v.casefold() for v in current}
    new = [v for v in dict.fromkeys(values) if v.casefold() not in seen]
    if new or key not in note.meta:
        note.meta[key] = sorted([*current, *new], key=lambda v: (v.casefold(), v))


def _drop_stale_sections(vault: Vault, video_id: str, kept: set[str]) -> list[SectionReport]:
    """An entity this video no longer yields loses its section for the video."""
    reports = []
    for note in vault.entity_notes_citing(video_id):
        if note.slug in kept:
            continue
        current = next(
            (b for b in sections.blocks(note.body, path=note.path) if b.key == video_id), None
        )
        if current is not None and (current.edited or current.kept):
            continue  # a person's words (edited, or kept with `resolve`): leave them
        note.body = sections.remove(note.body, video_id, path=note.path)
        note.meta["videos"] = [v for v in as_strings(note.meta.get("videos")) if v != video_id]
        if not note.meta["videos"] and disposable(note):
            vault.delete(note.path)  # nothing left of it, and nothing of a person's
        else:
            vault.put(note)
        reports.append(SectionReport(note.path, video_id, sections.Outcome.REPLACED))
    return reports


# Front matter that tubewiki writes in an entity note; any other key is a person's.
ENTITY_KEYS = frozenset({"title", "videoId", "type", "tubewiki", "aliases", "channels", "videos"})


def disposable(note: Note) -> bool:
    """Whether the note holds nothing a person wrote: no key, text or edit of theirs.

    Such a note, once no video cites it, is deleted, as if no video had made it.
    """
    if set(note.meta) - ENTITY_KEYS:
        return False
    found = sections.blocks(note.body, path=note.path)
    if any(b.kind != "begin" or b.edited or b.kept for b in found):
        return False
    return not _FROM_LINE.sub("", sections.outside(note.body, path=note.path)).strip()


def vault_templates(root: Path) -> Path | None:
    """The vault's own template folder, which overrides the packaged templates."""
    override = root / STATE_DIR / "templates"
    return override if override.is_dir() else None


def refresh_entity_intro(
    vault: Vault, note: Note, templates: Path | None, entry: Entry | None = None
) -> None:
    """Rewrite an entity note's intro from its video sections.

    With the lexicon's `entry`, the title, type and aliases follow it.

    The description comes from the section of the video that says most about
    the entity (most claims, then video id, so the order of ingests does not
    matter), and the note's `videoId` names that video, whose transcript its
    anchors come from. Without one, the longest video's id serves.
    """
    videos = []
    longest: tuple[float, str] = (-1.0, "")
    cited = as_strings(note.meta.get("videos"))
    for video_id in cited:
        video = vault.video_note(video_id)
        if video is not None:
            videos.append(wikilink(video.slug, str(video.meta.get("title", video.slug))))
            longest = max(longest, (_number(video.meta.get("duration")), video_id))
    description, source = _description(note, set(cited))
    if source or longest[1]:
        note.meta["videoId"] = source or longest[1]
    if entry is not None:
        follow_entry(note, entry)
    channels = [c for c in as_strings(note.meta.get("channels")) if vault.has_slug(c)]
    note.body = _with_from_line(note.body, channels)
    intro = EntityIntroContext(
        name=str(note.meta.get("title", note.slug)),
        aliases=as_strings(note.meta.get("aliases"))[:6],
        description=description,
        videos=videos,
    )
    note.body, _ = sections.upsert(
        note.body,
        INTRO_KEY,
        render("entity_intro.md.j2", intro, override_dir=templates),
        path=note.path,
        first=True,
    )
    vault.put(note)


def disagrees(note: Note, entry: Entry) -> bool:
    """Whether the note's title, type or aliases (in any order) are not its entry's."""
    meta = note.meta
    return (
        str(meta.get("title", "")) != entry.name
        or str(meta.get("type", "")) != entry.label
        or set(as_strings(meta.get("aliases"))) != set(entry.aliases)
    )


def follow_entry(note: Note, entry: Entry) -> None:
    """Give the note its entry's title, type and aliases; aliases already right stay put."""
    if disagrees(note, entry):
        note.meta.update(title=entry.name, type=entry.label)
        note.meta["aliases"] = list(entry.aliases)


def _description(note: Note, videos: set[str]) -> tuple[str, str]:
    """The describing paragraph of the richest video section, and that video's id.

    A section a person edited or kept is theirs: its text is not quoted as
    what the transcript says, and editing it does not change the intro.
    """
    found: list[tuple[int, str, str]] = []
    for block in sections.blocks(note.body, path=note.path):
        if block.kind != "begin" or block.key not in videos or block.edited or block.kept:
            continue  # only tubewiki's own text is quoted as the transcript's
        lines = block.content.splitlines()
        prose = [ln for ln in lines if ln.strip() and not ln.startswith(("#", "- "))]
        if prose:
            bullets = sum(ln.startswith("- ") for ln in lines)
            found.append((-bullets, block.key, " ".join(prose)))
    if not found:
        return "", ""
    _, video_id, text = min(found)
    return text, video_id


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
