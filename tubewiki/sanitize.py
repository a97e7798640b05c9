"""Make a video's title, channel name and chapter titles safe to write into notes.

They come from YouTube, from `--title`/`--channel` or from the cache, and end
up in front matter, headings and link text. Like caption text, they must not
carry raw HTML (`<img onerror=…>`, `<script>`) that Obsidian or Quartz would
render, nor control or bidi-override characters (NUL, BEL, ESC, U+202E) that
corrupt files or reverse what a reader sees. `safe_meta` is applied where a
`VideoMeta` is built, so templates and the planner only ever see clean text.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import replace

from tubewiki.types import Chapter, VideoMeta

MAX_TITLE = 300
MAX_CHANNEL = 120

# Bidi embeddings, overrides and isolates, and the invisible direction marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Angle brackets become look-alike quotes: `<img onerror=…>` and `<live>` stay
# readable but can never open a tag in Obsidian or Quartz.
_ANGLES = str.maketrans({"<": "‹", ">": "›"})


def safe_text(text: str, limit: int = MAX_TITLE) -> str:
    """One line of plain text: no `<`/`>`, no control or bidi characters, at most `limit` long."""
    text = html.unescape(text) if "&" in text else text
    flat = " ".join(strip_controls(text.translate(_ANGLES)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def strip_controls(text: str) -> str:
    """Drop control, bidi-override and BOM characters; whitespace controls become spaces.

    Caption text goes through this too, so no alias or link text carries them."""
    if text.isprintable():
        return text
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or (ch not in _BIDI and ch != "\ufeff" and unicodedata.category(ch) != "Cc")
    )


def safe_meta(meta: VideoMeta) -> VideoMeta:
    """`meta` with every human-readable field made safe; an emptied title falls back to the id."""
    return replace(
        meta,
        title=safe_text(meta.title) or f"Video {meta.video_id}",
        channel=safe_text(meta.channel, MAX_CHANNEL),
        channel_id=safe_text(meta.channel_id, MAX_CHANNEL),
        chapters=tuple(
            Chapter(c.start, safe_text(c.title) or f"Part {n}")
            for n, c in enumerate(meta.chapters, 1)
        ),
    )
