"""The channels and playlists a user follows, kept in a small hand-editable `watchlist.yaml`.

Users paste whatever YouTube shows them (a channel id, an @handle, a channel or
playlist URL), so `parse_entry` turns each into a `WatchEntry` with a normalised
`ref`, and refuses anything else with a one-line `ConfigError` listing the forms
it accepts. `load_watchlist` reads the file (a missing file is an empty list);
`save_watchlist` rewrites it atomically and deterministically, keeping the comment
block at its top, so `add_entry` and `remove_entry` never leave a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import takewhile
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

import yaml

from tubewiki.errors import ConfigError, InvalidVideoError, one_line
from tubewiki.youtube import parse_video_id, split_link

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("watchlist.yaml")
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)
HEADER = (
    "# channels and playlists tubewiki watches\n"
    "# each entry: `channel:` (a UC… id, an @handle or a channel URL) or `playlist:`\n"
    "# (an id or a playlist URL); optional: `name:`, `languages:` (default [en]) and\n"
    "# `since:` (YYYY-MM-DD, skip videos published before it)\n"
)

Kind = Literal["channel", "playlist"]

_CHANNEL_ID_RE = re.compile(r"UC[A-Za-z0-9_-]{22}")
_HANDLE_RE = re.compile(r"@[\w.-]{3,30}")
_LEGACY_NAME = r"[\w.-]{1,100}"
_LEGACY_RE = re.compile(rf"(c|user)/({_LEGACY_NAME})")
_PLAYLIST_RE = re.compile(r"(?:PL|UU|OL|FL)[A-Za-z0-9_-]{10,70}")
_FEEDLESS_LIST_RE = re.compile(r"(?:RD|LL|WL)[A-Za-z0-9_-]*")
_PLAIN_RE = re.compile(r"[\w][\w./-]*")
_KEYS = frozenset({"channel", "playlist", "name", "languages", "since"})
_FORMS = (
    "use a channel id (UC + 22 characters), an @handle, a youtube.com/channel/…, /@handle, "
    "/c/… or /user/… URL, a playlist id (PL…, UU…, OL…, FL…) or a youtube.com/playlist?list=… URL"
)

StrPath = str | os.PathLike[str]


class _Loader(yaml.SafeLoader):
    """Leaves dates as text: `since: 2026-02-30` then gets our message, not a ValueError."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class WatchEntry:
    """One followed channel or playlist; `ref` is a UC… id, `@handle`, `c/Name`,
    `user/Name` or a playlist id."""

    kind: Kind
    ref: str
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    since: date | None = None
    name: str = ""

    @property
    def url(self) -> str:
        """The page a person would open to check this entry."""
        if self.kind == "playlist":
            return f"https://www.youtube.com/playlist?list={quote(self.ref)}"
        return channel_page_url(self.ref)

    @property
    def label(self) -> str:
        """How messages and logs name the entry: `channel @x (Name)`."""
        suffix = f" ({self.name})" if self.name else ""
        return f"{self.kind} {self.ref}{suffix}"

    @property
    def key(self) -> tuple[str, str]:
        """Identity for duplicates: handles and custom names are case-insensitive, ids are not."""
        if self.kind == "channel" and not is_channel_id(self.ref):
            return (self.kind, self.ref.casefold())
        return (self.kind, self.ref)


def is_channel_id(value: str) -> bool:
    return _CHANNEL_ID_RE.fullmatch(value) is not None


def channel_page_url(ref: str) -> str:
    """The channel page for a normalised channel ref, where its id can be read."""
    if is_channel_id(ref):
        return f"https://www.youtube.com/channel/{ref}"
    if _HANDLE_RE.fullmatch(ref):
        return f"https://www.youtube.com/@{quote(ref[1:])}"
    match = _LEGACY_RE.fullmatch(ref)
    if match:
        return f"https://www.youtube.com/{match.group(1)}/{quote(match.group(2))}"
    raise ConfigError(f"{one_line(ref, 80)!r} is not a channel: {_FORMS}")


# --- parsing ------------------------------------------------------------------------------


