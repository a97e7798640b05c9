"""Everything tubewiki asks of YouTube: video ids, transcripts, titles and chapters.

Users paste bare ids or any youtube.com / youtu.be link, so `parse_video_id` turns
those into an 11-character id. `fetch_transcript` goes through the real
youtube-transcript-api and `fetch_metadata` reads the watch page (falling back to
oEmbed). Every library or network failure leaves this module as a one-line
`tubewiki.errors` exception naming the video and the next step, and its
`transient` flag tells the fetch task whether retrying can help.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import ParseError

import requests
import youtube_transcript_api as yta
from youtube_transcript_api.proxies import GenericProxyConfig, ProxyConfig, WebshareProxyConfig

from tubewiki.errors import (
    ConfigError,
    EmptyTranscriptError,
    InvalidVideoError,
    NetworkError,
    RequestBlockedError,
    TranscriptUnavailableError,
    TubewikiError,
    one_line,
)
from tubewiki.limits import check_snippets
from tubewiki.sanitize import safe_meta, strip_controls
from tubewiki.types import Chapter, Snippet, Transcript, TranscriptKind, VideoMeta

log = logging.getLogger(__name__)

WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
OEMBED_URL = "https://www.youtube.com/oembed"
TIMEOUT = (10.0, 30.0)  # (connect, read) seconds

_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
    | {"youtube-nocookie.com", "www.youtube-nocookie.com"}
)
_SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_ID_PATH_PREFIXES = frozenset({"shorts", "embed", "live", "v", "e"})
PROXY_HELP = (
    "configure a proxy with --proxy-http/--proxy-https, or the TUBEWIKI_PROXY_HTTP/"
    "TUBEWIKI_PROXY_HTTPS or TUBEWIKI_WEBSHARE_USERNAME/TUBEWIKI_WEBSHARE_PASSWORD env vars"
)
CONSENT_MARK = 'action="https://consent.youtube.com/s"'


# --- ids and URLs -------------------------------------------------------------------------


def parse_video_id(value: str) -> str:
    """Return the 11-character id in a bare id or any YouTube link, so users can paste either."""
    text = value.strip()
    if _ID_RE.fullmatch(text):
        return text
    video_id = _id_from_url(text)
    if video_id is None:
        raise InvalidVideoError(
            f"not a YouTube video id or URL: {one_line(value, 80)!r} (pass an 11-character "
            "id like dQw4w9WgXcQ or a youtube.com / youtu.be link)"
        )
    return video_id


class YouTubeLink(NamedTuple):
    short: bool  # youtu.be
    segments: list[str]
    query: dict[str, list[str]]


def split_link(text: str) -> YouTubeLink | None:
    """A link's path and query if it points at YouTube (the scheme may be left out)."""
    if text.startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if host not in _YOUTUBE_HOSTS and host not in _SHORT_HOSTS:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    return YouTubeLink(host in _SHORT_HOSTS, segments, parse_qs(parts.query))


def _id_from_url(text: str) -> str | None:
    link = split_link(text) if text else None
    if link is None:
        return None
    segments = link.segments
    candidate: str | None = None
    if link.short and segments:
        candidate = segments[0]
    elif not link.short:
        if segments == ["watch"]:
            candidate = link.query.get("v", [""])[0]
        elif len(segments) >= 2 and segments[0] in _ID_PATH_PREFIXES:
            candidate = segments[1]
    return candidate if candidate and _ID_RE.fullmatch(candidate) else None


def video_url(video_id: str) -> str:
    """The canonical watch URL, used in notes, indexes and oEmbed queries."""
    return WATCH_URL.format(video_id=video_id)


# --- proxies ------------------------------------------------------------------------------

_PROXY_ENV = {
    "http_url": "TUBEWIKI_PROXY_HTTP",
    "https_url": "TUBEWIKI_PROXY_HTTPS",
    "webshare_username": "TUBEWIKI_WEBSHARE_USERNAME",
    "webshare_password": "TUBEWIKI_WEBSHARE_PASSWORD",
}


