"""The watch-channels flow end to end, with YouTube replayed through the real libraries.

Two invented channels' feeds are hand-written Atom; every video is served by
`tests.replay.register_video`. Runs are told what time it is (`now`), so a
retry's backoff can be made to pass without waiting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from responses import matchers

from tests.replay import register_video, replayed_youtube
from tubewiki.errors import RequestBlockedError
from tubewiki.feeds import FEED_URL
from tubewiki.ledger import Ledger

T0 = "2026-03-01T12:00:00Z"
CHANNEL_A = "UCwatchTestChannelAAAAAA"
CHANNEL_B = "UCwatchTestChannelBBBBBB"
NEW_A, DISABLED, BLOCKED = "newAAAA0001", "offAAAA0002", "tryAAAA0003"
NEW_B, KNOWN = "newBBBB0004", "oldBBBB0005"

SNIPPETS = {
    NEW_A: [
        (0.0, 4.0, "Welcome back to the Harbour Lab, where we test old boats."),
        (4.0, 5.0, "In 1998 Ada Lindqvist rebuilt the Saltmarsh ferry in Bergen."),
        (9.0, 5.0, "The ferry carried four hundred passengers across the fjord every day."),
        (14.0, 5.0, "Lindqvist later founded the Northern Boat Society in Oslo."),
    ],
    NEW_B: [
        (0.0, 4.0, "Today we look at the Copper Kettle Museum in Lyon."),
        (4.0, 5.0, "The museum opened in 1921 and holds three thousand kettles."),
        (9.0, 5.0, "Its founder, Jean Moreau, collected kettles from forty countries."),
    ],
    BLOCKED: [
        (0.0, 4.0, "The Glass Bridge in Utrecht was finished in 2011."),
        (4.0, 5.0, "Engineers from Delft Works built it with twelve thousand panels."),
    ],
}


def feed_xml(channel_id: str, author: str, videos: list[tuple[str, str, str]]) -> str:
    """A YouTube channel feed: (video id, title, published) per entry, newest first."""
    entries = "".join(
        f"""
 <entry>
  <id>yt:video:{video_id}</id>
  <yt:videoId>{video_id}</yt:videoId>
  <yt:channelId>{channel_id}</yt:channelId>
  <title>{title}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={video_id}"/>
  <author><name>{author}</name></author>
  <published>{published}</published>
 </entry>"""
        for video_id, title, published in videos
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
 <id>yt:channel:{channel_id[2:]}</id>
 <yt:channelId>{channel_id}</yt:channelId>
 <title>{author}</title>
 <author><name>{author}</name></author>{entries}
</feed>
"""


FEED_A = feed_xml(
    CHANNEL_A,
    "Harbour Lab",
    [
        (NEW_A, "Rebuilding a Ferry", "2026-02-20T10:00:00+00:00"),
        (DISABLED, "Live Q&amp;A", "2026-02-10T10:00:00+00:00"),
        (BLOCKED, "The Glass Bridge", "2026-02-01T10:00:00+00:00"),
    ],
)
FEED_B = feed_xml(
    CHANNEL_B,
    "Kettle Talk",
    [
        (NEW_B, "A Museum of Kettles", "2026-02-25T10:00:00+00:00"),
        (KNOWN, "An Old Episode", "2025-12-01T10:00:00+00:00"),
    ],
)
TITLES = {NEW_A: "Rebuilding a Ferry", NEW_B: "A Museum of Kettles", BLOCKED: "The Glass Bridge"}
CHANNELS = {NEW_A: "Harbour Lab", DISABLED: "Harbour Lab", BLOCKED: "Harbour Lab"}


@pytest.fixture(autouse=True)
def instant_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the slot requests: on the harness's SQLite API each waits ~2 s on a busy database."""
    monkeypatch.setattr("flows.tasks.rate_limit", lambda *args, **kwargs: None)
    monkeypatch.setattr("flows.watch.rate_limit", lambda *args, **kwargs: None)


def serve(
    rsps: responses.RequestsMock, feeds: dict[str, str], videos: dict[str, str | None]
) -> None:
    """Register feeds by channel id and videos by id (value: a replay failure, or None)."""
    for channel_id, xml in feeds.items():
        rsps.add(
            responses.GET,
            FEED_URL,
            body=xml,
            content_type="application/atom+xml",
            match=[matchers.query_param_matcher({"channel_id": channel_id})],
        )
    for video_id, failure in videos.items():
        register_video(
            rsps,
            video_id,
            title=TITLES.get(video_id, "Some video"),
            channel=CHANNELS.get(video_id, "Kettle Talk"),
            snippets=SNIPPETS.get(video_id, [(0.0, 2.0, "Hello.")]),
            failure=failure,
        )


def watched(rsps: responses.RequestsMock) -> set[str]:
    """The videos whose watch page a run requested."""
    return {c.request.url.split("v=")[1] for c in rsps.calls if "/watch?v=" in str(c.request.url)}


def run_watch(tmp_path: Path, now: str) -> object:
    from flows.watch import watch_channels

    return watch_channels(
        watchlist=str(tmp_path / "watchlist.yaml"),
        vault=str(tmp_path / "vault"),
        now=now,
        fetch_retries=0,
    )


