"""Managed blocks: the parts of a note that tubewiki owns, between markers.

    <!-- tubewiki:begin KEY sha=0123456789ab -->
    ...text tubewiki wrote...
    <!-- tubewiki:end KEY -->

KEY is a video id (or `intro`). The sha is a hash of the text as tubewiki wrote
it, so an edit made by a person inside the block is detected and never
overwritten: the new version is put beside it in a `proposed` block for the
person to resolve. Everything outside the markers belongs to people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from tubewiki.errors import NoteError

_BLOCK = re.compile(
    r"<!-- tubewiki:(?P<kind>begin|proposed) (?P<key>[\w-]+)"
    r"(?: sha=(?P<sha>[0-9a-f]+))?(?: kept=(?P<kept>[0-9a-f]+))? -->\n"
    r"(?P<content>.*?)"
    r"<!-- tubewiki:end(?P<endkind>-proposed)? (?P<endkey>[\w-]+) -->",
    re.DOTALL,
)
INTRO = "intro"  # the key of an entity note's opening block, which stays first
_ANY_MARKER = re.compile(r"<!-- tubewiki:[\w-]+ [\w-]+")


class Outcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "begin" or "proposed"
    key: str
    sha: str
    content: str
    start: int
    end: int
    kept: str = ""  # hash of the tubewiki version a person chose not to take

    @property
    def edited(self) -> bool:
        return self.kind == "begin" and digest(self.content) != self.sha


def digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def managed(key: str, content: str, *, kept: str = "") -> str:
    content = content.strip("\n") + "\n"
    extra = f" kept={kept}" if kept else ""
    return (
        f"<!-- tubewiki:begin {key} sha={digest(content)}{extra} -->\n"
        f"{content}<!-- tubewiki:end {key} -->"
    )


NOTICE = (
    "> [!warning] tubewiki: you edited the section above, so this newer version from the video "
    "was put here instead. Keep what you want, then run `tubewiki resolve` on this note."
)


def proposed(key: str, content: str) -> str:
    content = content.strip("\n") + "\n"
    return (
        f"<!-- tubewiki:proposed {key} -->\n{NOTICE}\n\n{content}"
        f"<!-- tubewiki:end-proposed {key} -->"
    )


def proposal(block: Block) -> str:
    """A proposed block's content, without the notice that explains it."""
    return block.content.removeprefix(f"{NOTICE}\n\n")


def blocks(body: str, *, path: str = "") -> list[Block]:
    """Every managed and proposed block, in order; a broken marker is an error."""
    found: list[Block] = []
    for m in _BLOCK.finditer(body):
        endkind = "proposed" if m["endkind"] else "begin"
        if m["endkey"] != m["key"] or endkind != m["kind"]:
            raise NoteError(
                f"note {path!r}: tubewiki marker for {m['key']} is closed by one for "
                f"{m['endkey']}; restore the matching end marker"
            )
        found.append(
            Block(
                m["kind"],
                m["key"],
                m["sha"] or "",
                m["content"],
                m.start(),
                m.end(),
                m["kept"] or "",
            )
        )
    if len(_ANY_MARKER.findall(body)) != 2 * len(found):
        raise NoteError(
            f"note {path!r} has an unmatched tubewiki marker: restore the "
            "'<!-- tubewiki:begin/end ... -->' pair or delete both"
        )
    return found


