"""Poll YouTube's public Atom feeds to learn which videos a watched channel or playlist has.

Each channel and playlist has a feed of its latest 15 videos at
`/feeds/videos.xml`, which needs no API key. A channel feed needs the channel id,
so `resolve_channel_id` reads it from the @handle (or /c/, /user/) page. Feeds are
parsed with feedparser into `FeedVideo`s, newest first. Failures leave as the same
one-line errors `tubewiki.youtube` raises: `NetworkError` and `RequestBlockedError`
are transient, `ConfigError` means the watchlist entry itself is wrong. YouTube's
feeds are known to answer 404 for channels that exist now and then, so a feed 404
only becomes a `ConfigError` when the channel's own page is missing too.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from time import struct_time
from typing import Any

import feedparser
import requests

from tubewiki.errors import (
    ConfigError,
    InvalidVideoError,
    NetworkError,
    RequestBlockedError,
    one_line,
)
from tubewiki.watchlist import WatchEntry, channel_page_url, is_channel_id, parse_entry
from tubewiki.youtube import (
    CONSENT_MARK,
    PROXY_HELP,
    TIMEOUT,
    ProxySettings,
    parse_video_id,
    video_url,
)

log = logging.getLogger(__name__)

FEED_URL = "https://www.youtube.com/feeds/videos.xml"
_HEADERS = {"Accept-Language": "en-US"}
_ID = r"(UC[A-Za-z0-9_-]{22})"
_TAG_RE = r"<{tag}\b([^>]*)>"
_ATTR_RE = re.compile(r"""([\w:-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_JSON_IDS = (re.compile(rf'"externalId"\s*:\s*"{_ID}"'), re.compile(rf'"channelId"\s*:\s*"{_ID}"'))
_CHANNEL_PATH_RE = re.compile(rf"/channel/{_ID}(?:[/?#\"']|$)")
_BLOCKED_MARKS = ("g-recaptcha", "unusual traffic from your computer network")


@dataclass(frozen=True)
class FeedVideo:
    """One video a feed lists; `published` is timezone-aware UTC."""

    video_id: str
    title: str
    channel: str
    channel_id: str
    published: datetime

    @property
    def url(self) -> str:
        return video_url(self.video_id)


def feed_url(entry: WatchEntry, channel_id: str | None = None) -> str:
    """The feed address; a channel known only by handle needs `channel_id` from
    `resolve_channel_id`."""
    if entry.kind == "playlist":
        return f"{FEED_URL}?playlist_id={entry.ref}"
    channel_id = channel_id or (entry.ref if is_channel_id(entry.ref) else None)
    if channel_id is None or not is_channel_id(channel_id):
        raise ValueError(f"{entry.label} needs its UC… channel id: call resolve_channel_id first")
    return f"{FEED_URL}?channel_id={channel_id}"


# --- channel ids --------------------------------------------------------------------------


def resolve_channel_id(
    ref: str,
    *,
    session: requests.Session | None = None,
    proxy: ProxySettings | None = None,
) -> str:
    """The UC… id behind an @handle, c/Name or user/Name, read from the channel page,
    because feeds are addressed by id only."""
    entry = parse_entry(ref)
    if entry.kind != "channel":
        raise ConfigError(f"{entry.ref} is a playlist, not a channel; it has no channel id")
    if is_channel_id(entry.ref):
        return entry.ref
    what = f"channel {entry.ref}"
    with _client(session) as http:
        response = _get(http, entry.url, what, proxy)
        if response.status_code in (404, 410):
            raise ConfigError(
                f"YouTube has no channel {entry.ref} (HTTP {response.status_code}); check the "
                "spelling in the watchlist, or use the channel id (UC…) from the channel's URL"
            )
        _raise_for_status(response, what)
        page = response.text
        if _channel_id_in_page(page) is None and CONSENT_MARK in page:
            consent = re.search(r'name="v" value="(.*?)"', page)
            if consent:  # the EU cookie wall: accept it, as tubewiki.youtube does
                http.cookies.set("CONSENT", "YES+" + consent.group(1), domain=".youtube.com")
                retry = _get(http, entry.url, what, proxy)
                _raise_for_status(retry, what)
                page = retry.text
    channel_id = _channel_id_in_page(page)
    if channel_id is None:
        if any(mark in page for mark in _BLOCKED_MARKS):
            raise RequestBlockedError(_blocked(what))
        raise NetworkError(
            f"could not find the channel id in YouTube's page for {entry.ref}; try again "
            "later, or put the channel id (UC…) in the watchlist instead"
        )
    log.info("resolved %s to %s", entry.ref, channel_id)
    return channel_id


def _channel_id_in_page(page: str) -> str | None:
    """The page's own channel id: canonical link and metadata first, since `channelId`
    also appears for other channels the page mentions."""
    for attrs in _tags(page, "link"):
        if attrs.get("rel") == "canonical":
            match = _CHANNEL_PATH_RE.search(attrs.get("href", ""))
            if match:
                return match.group(1)
    metas = list(_tags(page, "meta"))
    for attrs in metas:
        if attrs.get("itemprop") in ("identifier", "channelId"):
            content = attrs.get("content", "")
            if is_channel_id(content):
                return content
    for attrs in metas:
        if attrs.get("property") == "og:url":
            match = _CHANNEL_PATH_RE.search(attrs.get("content", ""))
            if match:
                return match.group(1)
    for pattern in _JSON_IDS:
        match = pattern.search(page)
        if match:
            return match.group(1)
    return None


def _tags(page: str, tag: str) -> Iterator[dict[str, str]]:
    for match in re.finditer(_TAG_RE.format(tag=tag), page, re.I):
        yield {key.lower(): value for key, _, value in _ATTR_RE.findall(match.group(1))}


# --- feeds --------------------------------------------------------------------------------


def parse_feed(xml: str | bytes, *, source: str = "a YouTube feed") -> list[FeedVideo]:
    """The feed's videos, newest first; a response that is no feed at all raises a
    transient `NetworkError` (usually an error page or a cut-off download)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parsed = feedparser.parse(io.BytesIO(data))  # a stream: never let feedparser fetch a URL
    feed = parsed.feed
    videos: dict[str, FeedVideo] = {}
    for item in parsed.entries:
        video = _video(item, feed, source)
        if video is not None and video.video_id not in videos:
            videos[video.video_id] = video
    if not videos and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "not an Atom feed"
        raise NetworkError(
            f"YouTube sent something tubewiki could not read as a feed from {source} "
            f"({one_line(str(reason), 80)}); this is usually temporary, try again later"
        )
    if parsed.get("bozo"):
        log.warning("feed from %s is not well-formed: %s", source, parsed.get("bozo_exception"))
    return sorted(videos.values(), key=lambda v: (v.published, v.video_id), reverse=True)


def _video(item: Any, feed: Any, source: str) -> FeedVideo | None:
    raw_id = item.get("yt_videoid") or str(item.get("id", "")).removeprefix("yt:video:")
    try:
        video_id = parse_video_id(raw_id or str(item.get("link", "")))
    except InvalidVideoError:
        log.warning("skipping a feed entry without a video id in %s", source)
        return None
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    if not isinstance(stamp, struct_time):
        log.warning("skipping video %s without a publication date in %s", video_id, source)
        return None
    return FeedVideo(
        video_id=video_id,
        title=str(item.get("title") or video_id),
        channel=str(item.get("author") or feed.get("author") or ""),
        channel_id=str(item.get("yt_channelid") or feed.get("yt_channelid") or ""),
        published=datetime(*stamp[:6], tzinfo=UTC),
    )


def fetch_feed(
    entry: WatchEntry,
    *,
    session: requests.Session | None = None,
    proxy: ProxySettings | None = None,
    channel_id: str | None = None,
) -> list[FeedVideo]:
    """The entry's recent videos published on or after `entry.since` (UTC), newest first.

    Pass `channel_id` when a handle's id is already known, to save a page fetch.
    """
    with _client(session) as http:
        resolved_here = False
        if entry.kind == "channel" and channel_id is None and not is_channel_id(entry.ref):
            channel_id = resolve_channel_id(entry.ref, session=http, proxy=proxy)
            resolved_here = True
        url = feed_url(entry, channel_id)
        response = _get(http, url, entry.label, proxy)
        if response.status_code in (404, 410):
            raise _missing_feed(entry, channel_id, http, proxy, exists=resolved_here)
        _raise_for_status(response, entry.label)
        videos = parse_feed(response.content, source=url)
    if entry.since is not None:
        cutoff = datetime.combine(entry.since, time.min, tzinfo=UTC)
        videos = [video for video in videos if video.published >= cutoff]
    log.info("%s: %d videos in its feed", entry.label, len(videos))
    return videos


def _missing_feed(
    entry: WatchEntry,
    channel_id: str | None,
    http: requests.Session,
    proxy: ProxySettings | None,
    *,
    exists: bool,
) -> ConfigError | NetworkError:
    """A feed 404 is permanent only if the channel or playlist page is gone as well."""
    page = channel_page_url(channel_id) if channel_id else entry.url
    if not exists:
        probe = _get(http, page, entry.label, proxy)
        if probe.status_code in (404, 410):
            return ConfigError(
                f"YouTube has no {entry.label} (HTTP {probe.status_code} for its feed and "
                f"page); fix or remove this watchlist entry"
            )
        _raise_for_status(probe, entry.label)
    return NetworkError(
        f"YouTube answered HTTP 404 for the feed of {entry.label} although its page exists; "
        f"YouTube's feeds do this at times, try again later (and if it persists, check {page})"
    )


# --- HTTP ---------------------------------------------------------------------------------


@contextmanager
def _client(session: requests.Session | None) -> Iterator[requests.Session]:
    """The caller's session, or a fresh one closed afterwards."""
    if session is not None:
        yield session
        return
    with requests.Session() as owned:
        yield owned


def _get(
    http: requests.Session, url: str, what: str, proxy: ProxySettings | None
) -> requests.Response:
    config = proxy.to_proxy_config() if proxy is not None else None
    proxies = {k: str(v) for k, v in config.to_requests_dict().items()} if config else None
    try:
        return http.get(url, headers=_HEADERS, proxies=proxies, timeout=TIMEOUT)
    except requests.RequestException as err:
        log.debug("GET %s failed", url, exc_info=True)
        raise NetworkError(
            f"could not reach YouTube for {what} ({type(err).__name__}); check your internet "
            "connection and proxy settings, then try again"
        ) from None


def _raise_for_status(response: requests.Response, what: str) -> None:
    if response.status_code == 429:
        raise RequestBlockedError(_blocked(what))
    if not response.ok:
        raise NetworkError(
            f"YouTube answered HTTP {response.status_code} for {what}; this is usually "
            "temporary, try again later"
        )


def _blocked(what: str) -> str:
    return (
        f"YouTube is blocking requests from this IP (bot check or HTTP 429) for {what}; "
        f"wait and try again, or {PROXY_HELP}"
    )