def parse_entry(
    raw: str,
    *,
    languages: Sequence[str] | str = DEFAULT_LANGUAGES,
    since: date | str | None = None,
    name: str = "",
) -> WatchEntry:
    """Turn what a user pasted into an entry, or say in one line which forms work."""
    shown = one_line(raw, 80)
    parsed = _parse_ref(raw.strip())
    if parsed is None:
        raise ConfigError(_refusal(raw.strip(), shown))
    kind, ref = parsed
    return WatchEntry(
        kind=kind,
        ref=ref,
        languages=_languages(languages, shown),
        since=_since(since, shown),
        name=" ".join(str(name or "").split()),
    )


def _parse_ref(text: str) -> tuple[Kind, str] | None:
    if is_channel_id(text) or _HANDLE_RE.fullmatch(text):
        return ("channel", text)
    if _PLAYLIST_RE.fullmatch(text):
        return ("playlist", text)
    legacy = _LEGACY_RE.fullmatch(text)
    if legacy:
        return ("channel", f"{legacy.group(1)}/{legacy.group(2)}")
    return _ref_from_url(text)


def _ref_from_url(text: str) -> tuple[Kind, str] | None:
    link = split_link(text)
    if link is None:
        return None
    segments, query = [unquote(segment) for segment in link.segments], link.query
    first = segments[0] if segments and not link.short else ""
    if first == "channel" and len(segments) >= 2 and is_channel_id(segments[1]):
        return ("channel", segments[1])
    if first.startswith("@") and _HANDLE_RE.fullmatch(first):
        return ("channel", first)
    if first in ("c", "user") and len(segments) >= 2 and re.fullmatch(_LEGACY_NAME, segments[1]):
        return ("channel", f"{first}/{segments[1]}")
    if segments == ["feeds", "videos.xml"]:
        channel = query.get("channel_id", [""])[0]
        if is_channel_id(channel):
            return ("channel", channel)
        query = {"list": query.get("playlist_id", [])}
    playlist = query.get("list", [""])[0]
    if _PLAYLIST_RE.fullmatch(playlist):
        return ("playlist", playlist)
    return None


def _refusal(text: str, shown: str) -> str:
    what = "not a channel or playlist"
    link = split_link(text)
    if link is not None and _FEEDLESS_LIST_RE.fullmatch(link.query.get("list", [""])[0]):
        what = "a mix or a private list (RD…, LL…, WL…), which has no public feed"
    elif link is not None:
        with contextlib.suppress(InvalidVideoError):
            what = f"a single video ({parse_video_id(text)}), not a channel or playlist"
    return f"watchlist entry {shown!r} is {what}: {_FORMS}"


