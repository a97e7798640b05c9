"""Replay YouTube for tests, through the real youtube-transcript-api, with `responses`.

`register_video` adds hand-built answers for the requests the library and
`tubewiki.youtube.fetch_metadata` make: the watch page (GET), the innertube player
(POST, matched on the `videoId` in its JSON body so several videos can share the
mock), each caption track's `baseUrl` (GET, XML) and oEmbed (GET). `failure`
switches one video to the answers YouTube gives when things go wrong, so the
library's own detection code runs. All titles, channels and sentences here are
invented. Use inside `replayed_youtube()`, where any request nobody registered
raises `requests.ConnectionError`: no test can reach the network by accident.

    with replayed_youtube() as rsps:
        register_video(rsps, "abcDEF12345", title="A talk", channel="Some Channel",
                       snippets=[(0.0, 2.5, "Hello there.")])
        transcript = fetch_transcript("abcDEF12345")
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import requests
import responses
from responses import matchers

__all__ = [
    "API_KEY",
    "FAILURES",
    "Track",
    "caption_url",
    "caption_xml",
    "oembed_json",
    "player_json",
    "register_video",
    "replayed_youtube",
    "watch_page_html",
]

API_KEY = "AIzaReplayKeyForTubewikiTests_0123456789"
WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
PLAYER_URL = f"https://www.youtube.com/youtubei/v1/player?key={API_KEY}"
OEMBED_URL = "https://www.youtube.com/oembed"
TIMEDTEXT_URL = "https://www.youtube.com/api/timedtext"

FAILURES = frozenset(
    {
        "captions_disabled",  # player has no `captions`        -> TranscriptsDisabled
        "unavailable",  # ERROR "This video is unavailable"     -> VideoUnavailable
        "age_restricted",  # LOGIN_REQUIRED, age reason          -> AgeRestricted
        "private",  # LOGIN_REQUIRED, other reason          -> VideoUnplayable
        "blocked",  # recaptcha page instead of watch page  -> IpBlocked
        "bot_check",  # LOGIN_REQUIRED "not a bot"            -> RequestBlocked
        "429",  # HTTP 429 on the watch page            -> IpBlocked
        "server_error",  # HTTP 500 on the player POST           -> YouTubeRequestFailed
        "network_down",  # every request raises ConnectionError  -> requests.ConnectionError
        "po_token",  # baseUrl carries &exp=xpe              -> PoTokenRequired
    }
)

_LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}
_BOT_REASON = "Sign in to confirm you\u2019re not a bot"
_AGE_REASON = "This video may be inappropriate for some users."
_UNAVAILABLE_REASON = "This video is unavailable"


@dataclass(frozen=True)
class Track:
    """One caption track: (start, duration, text) cues in one language."""

    snippets: Sequence[tuple[float, float, str]]
    language: str = "en"
    generated: bool = False


@contextmanager
def replayed_youtube() -> Iterator[responses.RequestsMock]:
    """A RequestsMock that lets nothing through: unregistered URLs raise ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def register_video(
    rsps: responses.RequestsMock,
    video_id: str,
    *,
    title: str,
    channel: str,
    snippets: Sequence[tuple[float, float, str]],
    generated: bool = False,
    description: str = "",
    language: str = "en",
    failure: str | None = None,
    extra_tracks: Sequence[Track] = (),
    channel_id: str | None = None,
    length_seconds: int | None = None,
    details_in_watch_page: bool = True,
    consent_wall: bool = False,
) -> None:
    """Register everything YouTube would answer about one video.

    `extra_tracks` adds more caption tracks (e.g. a generated one next to a manual
    one). `details_in_watch_page=False` leaves `videoDetails` out of the watch page
    so metadata must come from oEmbed. `consent_wall=True` serves the EU cookie
    consent form on the first watch-page GET, as YouTube does without a CONSENT cookie.
    """
    if failure is not None and failure not in FAILURES:
        raise ValueError(f"unknown failure {failure!r}; pick one of {sorted(FAILURES)}")
    watch = WATCH_URL.format(video_id=video_id)
    player_match = [matchers.json_params_matcher({"videoId": video_id}, strict_match=False)]
    oembed_match = [matchers.query_param_matcher({"url": watch, "format": "json"})]

    if failure == "network_down":
        down = requests.ConnectionError(f"replay: network is down for {video_id}")
        rsps.add(responses.GET, watch, body=down)
        rsps.add(responses.POST, PLAYER_URL, body=down, match=player_match)
        rsps.add(responses.GET, OEMBED_URL, body=down, match=oembed_match)
        return

    tracks = [Track(snippets, language, generated), *extra_tracks]
    po_token = failure == "po_token"
    if channel_id is None:
        channel_id = "UC" + hashlib.sha1(channel.encode()).hexdigest()[:22]
    if length_seconds is None:
        ends = [start + dur for track in tracks for start, dur, _ in track.snippets]
        length_seconds = math.ceil(max(ends, default=0.0))
    details = {
        "videoId": video_id,
        "title": title,
        "lengthSeconds": str(length_seconds),
        "channelId": channel_id,
        "shortDescription": description,
        "author": channel,
        "isLiveContent": False,
        "viewCount": "4242",
    }
    player = player_json(video_id, tracks, details=details, failure=failure, po_token=po_token)
    page_player = dict(player)
    if not details_in_watch_page:
        page_player.pop("videoDetails", None)

    if failure == "blocked":
        rsps.add(responses.GET, watch, body=_recaptcha_html(), content_type="text/html")
    elif failure == "429":
        rsps.add(responses.GET, watch, body="Too Many Requests", status=429)
    else:
        if consent_wall:
            rsps.add(responses.GET, watch, body=_consent_html(video_id), content_type="text/html")
        rsps.add(responses.GET, watch, body=watch_page_html(page_player), content_type="text/html")

    if failure == "server_error":
        rsps.add(responses.POST, PLAYER_URL, body="oops", status=500, match=player_match)
    else:
        rsps.add(responses.POST, PLAYER_URL, json=player, match=player_match)

    for track in tracks:
        rsps.add(
            responses.GET,
            caption_url(video_id, track, po_token=po_token).replace("&fmt=srv3", ""),
            body=caption_xml(track.snippets),
            content_type="text/xml",
        )

    if failure in ("blocked", "429"):
        rsps.add(
            responses.GET, OEMBED_URL, body="Too Many Requests", status=429, match=oembed_match
        )
    elif failure in ("unavailable", "private"):
        rsps.add(responses.GET, OEMBED_URL, body="Not Found", status=404, match=oembed_match)
    else:
        rsps.add(
            responses.GET,
            OEMBED_URL,
            json=oembed_json(video_id, title, channel),
            match=oembed_match,
        )


