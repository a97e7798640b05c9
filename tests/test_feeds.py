"""tubewiki.feeds: feed parsing, handle resolution and error mapping, all replayed offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests
import responses

from tests.replay import replayed_youtube
from tubewiki.errors import ConfigError, NetworkError, RequestBlockedError
from tubewiki.feeds import FEED_URL, FeedVideo, feed_url, fetch_feed, parse_feed, resolve_channel_id
from tubewiki.watchlist import parse_entry

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CID = "UCq3Zr7TfLwXbN5kH2mV9pQa"
OTHER_CID = "UCh8Nf2Lp5Qw3Rt6Yv9Zx1Mb"
PID = "PLx9Wc2Rk7Dq0Tn4Ym8Vb3Gs5Hf1Jp6LzA"
HANDLE = "@tidepoolworkshop"
HANDLE_PAGE = "https://www.youtube.com/@tidepoolworkshop"
CHANNEL_FEED = f"{FEED_URL}?channel_id={CID}"
PLAYLIST_FEED = f"{FEED_URL}?playlist_id={PID}"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _page(head: str = "", body: str = "") -> str:
    """A minimal channel page: what matters is where the channel id sits."""
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Tidepool Workshop - YouTube</title>'
        f"{head}</head><body>{body}</body></html>"
    )


CANONICAL_PAGE = _page(
    f'<link rel="canonical" href="https://www.youtube.com/channel/{CID}">'
    f'<meta property="og:url" content="https://www.youtube.com/channel/{CID}">',
    # a featured channel is mentioned first: its channelId must not win
    f'<script>var ytInitialData = {{"channelId":"{OTHER_CID}",'
    f'"metadata":{{"channelMetadataRenderer":{{"externalId":"{CID}"}}}}}};</script>',
)


@pytest.fixture
def yt() -> Iterator[responses.RequestsMock]:
    with replayed_youtube() as rsps:
        yield rsps


# --- parsing ------------------------------------------------------------------------------


def test_parse_channel_feed() -> None:
    videos = parse_feed(_fixture("channel.xml"))
    assert videos == [
        FeedVideo(
            "Lh4tK9-pQ2w",
            "Building a Saltwater Clock from Scrap",
            "Tidepool Workshop",
            CID,
            datetime(2026, 3, 14, 16, 0, 21, tzinfo=UTC),
        ),
        FeedVideo(
            "Rb7_nM3xZ0e",
            "Why Barnacles Glue Better Than Epoxy & Other Myths",
            "Tidepool Workshop",
            CID,
            datetime(2026, 2, 2, 9, 30, tzinfo=UTC),
        ),
        FeedVideo(
            "Tq8cV1sY6uJ",
            "Tide Tables, Explained in 60 Seconds",
            "Tidepool Workshop",
            CID,
            datetime(2025, 12, 20, 18, 45, 10, tzinfo=UTC),
        ),
    ]
    assert videos[0].url == "https://www.youtube.com/watch?v=Lh4tK9-pQ2w"


def test_parse_playlist_feed_keeps_each_videos_channel() -> None:
    videos = parse_feed(_fixture("playlist.xml").decode("utf-8"))
    assert [(v.video_id, v.channel, v.channel_id) for v in videos] == [
        ("Lh4tK9-pQ2w", "Tidepool Workshop", CID),
        ("Gw3pX7-kN5s", "Harbour Notes", OTHER_CID),
    ]


def _feed(*entries: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
        'xmlns="http://www.w3.org/2005/Atom">'
        f"<yt:channelId>{CID}</yt:channelId><title>Tidepool Workshop</title>"
        "<author><name>Tidepool Workshop</name></author>" + "".join(entries) + "</feed>"
    )


def _item(video_id: str, published: str, *, tag: bool = True) -> str:
    id_tag = f"<yt:videoId>{video_id}</yt:videoId>" if tag else ""
    return (
        f"<entry><id>yt:video:{video_id}</id>{id_tag}<title>Video {video_id}</title>"
        f"<published>{published}</published></entry>"
    )


def test_parse_sorts_dedupes_and_falls_back_to_feed_author() -> None:
    xml = _feed(
        _item("Aa1Aa1Aa1Aa", "2026-01-01T00:00:00+00:00"),
        _item("Bb2Bb2Bb2Bb", "2026-01-03T10:00:00+02:00", tag=False),
        _item("Aa1Aa1Aa1Aa", "2026-01-01T00:00:00+00:00"),
        _item("bad id", "2026-01-04T00:00:00+00:00"),
        "<entry><yt:videoId>Cc3Cc3Cc3Cc</yt:videoId><title>No date</title></entry>",
    )
    videos = parse_feed(xml)
    assert [v.video_id for v in videos] == ["Bb2Bb2Bb2Bb", "Aa1Aa1Aa1Aa"]
    assert videos[0].published == datetime(2026, 1, 3, 8, 0, tzinfo=UTC)
    assert videos[0].channel == "Tidepool Workshop"
    assert videos[0].channel_id == CID


def test_parse_empty_feed_is_no_videos() -> None:
    assert parse_feed(_feed()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><title>cut",
        b"<html><body><h1>Something went wrong</h1></body></html>",
        b"",
        b"https://www.youtube.com/feeds/videos.xml",  # text, never fetched as a URL
    ],
)
def test_malformed_feed_is_a_transient_network_error(body: bytes) -> None:
    with pytest.raises(NetworkError, match=r"could not read as a feed from the-source \(") as e:
        parse_feed(body, source="the-source")
    assert e.value.transient
    assert "\n" not in str(e.value)


# --- URLs and channel ids -----------------------------------------------------------------


def test_feed_urls() -> None:
    assert feed_url(parse_entry(CID)) == CHANNEL_FEED
    assert feed_url(parse_entry(f"https://www.youtube.com/playlist?list={PID}")) == PLAYLIST_FEED
    assert feed_url(parse_entry(HANDLE), CID) == CHANNEL_FEED
    with pytest.raises(ValueError, match="resolve_channel_id"):
        feed_url(parse_entry(HANDLE))


@pytest.mark.parametrize(
    "page",
    [
        CANONICAL_PAGE,
        _page(f'<link href="https://www.youtube.com/channel/{CID}" rel="canonical">'),
        _page(body=f'<script>var d = {{"externalId": "{CID}"}};</script>'),
        _page(f'<meta itemprop="identifier" content="{CID}">'),
        _page(f"<meta property='og:url' content='https://www.youtube.com/channel/{CID}'>"),
        _page(body=f'<script>var d = {{"channelId":"{CID}"}};</script>'),
    ],
)
def test_resolve_handle_from_channel_page(yt: responses.RequestsMock, page: str) -> None:
    yt.add(responses.GET, HANDLE_PAGE, body=page, content_type="text/html")
    assert resolve_channel_id(HANDLE) == CID


def test_resolve_legacy_names_and_urls(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, "https://www.youtube.com/c/TidepoolWorkshop", body=CANONICAL_PAGE)
    yt.add(responses.GET, "https://www.youtube.com/user/tidepool1999", body=CANONICAL_PAGE)
    assert resolve_channel_id("c/TidepoolWorkshop") == CID
    assert resolve_channel_id("https://www.youtube.com/user/tidepool1999/videos") == CID
    assert resolve_channel_id(CID) == CID  # no request at all
    with pytest.raises(ConfigError, match="is a playlist, not a channel"):
        resolve_channel_id(PID)


def test_resolve_through_the_consent_wall(yt: responses.RequestsMock) -> None:
    consent = (
        '<form action="https://consent.youtube.com/s" method="POST">'
        '<input type="hidden" name="v" value="cb.20260101-00-p0.en+FX+111"></form>'
    )
    yt.add(responses.GET, HANDLE_PAGE, body=_page(body=consent))
    yt.add(responses.GET, HANDLE_PAGE, body=CANONICAL_PAGE)
    session = requests.Session()
    assert resolve_channel_id(HANDLE, session=session) == CID
    assert session.cookies.get("CONSENT") == "YES+cb.20260101-00-p0.en+FX+111"


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        ({"status": 404, "body": "Not Found"}, ConfigError, r"no channel @tidepoolworkshop"),
        ({"status": 429, "body": "Too Many"}, RequestBlockedError, r"blocking .*@tidepoolwork"),
        ({"status": 503, "body": "down"}, NetworkError, r"HTTP 503 for channel @tidepoolwork"),
        ({"body": requests.ConnectionError("down")}, NetworkError, r"reach YouTube for channel @"),
        ({"body": requests.ReadTimeout("slow")}, NetworkError, r"ReadTimeout"),
        ({"body": _page()}, NetworkError, r"could not find the channel id .*@tidepoolworkshop"),
        (
            {"body": _page(body='<div class="g-recaptcha"></div>')},
            RequestBlockedError,
            r"blocking",
        ),
    ],
)
def test_resolve_errors(
    yt: responses.RequestsMock, reply: dict[str, object], error: type[Exception], match: str
) -> None:
    yt.add(responses.GET, HANDLE_PAGE, **reply)  # type: ignore[arg-type]
    with pytest.raises(error, match=match) as caught:
        resolve_channel_id(HANDLE)
    assert "\n" not in str(caught.value)


# --- fetching -----------------------------------------------------------------------------


def test_fetch_channel_by_handle_filters_by_since(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, HANDLE_PAGE, body=CANONICAL_PAGE)
    yt.add(responses.GET, CHANNEL_FEED, body=_fixture("channel.xml"), content_type="text/xml")
    entry = parse_entry(HANDLE, since=date(2026, 2, 2))
    videos = fetch_feed(entry)
    assert [v.video_id for v in videos] == ["Lh4tK9-pQ2w", "Rb7_nM3xZ0e"]  # 02-02 is kept
    assert [call.request.url for call in yt.calls] == [HANDLE_PAGE, CHANNEL_FEED]


def test_fetch_with_a_known_channel_id_skips_resolution(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, CHANNEL_FEED, body=_fixture("channel.xml"))
    videos = fetch_feed(parse_entry(HANDLE), channel_id=CID, session=requests.Session())
    assert len(videos) == 3
    assert len(yt.calls) == 1


def test_fetch_playlist(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, PLAYLIST_FEED, body=_fixture("playlist.xml"))
    videos = fetch_feed(parse_entry(PID, since="2026-01-01"))
    assert [v.video_id for v in videos] == ["Lh4tK9-pQ2w"]


def test_feed_404_with_the_channel_gone_is_a_config_error(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, CHANNEL_FEED, status=404, body="Not Found")
    yt.add(responses.GET, f"https://www.youtube.com/channel/{CID}", status=404, body="Not Found")
    with pytest.raises(ConfigError, match=rf"no channel {CID} \(Tides\) .*remove this watch") as e:
        fetch_feed(parse_entry(CID, name="Tides"))
    assert not e.value.transient


def test_feed_404_for_a_live_channel_is_transient(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, CHANNEL_FEED, status=404, body="Not Found")
    yt.add(responses.GET, f"https://www.youtube.com/channel/{CID}", body=CANONICAL_PAGE)
    with pytest.raises(NetworkError, match=rf"HTTP 404 for the feed of channel {CID} although"):
        fetch_feed(parse_entry(CID))


def test_feed_404_after_resolving_a_handle_needs_no_probe(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, HANDLE_PAGE, body=CANONICAL_PAGE)
    yt.add(responses.GET, CHANNEL_FEED, status=404, body="Not Found")
    with pytest.raises(NetworkError, match="try again later"):
        fetch_feed(parse_entry(HANDLE))
    assert len(yt.calls) == 2


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        ({"status": 429, "body": "Too Many"}, RequestBlockedError, rf"playlist {PID}; wait"),
        ({"status": 500, "body": "oops"}, NetworkError, rf"HTTP 500 for playlist {PID}"),
        ({"body": requests.ConnectionError("down")}, NetworkError, rf"for playlist {PID} \(Conn"),
        ({"body": b"<feed><entry>"}, NetworkError, re.escape(f"as a feed from {PLAYLIST_FEED} (")),
    ],
)
def test_fetch_errors(
    yt: responses.RequestsMock, reply: dict[str, object], error: type[Exception], match: str
) -> None:
    yt.add(responses.GET, PLAYLIST_FEED, **reply)  # type: ignore[arg-type]
    with pytest.raises(error, match=match) as caught:
        fetch_feed(parse_entry(PID))
    assert caught.value.transient  # type: ignore[attr-defined]
    assert "\n" not in str(caught.value)


def test_fetch_resolution_error_propagates(yt: responses.RequestsMock) -> None:
    yt.add(responses.GET, HANDLE_PAGE, status=404, body="Not Found")
    with pytest.raises(ConfigError, match="no channel @tidepoolworkshop"):
        fetch_feed(parse_entry(HANDLE))
