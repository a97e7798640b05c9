"""Jinja2 rendering of note parts, plus the two inline forms the format fixes.

Templates live in the project's `templates/` folder (packaged as
`tubewiki/_templates`); a vault can override any of them by placing a file of
the same name in `VAULT/.tubewiki/templates/`. Each template receives one typed
context, so it is clear what it may use. Wikilinks and anchors are built here
in Python, never in templates, because their exact form is the contract.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from functools import cache
from pathlib import Path
from typing import TypedDict

import jinja2

from tubewiki.types import Claim

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIRS = (_PACKAGE_DIR.parent / "templates", _PACKAGE_DIR / "_templates")


class VideoSectionContext(TypedDict):
    title: str
    claims: list[str]


class VideoContext(TypedDict):
    url: str
    transcript_label: str
    intro: list[str]
    topics: list[str]
    people: list[str]
    skipped: list[str]
    sections: list[VideoSectionContext]


class EntitySectionContext(TypedDict):
    video_link: str
    description: list[str]
    claims: list[str]


class EntityIntroContext(TypedDict):
    name: str
    aliases: list[str]
    description: str
    videos: list[str]


class ChannelBlockContext(TypedDict):
    title: str
    url: str
    links: list[str]


def hms(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def anchor(seconds: float) -> str:
    t = hms(seconds)
    return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'


def plain(text: str) -> str:
    """Text safe inside a wikilink display or a Markdown link label."""
    return " ".join(text.replace("|", "-").replace("[", "(").replace("]", ")").split())


def wikilink(slug: str, display: str | None = None) -> str:
    shown = plain(display) if display else ""
    return f"[[{slug} | {shown}]]" if shown and shown != slug else f"[[{slug}]]"


def escape_inline(text: str) -> str:
    """Keep transcript words from turning into HTML tags or stray links."""
    return text.replace("[", "(").replace("]", ")").replace("<", "&lt;")


def claim_markdown(claim: Claim, linkable: Collection[str], *, self_slug: str = "") -> str:
    """The claim's own words, entity mentions linked, closed by its anchor."""
    parts: list[str] = []
    pos = 0
    for link in sorted(claim.links, key=lambda link: link.start):
        if link.start < pos or link.slug not in linkable:
            continue
        surface = claim.text[link.start : link.end]
        parts.append(escape_inline(claim.text[pos : link.start]))
        parts.append(_linked(surface, link.slug, self_slug))
        pos = link.end
    tail = claim.text[pos:].rstrip()
    stop = tail[-1] if tail[-1:] in {".", "!"} else "."
    parts.append(escape_inline(tail.rstrip(".!")))
    return f"{''.join(parts).rstrip()} {anchor(claim.start)}{stop}"


def _linked(surface: str, slug: str, self_slug: str) -> str:
    """A mention as a wikilink, or in bold on the entity's own note.

    An editorial replacement ("[Elon Musk]" for "he") keeps its brackets,
    escaped so Markdown shows them, and stays unlinked: brackets around a
    wikilink would break it.
    """
    if surface.startswith("[") and surface.endswith("]"):
        inner = plain(surface[1:-1])
        return f"\\[**{inner}**\\]" if slug == self_slug else f"\\[{inner}\\]"
    return f"**{plain(surface)}**" if slug == self_slug else wikilink(slug, surface)


def skipped_read(brand: str, seconds: float) -> str:
    """One sponsor read in the video note's "left out" line."""
    return f"{plain(escape_inline(brand))} {anchor(seconds)}"


@cache
def environment(override_dir: Path | None = None) -> jinja2.Environment:
    search = [str(d) for d in (override_dir, *TEMPLATE_DIRS) if d is not None and d.is_dir()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML; claim text is escaped in Python
    )
    env.filters["quote"] = lambda s: f'"{s}"'
    return env


Context = VideoContext | EntitySectionContext | EntityIntroContext | ChannelBlockContext


def render(
    name: str,
    context: Context,
    *,
    override_dir: Path | None = None,
) -> str:
    text = environment(override_dir).get_template(name).render(**context)
    return _tidy(text)


def _tidy(text: str) -> str:
    """Collapse the blank lines template logic leaves behind."""
    lines: list[str] = []
    for line in text.rstrip().splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines) + "\n"


def join_claims(
    claims: Sequence[Claim], linkable: Collection[str], self_slug: str = ""
) -> list[str]:
    return [claim_markdown(c, linkable, self_slug=self_slug) for c in claims]
