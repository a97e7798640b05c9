"""tubewiki.youtube: id parsing, transcript and metadata fetches (replayed), chapters, proxies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

from tests.replay import Track, register_video, replayed_youtube
from tubewiki.errors import (
    ConfigError,
    EmptyTranscriptError,
    InvalidVideoError,
    NetworkError,
    RequestBlockedError,
    TranscriptUnavailableError,
    TubewikiError,
)
from tubewiki.types import Chapter, TranscriptKind
from tubewiki.youtube import (
    ProxySettings,
    fetch_metadata,
    fetch_transcript,
    parse_chapters,
    parse_video_id,
    video_url,
)

VID = "Xy7_kQ-3zP0"
CUES = [(0.0, 2.5, "Welcome to the lighthouse tour."), (2.5, 3.0, "The lamp was lit in 1871.")]
DESCRIPTION = """A walk around an invented lighthouse.

0:00 Arrival at the cliff
1:15 - The lamp room
(2:40) Keepers and their logbooks
Storms of the north coast 4:05

Music by nobody in particular. See also 9:99 and 1:00.
"""


@pytest.fixture
def yt() -> Iterator[responses.RequestsMock]:
    with replayed_youtube() as rsps:
        yield rsps


def _add(rsps: responses.RequestsMock, **kwargs: Any) -> None:
    options: dict[str, Any] = {
        "title": "The Lighthouse Tour",
        "channel": "Coastal Curiosities",
        "snippets": CUES,
        "description": DESCRIPTION,
    }
    options.update(kwargs)
    register_video(rsps, VID, **options)


def _assert_one_line(err: TubewikiError, *needles: str) -> None:
    message = str(err)
    assert "\n" not in message
    assert VID in message
    for needle in needles:
        assert needle in message


# --- parse_video_id -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "dQw4w9WgXcQ",
        "  dQw4w9WgXcQ\n",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10s&list=PLabc123",
        "https://www.youtube.com/watch?feature=shared&v=dQw4w9WgXcQ",
        "http://youtube.com/watch?v=dQw4w9WgXcQ",
        "www.youtube.com/watch?v=dQw4w9WgXcQ",
        "youtube.com/watch?v=dQw4w9WgXcQ",
        "//www.youtube.com/watch?v=dQw4w9WgXcQ",
        "HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=abcdef123&t=42",
        "youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=5",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=xyz",
        "https://www.youtube.com/v/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ#comments",
    ],
)
def test_parse_video_id_accepts(value: str) -> None:
    assert parse_video_id(value) == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "value",
    [
        "hello",
        "",
        "   ",
        "https://vimeo.com/123",
        "https://vimeo.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.example.org/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/",
        "youtube.com/watch",
        "https://www.youtube.com/watch?list=PLabc123",
        "https://www.youtube.com/playlist?list=PLabc123",
        "https://www.youtube.com/@somechannel",
        "https://youtu.be/",
        "dQw4w9WgXc",
        "dQw4w9WgXcQQ",
        "dQw4w9WgX!Q",
        "https://youtube.com/watch?v=short",
        "https://youtube.com/watch?v=dQw4w9WgXcQQ",
        "ftp://youtube.com/watch?v=dQw4w9WgXcQ",
        "https://[broken/watch?v=dQw4w9WgXcQ",
    ],
)
def test_parse_video_id_rejects(value: str) -> None:
    with pytest.raises(InvalidVideoError) as info:
        parse_video_id(value)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("not a YouTube video id or URL: ")
    assert "11-character id" in message
    assert info.value.exit_code == 2


def test_parse_video_id_names_the_input() -> None:
    with pytest.raises(InvalidVideoError, match=r"'hello' \(pass an 11-character id"):
        parse_video_id("hello")


def test_video_url() -> None:
    assert video_url("dQw4w9WgXcQ") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


# --- fetch_transcript: success ------------------------------------------------------------


def test_fetch_manual_transcript(yt: responses.RequestsMock) -> None:
    cues = [*CUES, (5.5, 2.0, 'Tom & Jerry\'s "best" <joke> ever.')]
    _add(yt, snippets=cues)
    transcript = fetch_transcript(VID)
    assert transcript.video_id == VID
    assert transcript.language == "en"
    assert transcript.kind is TranscriptKind.MANUAL
    assert [(s.start, s.duration) for s in transcript.snippets] == [
        (0.0, 2.5),
        (2.5, 3.0),
        (5.5, 2.0),
    ]
    assert transcript.snippets[0].text == "Welcome to the lighthouse tour."
    # Escaped twice like YouTube's XML; the library strips the tag-like "<joke>".
    assert transcript.snippets[2].text == 'Tom & Jerry\'s "best"  ever.'
    methods = [call.request.method for call in yt.calls]
    assert methods == ["GET", "POST", "GET"]


def test_fetch_accepts_url_and_sets_default_timeout(yt: responses.RequestsMock) -> None:
    _add(yt)
    fetch_transcript(f"https://youtu.be/{VID}?si=share")
    assert all(call.request.req_kwargs["timeout"] for call in yt.calls)  # type: ignore[attr-defined]


def test_manual_preferred_over_generated(yt: responses.RequestsMock) -> None:
    _add(yt, generated=True, extra_tracks=[Track([(0.0, 1.0, "Manual words.")])])
    transcript = fetch_transcript(VID)
    assert transcript.kind is TranscriptKind.MANUAL
    assert transcript.snippets[0].text == "Manual words."


def test_generated_used_and_recorded(yt: responses.RequestsMock) -> None:
    _add(yt, snippets=[(0.0, 2.0, "welcome to the lighthouse tour")], generated=True)
    transcript = fetch_transcript(VID)
    assert transcript.kind is TranscriptKind.GENERATED
    assert transcript.snippets[0].text == "welcome to the lighthouse tour"


@pytest.mark.parametrize(
    ("languages", "language", "kind"),
    [
        (("de", "en"), "de", TranscriptKind.MANUAL),
        (("en", "de"), "en", TranscriptKind.MANUAL),
        (("fr", "en"), "en", TranscriptKind.MANUAL),
        (("fr",), "fr", TranscriptKind.GENERATED),
        ("en", "en", TranscriptKind.MANUAL),
    ],
)
def test_language_priority(
    yt: responses.RequestsMock, languages: tuple[str, ...], language: str, kind: TranscriptKind
) -> None:
    _add(
        yt,
        extra_tracks=[
            Track([(0.0, 1.0, "Willkommen am Leuchtturm.")], language="de"),
            Track([(0.0, 1.0, "bienvenue au phare")], language="fr", generated=True),
        ],
    )
    transcript = fetch_transcript(VID, languages)
    assert (transcript.language, transcript.kind) == (language, kind)


def test_any_manual_language_beats_generated(yt: responses.RequestsMock) -> None:
    _add(yt, generated=True, extra_tracks=[Track([(0.0, 1.0, "Hallo.")], language="de")])
    transcript = fetch_transcript(VID, ("en", "de"))
    assert (transcript.language, transcript.kind) == ("de", TranscriptKind.MANUAL)


def test_consent_wall_is_accepted(yt: responses.RequestsMock) -> None:
    _add(yt, consent_wall=True)
    assert fetch_transcript(VID).snippets
    assert fetch_metadata(VID).title == "The Lighthouse Tour"


def test_caller_session_is_used(yt: responses.RequestsMock) -> None:
    _add(yt)
    session = requests.Session()
    fetch_transcript(VID, session=session, proxy=ProxySettings(http_url="http://proxy.test:3128"))
    assert session.proxies == {"http": "http://proxy.test:3128", "https": "http://proxy.test:3128"}


# --- fetch_transcript: failures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "error", "needles"),
    [
        ("captions_disabled", TranscriptUnavailableError, ["captions are turned off"]),
        ("unavailable", TranscriptUnavailableError, ["unavailable", "check the id"]),
        ("age_restricted", TranscriptUnavailableError, ["age-restricted"]),
        ("private", TranscriptUnavailableError, ["This video is private", "owner"]),
        ("po_token", TranscriptUnavailableError, ["PO token"]),
        ("blocked", RequestBlockedError, ["blocking", "--proxy-http", "TUBEWIKI_WEBSHARE_"]),
        ("bot_check", RequestBlockedError, ["blocking", "TUBEWIKI_PROXY_HTTP"]),
        ("429", RequestBlockedError, ["429", "--proxy-https"]),
        ("server_error", NetworkError, ["HTTP 500", "try again"]),
        ("network_down", NetworkError, ["could not reach YouTube", "connection"]),
    ],
)
def test_fetch_transcript_failures(
    yt: responses.RequestsMock, failure: str, error: type[TubewikiError], needles: list[str]
) -> None:
    _add(yt, failure=failure)
    with pytest.raises(error) as info:
        fetch_transcript(VID)
    assert type(info.value) is error
    _assert_one_line(info.value, *needles)
    assert info.value.transient is error.transient
    assert info.value.__cause__ is None


def test_permanent_and_transient_flags() -> None:
    assert not TranscriptUnavailableError.transient
    assert RequestBlockedError.transient and NetworkError.transient


def test_no_transcript_in_languages_names_asked_and_available(yt: responses.RequestsMock) -> None:
    _add(yt, generated=True, extra_tracks=[Track([(0.0, 1.0, "Hola.")], language="es")])
    with pytest.raises(TranscriptUnavailableError) as info:
        fetch_transcript(VID, ["de", "fr"])
    _assert_one_line(info.value, "de, fr", "es", "en (auto-generated)")


def test_timeout_is_network_error(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, video_url(VID), body=requests.ReadTimeout("slow"))
    with pytest.raises(NetworkError) as info:
        fetch_transcript(VID)
    _assert_one_line(info.value, "ReadTimeout")


def test_unregistered_request_is_network_error(yt: responses.RequestsMock) -> None:
    with pytest.raises(NetworkError) as info:
        fetch_transcript(VID)
    _assert_one_line(info.value)


def test_unparsable_watch_page(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, video_url(VID), body="<html><body>Something else</body></html>")
    with pytest.raises(NetworkError) as info:
        fetch_transcript(VID)
    _assert_one_line(info.value, "could not read")


def test_broken_caption_xml(yt: responses.RequestsMock) -> None:
    _add(yt)
    yt.replace(
        responses.GET,
        next(str(r.url) for r in yt.registered() if "timedtext" in str(r.url)),
        body="<transcript><text start=",
    )
    with pytest.raises(NetworkError) as info:
        fetch_transcript(VID)
    _assert_one_line(info.value, "ParseError")


def test_empty_transcript(yt: responses.RequestsMock) -> None:
    _add(yt, snippets=[(0.0, 1.0, "  ")])
    with pytest.raises(EmptyTranscriptError) as info:
        fetch_transcript(VID)
    _assert_one_line(info.value, "empty")


def test_blocked_through_webshare_says_proxy_was_used(yt: responses.RequestsMock) -> None:
    _add(yt, failure="blocked")
    proxy = ProxySettings(webshare_username="someone", webshare_password="secret")
    with pytest.raises(RequestBlockedError) as info:
        fetch_transcript(VID, proxy=proxy)
    _assert_one_line(info.value, "even through the configured proxy")


def test_429_retried_through_webshare_is_blocked(yt: responses.RequestsMock) -> None:
    _add(yt, failure="429")
    proxy = ProxySettings(webshare_username="someone", webshare_password="secret")
    with pytest.raises(RequestBlockedError) as info:
        fetch_transcript(VID, proxy=proxy)
    _assert_one_line(info.value, "proxy")


def test_invalid_id_is_refused_before_any_request(yt: responses.RequestsMock) -> None:
    with pytest.raises(InvalidVideoError):
        fetch_transcript("https://vimeo.com/123")
    assert len(yt.calls) == 0


def test_no_languages_is_config_error() -> None:
    with pytest.raises(ConfigError):
        fetch_transcript(VID, [])


# --- fetch_metadata -----------------------------------------------------------------------


def test_fetch_metadata_from_watch_page(yt: responses.RequestsMock) -> None:
    _add(
        yt,
        title='Keepers & "Lamps" <live>',
        channel_id="UC0123456789abcdefghijkl",
        length_seconds=400,
    )
    meta = fetch_metadata(VID)
    assert meta.video_id == VID
    assert meta.title == 'Keepers & "Lamps" ‹live›'  # no raw HTML reaches a note
    assert meta.channel == "Coastal Curiosities"
    assert meta.channel_id == "UC0123456789abcdefghijkl"
    assert meta.chapters == (
        Chapter(0.0, "Arrival at the cliff"),
        Chapter(75.0, "The lamp room"),
        Chapter(160.0, "Keepers and their logbooks"),
        Chapter(245.0, "Storms of the north coast"),
    )
    assert [call.request.url for call in yt.calls] == [video_url(VID)]


def test_fetch_metadata_chapters_cut_at_duration(yt: responses.RequestsMock) -> None:
    _add(yt, length_seconds=200)
    assert [c.start for c in fetch_metadata(VID).chapters] == [0.0, 75.0, 160.0]


def test_fetch_metadata_oembed_fallback(yt: responses.RequestsMock) -> None:
    _add(yt, details_in_watch_page=False)
    meta = fetch_metadata(VID)
    assert (meta.title, meta.channel, meta.channel_id, meta.chapters) == (
        "The Lighthouse Tour",
        "Coastal Curiosities",
        "",
        (),
    )
    assert "oembed" in str(yt.calls[-1].request.url)


def test_fetch_metadata_uses_proxy(yt: responses.RequestsMock) -> None:
    _add(yt)
    fetch_metadata(VID, proxy=ProxySettings(https_url="http://proxy.test:8080"))
    kwargs = yt.calls[0].request.req_kwargs  # type: ignore[attr-defined]
    assert kwargs["proxies"]["https"] == "http://proxy.test:8080"


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("unavailable", TranscriptUnavailableError),
        ("private", TranscriptUnavailableError),
        ("blocked", RequestBlockedError),
        ("429", RequestBlockedError),
        ("network_down", NetworkError),
    ],
)
def test_fetch_metadata_failures(
    yt: responses.RequestsMock, failure: str, error: type[TubewikiError]
) -> None:
    _add(yt, failure=failure)
    with pytest.raises(error) as info:
        fetch_metadata(VID)
    _assert_one_line(info.value)


def test_fetch_metadata_server_error(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, video_url(VID), body="oops", status=503)
    with pytest.raises(NetworkError) as info:
        fetch_metadata(VID)
    _assert_one_line(info.value, "503")


# --- parse_chapters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "duration", "expected"),
    [
        ("0:00 Intro\n1:00 Middle\n2:00 End", None, [(0, "Intro"), (60, "Middle"), (120, "End")]),
        (
            "00:00 - Intro\n01:30 – Middle\n10:05 | End",
            None,
            [(0, "Intro"), (90, "Middle"), (605, "End")],
        ),
        (
            "(0:00) Intro\n[1:00] Middle\n(2:00) End",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        (
            "Intro 0:00\nMiddle - 1:00\nEnd (2:00)",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        (
            "• 0:00 Intro\n* 1:00 Middle\n- 2:00 End",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        (
            "0:00:00 Intro\n0:59:59 Late\n1:02:03 Later",
            None,
            [(0, "Intro"), (3599, "Late"), (3723, "Later")],
        ),
        (
            "Chapters:\n\n0:00 Intro\n\n1:00 Middle\n\n2:00 End\n\nThanks!",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        (
            "0:00 Intro\n1:00 Middle\n2:00 End\n\nMy favourite bit is at 1:30",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        (
            "0:00 Intro\n1:00 Middle\n2:00 End\n3:00 Beyond",
            150.0,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        ("0:00 Intro\n1:00 Middle", None, []),
        ("0:05 Intro\n1:00 Middle\n2:00 End", None, []),
        ("Best part 1:00\n0:00 Intro\n1:00 Middle\n2:00 End", None, []),
        (
            "Look at 1:00 first\n0:00 Intro\n1:00 Middle\n2:00 End",
            None,
            [(0, "Intro"), (60, "Middle"), (120, "End")],
        ),
        ("0:00 Intro\n2:00 Middle\n1:00 End", None, []),
        ("0:00 Intro\n1:00 Middle\n1:00 Again", None, []),
        ("0:00 Intro\n1:00 Middle\n2:00 End", 90.0, []),
        ("No timestamps here at all.", None, []),
        ("", None, []),
        ("we met at 0:00 sharp and talked\nuntil 1:00 then 2:00 passed", None, []),
        ("0:00\n1:00\n2:00", None, []),
    ],
)
def test_parse_chapters(
    description: str, duration: float | None, expected: list[tuple[int, str]]
) -> None:
    chapters = parse_chapters(description, duration)
    assert [(c.start, c.title) for c in chapters] == [(float(s), t) for s, t in expected]


# --- ProxySettings ------------------------------------------------------------------------


def test_proxy_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUBEWIKI_PROXY_HTTP", "http://proxy.test:3128")
    monkeypatch.setenv("TUBEWIKI_PROXY_HTTPS", "  ")
    monkeypatch.setenv("TUBEWIKI_WEBSHARE_USERNAME", "someone")
    monkeypatch.setenv("TUBEWIKI_WEBSHARE_PASSWORD", "secret")
    settings = ProxySettings.from_env()
    assert settings == ProxySettings("http://proxy.test:3128", None, "someone", "secret")
    assert "secret" not in repr(settings)


def test_proxy_settings_to_env_round_trips_and_unsets_the_rest() -> None:
    env = {"TUBEWIKI_WEBSHARE_USERNAME": "old", "TUBEWIKI_WEBSHARE_PASSWORD": "old", "HOME": "/h"}
    ProxySettings(http_url="http://proxy.test:3128").to_env(env)
    assert env == {"TUBEWIKI_PROXY_HTTP": "http://proxy.test:3128", "HOME": "/h"}
    assert ProxySettings.from_env(env) == ProxySettings(http_url="http://proxy.test:3128")


def test_proxy_settings_from_empty_env() -> None:
    settings = ProxySettings.from_env({})
    assert not settings.configured
    assert settings.to_proxy_config() is None


def test_generic_proxy_config() -> None:
    config = ProxySettings(https_url="http://proxy.test:8080").to_proxy_config()
    assert type(config) is GenericProxyConfig
    assert config.to_requests_dict() == {
        "http": "http://proxy.test:8080",
        "https": "http://proxy.test:8080",
    }


def test_webshare_proxy_config_wins() -> None:
    settings = ProxySettings(
        http_url="http://proxy.test:3128", webshare_username="someone", webshare_password="secret"
    )
    config = settings.to_proxy_config()
    assert isinstance(config, WebshareProxyConfig)
    assert config.proxy_username == "someone"
    assert config.to_requests_dict()["https"].startswith("http://someone-rotate:secret@")


@pytest.mark.parametrize("missing", ["webshare_username", "webshare_password"])
def test_half_webshare_is_config_error(missing: str) -> None:
    values = {"webshare_username": "someone", "webshare_password": "secret"}
    values.pop(missing)
    with pytest.raises(ConfigError) as info:
        ProxySettings(**values).to_proxy_config()
    assert "\n" not in str(info.value)


def test_merged_cli_overrides_env() -> None:
    env = ProxySettings(http_url="http://env:1", https_url="http://env:2")
    cli = ProxySettings(https_url="http://cli:2")
    assert env.merged(cli) == ProxySettings(http_url="http://env:1", https_url="http://cli:2")
    assert env.merged(None) == env
    assert env.merged(ProxySettings()) == env


def test_merged_cli_generic_drops_env_webshare() -> None:
    env = ProxySettings(webshare_username="someone", webshare_password="secret")
    merged = env.merged(ProxySettings(http_url="http://cli:1"))
    assert isinstance(merged.to_proxy_config(), GenericProxyConfig)
    cli_webshare = ProxySettings(webshare_username="other", webshare_password="pw")
    merged = ProxySettings(http_url="http://env:1").merged(cli_webshare)
    assert isinstance(merged.to_proxy_config(), WebshareProxyConfig)