def caption_url(video_id: str, track: Track, *, po_token: bool = False) -> str:
    """A timedtext `baseUrl` shaped like YouTube's (the library strips `&fmt=srv3`)."""
    url = (
        f"{TIMEDTEXT_URL}?v={video_id}&ei=replay&caps=asr&xoaf=5&hl=en&ip=0.0.0.0&ipbits=0"
        f"&expire=1893456000&signature=replay&key=yt8&lang={track.language}"
    )
    if track.generated:
        url += "&kind=asr"
    if po_token:
        url += "&exp=xpe"
    return url + "&fmt=srv3"


def caption_xml(snippets: Sequence[tuple[float, float, str]]) -> str:
    """Timedtext XML. Text is HTML-escaped then XML-escaped, as YouTube does (`&amp;#39;`)."""
    cues = "".join(
        f'<text start="{start}" dur="{dur}">{xml_escape(html.escape(text))}</text>'
        for start, dur, text in snippets
    )
    return f'<?xml version="1.0" encoding="utf-8" ?><transcript>{cues}</transcript>'


def player_json(
    video_id: str,
    tracks: Sequence[Track],
    *,
    details: dict[str, Any],
    failure: str | None = None,
    po_token: bool = False,
) -> dict[str, Any]:
    """The innertube player response (also embedded in the watch page)."""
    status: dict[str, Any] = {"status": "OK", "playableInEmbed": True}
    if failure == "unavailable":
        status = {"status": "ERROR", "reason": _UNAVAILABLE_REASON}
    elif failure == "age_restricted":
        status = {"status": "LOGIN_REQUIRED", "reason": _AGE_REASON}
    elif failure == "bot_check":
        status = {"status": "LOGIN_REQUIRED", "reason": _BOT_REASON}
    elif failure == "private":
        status = {
            "status": "LOGIN_REQUIRED",
            "reason": "This video is private",
            "errorScreen": {
                "playerErrorMessageRenderer": {
                    "subreason": {"runs": [{"text": "The owner has not shared it with you."}]}
                }
            },
        }
    player: dict[str, Any] = {
        "responseContext": {"visitorData": "replay"},
        "playabilityStatus": status,
    }
    if failure in ("unavailable", "private"):
        return player
    player["videoDetails"] = details
    if failure == "captions_disabled":
        return player
    player["captions"] = {
        "playerCaptionsTracklistRenderer": {
            "captionTracks": [_caption_track(video_id, t, po_token) for t in tracks],
            "audioTracks": [{"captionTrackIndices": list(range(len(tracks)))}],
            "translationLanguages": [
                {"languageCode": code, "languageName": {"runs": [{"text": name}]}}
                for code, name in _LANGUAGE_NAMES.items()
            ],
            "defaultAudioTrackIndex": 0,
        }
    }
    return player