def statuses(vault: Path) -> dict[str, tuple[str, int]]:
    with Ledger.open(vault) as ledger:
        return {v.video_id: (v.status, v.attempts) for v in ledger.videos()}


def test_ensure_limits_creates_the_rate_limit_once(prefect_harness: None) -> None:
    from prefect.client.orchestration import get_client

    from flows.limits import ensure_limits

    assert ensure_limits("tubewiki-test-limit") is True
    assert ensure_limits("tubewiki-test-limit", limit=9) is False  # a tuned limit is kept
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("tubewiki-test-limit")
    assert (limit.limit, limit.slot_decay_per_second, limit.active) == (2, 0.5, True)


def test_watch_ingests_new_skips_known_and_retries_only_transient_failures(
    prefect_harness: None, tmp_path: Path
) -> None:
    from tubewiki.watchlist import add_entry

    add_entry(tmp_path / "watchlist.yaml", CHANNEL_A, name="Harbour Lab")
    add_entry(tmp_path / "watchlist.yaml", f"https://www.youtube.com/channel/{CHANNEL_B}")
    vault = tmp_path / "vault"
    with Ledger.open(vault) as ledger:
        ledger.record_attempt(KNOWN, status="ingested", title="An Old Episode")

    # Run 1: two new videos land, captions-off is permanent, a 429 is transient.
    with replayed_youtube() as rsps:
        serve(
            rsps,
            {CHANNEL_A: FEED_A, CHANNEL_B: FEED_B},
            {NEW_A: None, DISABLED: "captions_disabled", BLOCKED: "429", NEW_B: None},
        )
        report = run_watch(tmp_path, T0)
        assert watched(rsps) == {NEW_A, DISABLED, BLOCKED, NEW_B}
    assert statuses(vault) == {
        NEW_A: ("ingested", 0),
        NEW_B: ("ingested", 0),
        KNOWN: ("ingested", 0),
        DISABLED: ("failed_permanent", 1),
        BLOCKED: ("failed_transient", 1),
    }
    with Ledger.open(vault) as ledger:
        blocked = ledger.video(BLOCKED)
        assert blocked is not None and blocked.next_attempt == "2026-03-01T13:00:00Z"
        assert "proxy" in (blocked.last_error or "") and blocked.source == CHANNEL_A
        assert "captions are turned off" in (ledger.video(DISABLED).last_error or "")  # type: ignore[union-attr]
        assert ledger.runs(1)[0].kind == "watch" and ledger.runs(1)[0].status == "ok"
    assert {f.video_id: f.outcome for f in report.fates} == {  # type: ignore[attr-defined]
        NEW_A: "ingested",
        NEW_B: "ingested",
        KNOWN: "skipped",
        DISABLED: "failed_permanent",
        BLOCKED: "failed_transient",
    }
    notes = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md"))
    assert "harbour_lab/rebuilding_a_ferry.md" in notes
    assert "kettle_talk/a_museum_of_kettles.md" in notes
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}

    # Run 2, half an hour later: nothing is due, so no video is requested at all.
    with replayed_youtube() as rsps:
        serve(rsps, {CHANNEL_A: FEED_A, CHANNEL_B: FEED_B}, {})
        report = run_watch(tmp_path, "2026-03-01T12:30:00Z")
        assert watched(rsps) == set()
    assert report.run is None  # type: ignore[attr-defined]
    assert statuses(vault)[BLOCKED] == ("failed_transient", 1)

    # Run 3, two hours later: the blocked video is due and now works; captions-off is not retried.
    with replayed_youtube() as rsps:
        serve(rsps, {CHANNEL_A: FEED_A, CHANNEL_B: FEED_B}, {BLOCKED: None})
        run_watch(tmp_path, "2026-03-01T14:00:00Z")
        assert watched(rsps) == {BLOCKED}
    after = statuses(vault)
    assert after[BLOCKED] == ("ingested", 0) and after[DISABLED] == ("failed_permanent", 1)
    assert (vault / "harbour_lab/the_glass_bridge.md").is_file()
    assert all(p.read_bytes() == text for p, text in before.items() if "kettle_talk/" in str(p))


def test_watch_stops_early_when_youtube_blocks_most_requests(
    prefect_harness: None, tmp_path: Path
) -> None:
    from tubewiki.watchlist import add_entry

    add_entry(tmp_path / "watchlist.yaml", CHANNEL_A)
    videos = [
        (f"blk{n}AAAA00{n}", f"Video {n}", f"2026-02-0{n}T10:00:00+00:00") for n in range(1, 6)
    ]
    with replayed_youtube() as rsps:
        serve(rsps, {CHANNEL_A: feed_xml(CHANNEL_A, "Harbour Lab", videos)}, {})
        for video_id, _, _ in videos:
            register_video(
                rsps, video_id, title="x", channel="Harbour Lab", snippets=[], failure="429"
            )
        with pytest.raises(RequestBlockedError, match=r"stopped early.*TUBEWIKI_WEBSHARE_USERNAME"):
            run_watch(tmp_path, T0)
        requested = watched(rsps)
    # The feed counts as one good request: the third blocked video makes 3 of 4.
    assert len(requested) == 3
    found = statuses(tmp_path / "vault")
    assert set(found) == requested
    assert set(found.values()) == {("failed_transient", 1)}