def upsert(
    body: str,
    key: str,
    content: str,
    *,
    force: bool = False,
    first: bool = False,
    path: str = "",
) -> tuple[str, Outcome]:
    """Put `content` in the block for `key`, respecting a person's edits.

    A new block goes before the first one when `first`; otherwise in key
    order among the other blocks (after the intro), so a note's
    sections read the same whichever video came first, or at the end. An
    edited block is kept and the new text is proposed right after it, unless
    `force`.
    """
    found = blocks(body, path=path)
    current = next((b for b in found if b.kind == "begin" and b.key == key), None)
    pending = next((b for b in found if b.kind == "proposed" and b.key == key), None)
    new_content = content.strip("\n") + "\n"
    new_block = managed(key, new_content)
    if current is not None and current.kept and not force:
        if current.kept == digest(new_content) and not current.edited:
            return body, Outcome.UNCHANGED  # the person already chose their version over this one
        current = replace(current, sha="")  # a newer tubewiki version: propose it again
    if current is None:
        return _insert(body, found, new_block, first=first, key=key), Outcome.ADDED
    if current.edited and not force:
        if current.sha == digest(new_content):
            # tubewiki would write what it wrote before: nothing to propose
            if pending is None:
                return body, Outcome.UNCHANGED
            return body[: pending.start].rstrip("\n") + body[pending.end :], Outcome.REPLACED
        suggestion = proposed(key, content)
        if pending is not None:
            body = body[: pending.start] + suggestion + body[pending.end :]
        else:
            body = f"{body[: current.end]}\n\n{suggestion}{body[current.end :]}"
        return body, Outcome.CONFLICT
    if pending is not None:
        body = body[: pending.start].rstrip("\n") + body[pending.end :]
    outcome = (
        Outcome.UNCHANGED if body[current.start : current.end] == new_block else Outcome.REPLACED
    )
    return body[: current.start] + new_block + body[current.end :], outcome


def _insert(
    body: str,
    found: list[Block],
    text: str,
    *,
    first: bool = False,
    key: str = "",
) -> str:
    """Put a whole block in key order among the others (first when `first`), or at the end."""
    if not found:
        return f"{body.rstrip()}\n\n{text}\n".lstrip("\n")
    later = [b for b in found if b.kind == "begin" and b.key != INTRO and b.key > key]
    if first or (later and key):
        at = found[0].start if first else later[0].start
        return f"{body[:at]}{text}\n\n{body[at:]}"
    at = found[-1].end
    return f"{body[:at]}\n\n{text}{body[at:]}"


def adopt(body: str, source: str, block: Block, *, path: str = "") -> str:
    """Move `block` (found in `source`) into `body` byte for byte, markers included.

    Its hash and `kept=` mark travel with it, so a person's edit stays a
    person's edit in its new note.
    """
    return _insert(body, blocks(body, path=path), source[block.start : block.end], key=block.key)


def resolve(body: str, key: str, *, take_proposed: bool, path: str = "") -> str:
    """Settle a conflict: keep the person's text (re-hashed) or take the proposal."""
    found = blocks(body, path=path)
    current = next((b for b in found if b.kind == "begin" and b.key == key), None)
    pending = next((b for b in found if b.kind == "proposed" and b.key == key), None)
    if current is None:
        return body
    if take_proposed and pending is not None:
        content, kept = proposal(pending), ""
    else:
        content = current.content
        kept = digest(proposal(pending)) if pending is not None else current.kept
    if pending is not None:
        body = body[: pending.start].rstrip("\n") + body[pending.end :]
    return body[: current.start] + managed(key, content, kept=kept) + body[current.end :]


def remove(body: str, key: str, *, path: str = "") -> str:
    """Drop the managed and proposed blocks for `key` (used when merging notes)."""
    for block in reversed(blocks(body, path=path)):
        if block.key == key:
            body = body[: block.start].rstrip("\n") + body[block.end :]
    return body


def rewrite(body: str, change: Callable[[str], str], *, path: str = "") -> str:
    """Apply `change` to a body; blocks no person had edited stay unedited (re-hashed).

    Only a block whose text `change` altered is re-hashed, and its `kept=` mark
    (the person chose their version over tubewiki's) stays: dropping it would
    make the person's kept text look like tubewiki's, and the next ingest
    would overwrite it.
    """
    pristine = {b.key for b in blocks(body, path=path) if b.kind == "begin" and not b.edited}
    changed = change(body)
    if changed == body:
        return body
    body = changed
    for block in reversed(blocks(body, path=path)):
        if block.kind == "begin" and block.key in pristine and block.edited:
            rehashed = managed(block.key, block.content, kept=block.kept)
            body = body[: block.start] + rehashed + body[block.end :]
    return body


def outside(body: str, *, path: str = "") -> str:
    """The text people own: everything but the managed and proposed blocks."""
    for block in reversed(blocks(body, path=path)):
        body = body[: block.start] + body[block.end :]
    return body