def _languages(value: object, shown: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    codes: tuple[str, ...] = ()
    if isinstance(items, list | tuple) and all(isinstance(x, str) for x in items):
        codes = tuple(dict.fromkeys(str(code).strip() for code in items))
    if not codes or "" in codes:
        raise ConfigError(
            f"watchlist entry {shown!r}: languages must be a list of codes such as [en, de], "
            f"not {one_line(repr(value), 60)}"
        )
    return codes


def _since(value: object, shown: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value.strip())
    raise ConfigError(
        f"watchlist entry {shown!r}: since {one_line(str(value), 40)!r} is not a date; "
        "write it as YYYY-MM-DD, e.g. 2026-01-01"
    )


# --- the file -----------------------------------------------------------------------------


def load_watchlist(path: StrPath = DEFAULT_PATH) -> list[WatchEntry]:
    """Read the watchlist; a missing file is an empty one, anything malformed is refused."""
    path = Path(path)
    text = _read(path)
    if text is None:
        return []
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise ConfigError(
            f"{path} is not valid YAML ({one_line(str(problem), 80)}{where}); fix it by hand"
        ) from None
    if data is None:  # only comments
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ConfigError(
            f"{path} must be a YAML list of entries (`- channel: …` or `- playlist: …`), "
            f"not a {type(data).__name__}"
        )
    entries: list[WatchEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for index, (item, item_node) in enumerate(zip(data, node.value, strict=True), start=1):
        where = f"{path}, entry {index} (line {item_node.start_mark.line + 1})"
        try:
            entry = _entry_from_yaml(item)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        if entry.key in seen:
            raise ConfigError(
                f"{where}: {entry.ref} is already entry {seen[entry.key]}; remove one of them"
            )
        seen[entry.key] = index
        entries.append(entry)
    log.debug("loaded %d watchlist entries from %s", len(entries), path)
    return entries


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read watchlist {path} ({type(err).__name__}: {err})") from None


def _entry_from_yaml(item: object) -> WatchEntry:
    if isinstance(item, str):
        return parse_entry(item)
    if not isinstance(item, dict):
        raise ConfigError(f"expected `channel: …` or `playlist: …`, not {one_line(repr(item), 60)}")
    unknown = sorted(str(key) for key in item if key not in _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}; an entry has `channel` or `playlist`, "
            "and optionally `name`, `languages` and `since`"
        )
    kinds = [key for key in ("channel", "playlist") if key in item]
    if len(kinds) != 1:
        raise ConfigError("an entry needs exactly one of `channel: …` or `playlist: …`")
    kind, raw, name = kinds[0], item[kinds[0]], item.get("name")
    if not isinstance(raw, str):
        raise ConfigError(f"{kind} {raw!r} is not text: {_FORMS}")
    if isinstance(name, bool) or not isinstance(name, str | int | float | None):
        raise ConfigError(f"name {one_line(repr(name), 60)} must be text")
    languages = item.get("languages", DEFAULT_LANGUAGES)
    entry = parse_entry(raw, languages=languages, since=item.get("since"), name=str(name or ""))
    if entry.kind != kind:
        raise ConfigError(f"{raw!r} is a {entry.kind}; write it as `{entry.kind}: {raw}`")
    return entry


def save_watchlist(path: StrPath, entries: Sequence[WatchEntry]) -> None:
    """Write the entries atomically, in order, keeping the file's top comment block."""
    path = Path(path)
    header = _header(_read(path) or "") or HEADER
    _write_atomic(path, header + dump_entries(entries))
    log.info("saved %d watchlist entries to %s", len(entries), path)


def dump_entries(entries: Sequence[WatchEntry]) -> str:
    """The YAML body for `entries`: the same entries always give the same bytes."""
    lines: list[str] = []
    for entry in entries:
        lines.append(f"- {entry.kind}: {_scalar(entry.ref)}")
        if entry.name:
            lines.append(f"  name: {_scalar(entry.name)}")
        if entry.languages != DEFAULT_LANGUAGES:
            lines.append(f"  languages: [{', '.join(_scalar(x) for x in entry.languages)}]")
        if entry.since is not None:
            lines.append(f"  since: {entry.since.isoformat()}")
    return "".join(line + "\n" for line in lines)


def _header(text: str) -> str:
    lines = takewhile(lambda line: line.startswith("#"), text.splitlines())
    return "".join(line + "\n" for line in lines)


def _scalar(value: str) -> str:
    """Plain when YAML reads it back as the same string, else a JSON (= YAML) quoted string."""
    if _PLAIN_RE.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _write_atomic(path: Path, text: str) -> None:
    """Temp file + os.replace: a crash or a concurrent reader sees the old file or the new."""
    target = Path(os.path.realpath(path))  # through a symlink, not over it
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as err:
        raise ConfigError(f"cannot write watchlist {path} ({err.strerror or err})") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def add_entry(
    path: StrPath,
    raw: str,
    languages: Sequence[str] | str = DEFAULT_LANGUAGES,
    since: date | str | None = None,
    name: str = "",
) -> WatchEntry:
    """Append one entry, refusing a second entry for the same channel or playlist."""
    entries = load_watchlist(path)
    entry = parse_entry(raw, languages=languages, since=since, name=name)
    old = next((e for e in entries if e.key == entry.key), None)
    if old is not None:
        raise ConfigError(f"{old.label} is already in {path}; remove it first to change it")
    save_watchlist(path, [*entries, entry])
    return entry


def remove_entry(path: StrPath, raw: str) -> WatchEntry:
    """Drop the entry `raw` names (any accepted form of its ref, or its name)."""
    entries = load_watchlist(path)
    parsed = _parse_ref(raw.strip())
    key = WatchEntry(*parsed).key if parsed else None
    by_name = [e for e in entries if e.name and e.name.casefold() == raw.strip().casefold()]
    match = next((e for e in entries if e.key == key), by_name[0] if by_name else None)
    if match is None:
        held = ", ".join(e.ref for e in entries[:8]) + (", …" if len(entries) > 8 else "")
        raise ConfigError(f"{one_line(raw, 80)!r} is not in {path} (it holds: {held or 'nothing'})")
    save_watchlist(path, [e for e in entries if e is not match])
    return match