@dataclass(frozen=True)
class ProxySettings:
    """Where to send YouTube requests: YouTube blocks most cloud IPs, and a proxy gets past it.

    Webshare credentials win over the generic URLs, because a rotating residential
    pool is what actually works against IP blocks.
    """

    http_url: str | None = None
    https_url: str | None = None
    webshare_username: str | None = None
    webshare_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        """Read the TUBEWIKI_PROXY_* / TUBEWIKI_WEBSHARE_* variables; blank counts as unset."""
        env = os.environ if environ is None else environ
        return cls(
            **{name: (env.get(var) or "").strip() or None for name, var in _PROXY_ENV.items()}
        )

    def merged(self, override: ProxySettings | None) -> ProxySettings:
        """Let `override` (CLI options) beat `self` (env) field by field.

        An override that names only generic URLs also drops inherited Webshare
        credentials, or those would silently win over what the user just typed.
        """
        if override is None:
            return self
        changes = {
            f.name: getattr(override, f.name) for f in fields(self) if getattr(override, f.name)
        }
        result = replace(self, **changes)
        if (override.http_url or override.https_url) and not (
            override.webshare_username or override.webshare_password
        ):
            result = replace(result, webshare_username=None, webshare_password=None)
        return result

    def to_env(self, environ: MutableMapping[str, str]) -> None:
        """Make `environ` say exactly these settings, for a flow that reads `from_env`.

        Flows take proxies from the environment, never from parameters, so no
        secret is stored with a run.
        """
        for name, var in _PROXY_ENV.items():
            value = getattr(self, name)
            if value:
                environ[var] = value
            else:
                environ.pop(var, None)

    @property
    def configured(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def to_proxy_config(self) -> ProxyConfig | None:
        """The youtube-transcript-api config for these settings, or None for a direct connection."""
        if bool(self.webshare_username) != bool(self.webshare_password):
            raise ConfigError(
                "Webshare proxy needs both a username and a password: set both "
                "TUBEWIKI_WEBSHARE_USERNAME and TUBEWIKI_WEBSHARE_PASSWORD, or neither"
            )
        if self.webshare_username and self.webshare_password:
            return WebshareProxyConfig(
                proxy_username=self.webshare_username, proxy_password=self.webshare_password
            )
        if self.http_url or self.https_url:
            return GenericProxyConfig(http_url=self.http_url, https_url=self.https_url)
        return None


class _TimeoutSession(requests.Session):
    """A Session with a default timeout: the library sets none, and a stalled socket would
    hang a flow forever."""

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


# --- transcripts --------------------------------------------------------------------------


def fetch_transcript(
    video_id: str,
    languages: Sequence[str] = ("en",),
    *,
    session: requests.Session | None = None,
    proxy: ProxySettings | None = None,
) -> Transcript:
    """Fetch a video's captions, preferring a human-made track over YouTube's speech recognition.

    Any manually created track in `languages` (tried in order) beats every generated
    one, because generated captions are lowercase and unpunctuated. Failures raise:

    - `TranscriptUnavailableError` (permanent): captions off, no track in the
      languages, video unavailable/private/age-restricted, or a PO token required
      (youtube-transcript-api cannot mint one, so retrying cannot help);
    - `RequestBlockedError` (transient): IP blocked, bot check, HTTP 429, consent wall;
    - `NetworkError` (transient): no connection, timeouts, HTTP 5xx, and data the
      library could not parse (usually an interstitial page or a passing glitch);
    - `EmptyTranscriptError`: the track exists but holds no text.
    """
    video_id = parse_video_id(video_id)
    wanted = _languages(languages)
    config = proxy.to_proxy_config() if proxy is not None else None
    api = yta.YouTubeTranscriptApi(proxy_config=config, http_client=session or _TimeoutSession())
    try:
        listing = api.list(video_id)
        track = _choose_track(listing, wanted, video_id)
        fetched = track.fetch()
    except (yta.YouTubeTranscriptApiException, requests.RequestException) as err:
        log.debug("transcript fetch for %s failed", video_id, exc_info=True)
        raise _translate_error(err, video_id, proxied=config is not None) from None
    except (ParseError, KeyError, IndexError, TypeError, ValueError) as err:
        log.debug("unreadable YouTube data for %s", video_id, exc_info=True)
        raise _unreadable(video_id, err) from None

    snippets = tuple(
        Snippet(text=strip_controls(part.text), start=part.start, duration=part.duration)
        for part in fetched
        if strip_controls(part.text).strip()
    )
    if not snippets:
        raise EmptyTranscriptError(
            f"the {track.language_code} transcript of video {video_id} is empty; "
            "provide a transcript file instead"
        )
    check_snippets(snippets, f"the {track.language_code} transcript of video {video_id}")
    kind = TranscriptKind.GENERATED if track.is_generated else TranscriptKind.MANUAL
    log.info("fetched %s %s transcript of %s", kind, track.language_code, video_id)
    return Transcript(video_id=video_id, snippets=snippets, language=track.language_code, kind=kind)


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    wanted = (languages,) if isinstance(languages, str) else tuple(languages)
    wanted = tuple(code.strip() for code in wanted if code.strip())
    if not wanted:
        raise ConfigError("no transcript language given: pass at least one code such as 'en'")
    return wanted


def _choose_track(
    listing: yta.TranscriptList, languages: tuple[str, ...], video_id: str
) -> yta.Transcript:
    for find in (listing.find_manually_created_transcript, listing.find_generated_transcript):
        try:
            return find(languages)
        except yta.NoTranscriptFound:
            continue
    available = ", ".join(
        f"{track.language_code}{' (auto-generated)' if track.is_generated else ''}"
        for track in listing
    )
    raise TranscriptUnavailableError(
        f"video {video_id} has no transcript in {', '.join(languages)} "
        f"(available: {available or 'none'}); ask for one of the available languages "
        "or provide a transcript file"
    )


_PERMANENT: dict[type[Exception], str] = {  # why there is no transcript, and what to do
    yta.PoTokenRequired: "YouTube serves its captions only with a PO token, which tubewiki "
    "cannot obtain; provide a transcript file instead",
    yta.TranscriptsDisabled: "its captions are turned off; provide a transcript file instead",
    yta.VideoUnavailable: "it is unavailable (removed, or the id is wrong); check the id",
    yta.InvalidVideoId: "it is unavailable (removed, or the id is wrong); check the id",
    yta.AgeRestricted: "it is age-restricted and YouTube hides its captions from anonymous "
    "requests; provide a transcript file instead",
}


def _translate_error(err: Exception, video_id: str, *, proxied: bool) -> TubewikiError:
    """Map a youtube-transcript-api or requests failure to a one-line tubewiki error."""
    v = video_id
    status = _status_of(err) if isinstance(err, yta.YouTubeRequestFailed) else None
    # RetryError: urllib3 gave up after a proxy config's retries on HTTP 429.
    if isinstance(err, yta.RequestBlocked | requests.exceptions.RetryError) or status == 429:
        return RequestBlockedError(_blocked_message(v, proxied))
    if isinstance(err, yta.FailedToCreateConsentCookie):
        return RequestBlockedError(
            f"YouTube kept showing its cookie-consent page for video {v}; try again later, "
            f"or {PROXY_HELP} in another region"
        )
    if isinstance(err, yta.YouTubeRequestFailed):
        return _server_error(v, status)
    if isinstance(err, requests.RequestException):
        return NetworkError(
            f"could not reach YouTube for video {v} ({type(err).__name__}); check your "
            "internet connection and proxy settings, then try again"
        )
    if isinstance(err, yta.VideoUnplayable):
        reason = "; ".join([err.reason or "no reason given", *err.sub_reasons])
        return TranscriptUnavailableError(
            f"video {v} cannot be played ({one_line(reason, 160)}); check that it is public"
        )
    for cls, why in _PERMANENT.items():
        if isinstance(err, cls):
            return TranscriptUnavailableError(f"no transcript for video {v}: {why}")
    if isinstance(err, yta.YouTubeDataUnparsable):
        return _unreadable(v, err)
    return TranscriptUnavailableError(
        f"could not fetch a transcript for video {v} ({type(err).__name__}); "
        "provide a transcript file instead"
    )


def _server_error(video_id: str, status: int | None) -> NetworkError:
    return NetworkError(
        f"YouTube answered HTTP {status or 'error'} for video {video_id}; this is usually "
        "temporary, try again later"
    )


def _blocked_message(video_id: str, proxied: bool) -> str:
    if proxied:
        return (
            f"YouTube is blocking requests for video {video_id} even through the configured "
            "proxy; use a rotating residential proxy (TUBEWIKI_WEBSHARE_USERNAME/"
            "TUBEWIKI_WEBSHARE_PASSWORD) or try again later"
        )
    return (
        f"YouTube is blocking requests from this IP (bot check or HTTP 429) for video "
        f"{video_id}; wait and try again, or {PROXY_HELP}"
    )


def _unreadable(video_id: str, err: Exception) -> NetworkError:
    return NetworkError(
        f"YouTube sent data for video {video_id} that tubewiki could not read "
        f"({type(err).__name__}: often an interstitial page or a YouTube change); try again "
        "later, and upgrade youtube-transcript-api if it keeps happening"
    )


def _status_of(err: yta.YouTubeRequestFailed) -> int | None:
    context = err.__context__
    response = getattr(context, "response", None)
    if response is not None:
        return int(response.status_code)
    match = re.match(r"\s*(\d{3})\b", err.reason)
    return int(match.group(1)) if match else None


# --- metadata -----------------------------------------------------------------------------


def fetch_metadata(
    video_id: str,
    *,
    session: requests.Session | None = None,
    proxy: ProxySettings | None = None,
) -> VideoMeta:
    """Title, channel and chapters from the watch page, or title and channel from oEmbed.

    The watch page's `ytInitialPlayerResponse` carries the description (hence the
    chapters) and channel id; oEmbed is the fallback when YouTube serves a page
    without it. Errors map like `fetch_transcript`'s.
    """
    video_id = parse_video_id(video_id)
    config = proxy.to_proxy_config() if proxy is not None else None
    proxies = {k: str(v) for k, v in config.to_requests_dict().items()} if config else None
    client = _Client(session or _TimeoutSession(), video_id, proxies)
    try:
        details = _watch_page_details(client)
        if details is None:
            log.info("no videoDetails in the watch page of %s; asking oEmbed", video_id)
            return _oembed_meta(client)
    except requests.RequestException as err:
        log.debug("metadata fetch for %s failed", video_id, exc_info=True)
        raise _translate_error(err, video_id, proxied=config is not None) from None
    description = str(details.get("shortDescription") or "")
    return safe_meta(
        VideoMeta(
            video_id=video_id,
            title=str(details.get("title") or video_id),
            channel=str(details.get("author") or ""),
            channel_id=str(details.get("channelId") or ""),
            chapters=parse_chapters(description, _seconds(details.get("lengthSeconds"))),
        )
    )


@dataclass(frozen=True)
class _Client:
    """One video's metadata requests: same session, proxies and error mapping for each."""

    http: requests.Session
    video_id: str
    proxies: dict[str, str] | None

    def get(self, url: str, params: dict[str, str] | None = None) -> requests.Response:
        headers = {"Accept-Language": "en-US"}
        response = self.http.get(
            url, params=params, proxies=self.proxies, headers=headers, timeout=TIMEOUT
        )
        if response.status_code == 429:
            raise RequestBlockedError(_blocked_message(self.video_id, self.proxies is not None))
        if response.status_code >= 500:
            raise _server_error(self.video_id, response.status_code)
        return response


def _watch_page_details(client: _Client) -> dict[str, Any] | None:
    url = video_url(client.video_id)
    response = client.get(url)
    if not response.ok:
        return None
    html = response.text
    consent = re.search(r'name="v" value="(.*?)"', html) if CONSENT_MARK in html else None
    if consent:  # the EU cookie wall: accept it the way youtube-transcript-api does
        client.http.cookies.set("CONSENT", "YES+" + consent.group(1), domain=".youtube.com")
        html = client.get(url).text
    details = (_player_response(html) or {}).get("videoDetails")
    return details if isinstance(details, dict) and details.get("title") else None


def _player_response(html: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for match in re.finditer(r"ytInitialPlayerResponse\s*=\s*", html):
        try:
            value, _ = decoder.raw_decode(html, match.end())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _oembed_meta(client: _Client) -> VideoMeta:
    params = {"url": video_url(client.video_id), "format": "json"}
    response = client.get(OEMBED_URL, params)
    if 400 <= response.status_code < 500:
        raise TranscriptUnavailableError(
            f"YouTube has no public details for video {client.video_id} "
            f"(HTTP {response.status_code}): it is private, removed or not embeddable; "
            "check the id"
        )
    try:
        data = response.json()
        title, channel = str(data["title"]), str(data.get("author_name") or "")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise _unreadable(client.video_id, err) from None
    return safe_meta(VideoMeta(video_id=client.video_id, title=title, channel=channel))


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


# --- chapters -----------------------------------------------------------------------------

_TS = r"(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,3}):(?P<s>[0-5]\d)"
_LEADING = re.compile(rf"^[\s*•·-]*[(\[]?{_TS}[)\]]?(?:\s*[-–—:|.]\s*|\s+)(?P<title>.*\S)\s*$")
_TRAILING = re.compile(rf"^[\s*•·-]*(?P<title>.*?\S)\s*[-–—:|]?\s*[(\[]?{_TS}[)\]]?\s*$")


def parse_chapters(description: str, duration: float | None = None) -> tuple[Chapter, ...]:
    """Chapters from a description, by YouTube's rule: the first timestamp is 0:00,
    at least three, each later than the last.

    Timestamp lines after the list stops increasing (or passes `duration`) are
    ignored, since descriptions often cite other moments below the chapter list.
    """
    chapters: list[Chapter] = []
    for line in description.splitlines():
        parsed = _chapter_line(line)
        if parsed is None:
            continue
        if not chapters and parsed.start != 0:
            return ()
        if chapters and parsed.start <= chapters[-1].start:
            break
        if duration is not None and parsed.start >= duration:
            break
        chapters.append(parsed)
    return tuple(chapters) if len(chapters) >= 3 else ()


def _chapter_line(line: str) -> Chapter | None:
    match = _LEADING.match(line) or _TRAILING.match(line)
    if match is None:
        return None
    hours, minutes, seconds = match.group("h"), int(match.group("m")), int(match.group("s"))
    if hours is not None and minutes >= 60:
        return None
    title = match.group("title").strip(" \t-–—:|•·*")
    if re.fullmatch(r"[\d:.\s]*", title):  # "1:02:03" alone is a time, not "1" at 2:03
        return None
    return Chapter(start=float(int(hours or 0) * 3600 + minutes * 60 + seconds), title=title)