def _caption_track(video_id: str, track: Track, po_token: bool) -> dict[str, Any]:
    name = _LANGUAGE_NAMES.get(track.language, track.language)
    entry: dict[str, Any] = {
        "baseUrl": caption_url(video_id, track, po_token=po_token),
        "name": {"runs": [{"text": f"{name} (auto-generated)" if track.generated else name}]},
        "vssId": f"{'a' if track.generated else ''}.{track.language}",
        "languageCode": track.language,
        "isTranslatable": True,
        "trackName": "",
    }
    if track.generated:
        entry["kind"] = "asr"
    return entry


def _script_json(value: Any) -> str:
    """JSON safe inside <script>, escaped the way YouTube escapes it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def watch_page_html(player: dict[str, Any]) -> str:
    """A minimal watch page: the ytcfg API key the library needs and ytInitialPlayerResponse."""
    title = html.escape(str(player.get("videoDetails", {}).get("title", "YouTube")))
    cfg = _script_json({"INNERTUBE_API_KEY": API_KEY, "INNERTUBE_CONTEXT_CLIENT_NAME": 1})
    return (
        '<!DOCTYPE html><html lang="en"><head>'
        f"<title>{title} - YouTube</title>"
        f'<meta name="title" content="{title}"></head><body>'
        f'<script nonce="replay">ytcfg.set({cfg});</script>'
        f'<script nonce="replay">var ytInitialPlayerResponse = {_script_json(player)};'
        "var meta = document.createElement('meta');</script>"
        "</body></html>"
    )


def oembed_json(video_id: str, title: str, channel: str) -> dict[str, Any]:
    handle = "".join(ch for ch in channel.lower() if ch.isalnum()) or "channel"
    return {
        "title": title,
        "author_name": channel,
        "author_url": f"https://www.youtube.com/@{handle}",
        "type": "video",
        "version": "1.0",
        "provider_name": "YouTube",
        "provider_url": "https://www.youtube.com/",
        "thumbnail_url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
        "html": f'<iframe src="https://www.youtube.com/embed/{video_id}?feature=oembed"></iframe>',
    }


def _recaptcha_html() -> str:
    """What YouTube serves a blocked IP: no API key, a recaptcha form."""
    return (
        "<html><head><title>https://www.youtube.com/watch</title></head><body>"
        '<form id="captcha-form" method="post"><div class="g-recaptcha" '
        'data-sitekey="replay-site-key"></div></form>'
        "<p>Our systems have detected unusual traffic from your computer network.</p>"
        "</body></html>"
    )


def _consent_html(video_id: str) -> str:
    """The EU cookie-consent interstitial; the library reads `name="v"` to set CONSENT."""
    return (
        "<html><body>"
        '<form action="https://consent.youtube.com/s" method="POST">'
        f'<input type="hidden" name="continue" value="https://www.youtube.com/watch?v={video_id}">'
        '<input type="hidden" name="v" value="cb.20240101-00-p0.en+FX+321">'
        "<button>Accept all</button></form></body></html>"
    )
