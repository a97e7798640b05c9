"""Merge and rename notes without breaking a single link or losing a word.

Both operations edit the in-memory vault only; `pipeline.apply` commits them
as one run, so they can be reviewed and reverted like an ingest. Every
wikilink in the vault that pointed at the old slug is rewritten, including
those inside tubewiki's own blocks, which stay recognisably unedited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from tubewiki import sections
from tubewiki.errors import VaultError
from tubewiki.notes import Note
from tubewiki.plan import (
    INTRO_KEY,
    SectionReport,
    add_to_list,
    refresh_entity_intro,
    vault_templates,
)
from tubewiki.slugs import slugify
from tubewiki.vault import Vault, as_strings

_WIKILINK = re.compile(
    r"\[\[(?P<target>[^\[\]|#\n]+?)(?P<rest>(?:#[^\[\]|\n]*)?\s*(?:\|[^\[\]\n]*)?)\]\]"
)
OWNED_LISTS = ("aliases", "channels", "videos")


def _norm(slug: str) -> str:
    return re.sub(r"[\s_\-]+", "_", slug.strip().lower())


def relink(body: str, old: str, new: str) -> str:
    """Point every `[[old...]]` at `new`, keeping headings and display text."""

    def swap(m: re.Match[str]) -> str:
        if _norm(m["target"]) != _norm(old):
            return m[0]
        return f"[[{new}{m['rest']}]]" if m["rest"].strip() else f"[[{new}]]"

    return _WIKILINK.sub(swap, body)


def merge(vault: Vault, source: str, target: str) -> list[SectionReport]:
    """Fold entity note `source` into `target`: sections, aliases, links, people's text."""
    src, dst = _entity(vault, source), _entity(vault, target)
    if src.path == dst.path:
        raise VaultError(f"cannot merge '{source}' into itself; name two different entity notes")
    reports = []
    dst_blocks = {b.key: b for b in sections.blocks(dst.body, path=dst.path) if b.kind == "begin"}
    displaced: list[str] = []  # person-owned blocks the target already has a block for
    for block in sections.blocks(src.body, path=src.path):
        if block.kind != "begin":
            continue  # a pending proposal is tubewiki's text: the next ingest proposes it again
        if block.edited or block.kept:  # a person's words: never re-hashed as tubewiki's
            if block.key in dst_blocks or block.key == INTRO_KEY:
                displaced.append(block.content.strip("\n"))
            else:
                dst.body = sections.adopt(dst.body, src.body, block, path=dst.path)
            continue
        if block.key == INTRO_KEY:
            continue
        content = block.content
        if block.key in dst_blocks:
            have = dst_blocks[block.key].content
            extra = [ln for ln in content.splitlines() if ln.startswith("- ") and ln not in have]
            content = have.rstrip("\n") + "\n" + "\n".join(extra) + "\n" if extra else have
        dst.body, outcome = sections.upsert(dst.body, block.key, content, path=dst.path)
        reports.append(SectionReport(dst.path, block.key, outcome))
    leftover = "\n\n".join(filter(None, [_people_text(src), *displaced]))
    if leftover:
        title = src.meta.get("title", src.slug)
        dst.body = f"{dst.body.rstrip()}\n\n## Notes merged from {title}\n\n{leftover}\n"
    _merge_meta(src, dst)
    _add_formerly(dst, src.slug, *as_strings(src.meta.get("formerly")))
    vault.delete(src.path)
    vault.put(dst)
    _relink_vault(vault, src.slug, dst.slug)
    refresh_entity_intro(vault, dst, vault_templates(vault.root))
    return reports


def rename(vault: Vault, old: str, new: str) -> list[SectionReport]:
    """Give a note a new slug (same folder) and rewrite every link to it."""
    note = vault.by_slug(old)
    if note is None:
        raise VaultError(
            f"no note with the slug '{old}' in the vault; check the file names in the vault"
        )
    if slugify(new) != new:
        raise VaultError(
            f"'{new}' is not a valid slug: use lower snake_case ASCII, "
            f"e.g. '{slugify(new) or 'new_name'}'"
        )
    if vault.by_slug(new) is not None:
        raise VaultError(
            f"a note with the slug '{new}' already exists; pick another or merge the notes"
        )
    folder = note.path.rsplit("/", 1)[0] + "/" if "/" in note.path else ""
    moved = replace(note, path=f"{folder}{new}.md", meta=dict(note.meta))  # keeps BOM, CRLF
    if note.kind == "entity":
        _add_formerly(moved, old)
    vault.delete(note.path)
    vault.put(moved)
    _relink_vault(vault, old, new)
    return []


def _entity(vault: Vault, slug: str) -> Note:
    note = vault.entity_note(slug)
    if note is None:
        raise VaultError(f"no entity note '{slug}' (looked for entities/{slug}.md); check the slug")
    return note


def _people_text(note: Note) -> str:
    """What a person wrote in a note outside tubewiki's blocks and From line."""
    text = sections.outside(note.body, path=note.path)
    lines = [ln for ln in text.splitlines() if not ln.startswith("From: [[")]
    return "\n".join(lines).strip()


def _merge_meta(src: Note, dst: Note) -> None:
    title = str(dst.meta.get("title", "")).casefold()
    for key in OWNED_LISTS:
        extra = as_strings(src.meta.get(key))
        if key == "aliases":
            extra = [str(src.meta.get("title", src.slug)), *extra]
        add_to_list(dst, key, [v for v in extra if v.casefold() != title])
    for key, value in src.meta.items():
        dst.meta.setdefault(key, value)


def _add_formerly(note: Note, *slugs: str) -> None:
    """Record old slugs, so a rebuild or a later ingest finds this note under them."""
    current = [s for s in as_strings(note.meta.get("formerly")) if s != note.slug]
    note.meta["formerly"] = list(dict.fromkeys([*current, *(s for s in slugs if s != note.slug)]))


def _relink_vault(vault: Vault, old: str, new: str) -> None:
    """Every link to `old`, in bodies and in the front matter that names notes by slug."""
    change: Callable[[str], str] = lambda body: relink(body, old, new)  # noqa: E731
    for note in list(vault.notes.values()):
        body = sections.rewrite(note.body, change, path=note.path)
        channels = as_strings(note.meta.get("channels"))
        if body == note.body and old not in channels and note.meta.get("channel") != old:
            continue
        note.body = body
        if old in channels:  # an entity note's channels: its From line is made from them
            note.meta["channels"] = list(dict.fromkeys(new if c == old else c for c in channels))
        if note.meta.get("channel") == old:  # a video note's channel
            note.meta["channel"] = new
        vault.put(note)
