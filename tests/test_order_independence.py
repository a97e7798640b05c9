"""The vault depends on which videos are in it, never on their order or batching.

Four hand-written videos of one show name each other's companies and people;
one says "skyhook labs" only in lower case, which no model tags, so it can only
be linked by what another video taught the vault. They go into fresh vaults
one by one in several orders, in one backfill, and in two batches, and every
vault must be the same bytes, notes and what the next run relies on alike.
A rebuild and a repeated ingest then change nothing.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from tests.vaults import check_notes, dangling_links, rebuild, snapshot
from tubewiki import lexicon, pipeline, relink, review
from tubewiki.cache import Source
from tubewiki.pipeline import Request
from tubewiki.study import study
from tubewiki.types import Extraction

FIXTURES = Path(__file__).parent / "fixtures"
VIDEOS = {
    "OrderAaaa01": ("lifecycle/orbital_freight_story.json", "How Orbital Freight started"),
    "OrderBbbb02": ("lifecycle/rideshare_rivals.json", "Rideshare rivals"),
    "OrderCccc03": ("order/skyhook_labs.json", "Skyhook Labs"),
    "OrderDddd04": ("order/antenna_market.json", "The antenna market"),
}
# The state a later run reads; caches (parses, the note index) and the run history may differ.
STATE = ("transcripts", "learned", "said", "lexicon")


def request(video_id: str) -> Request:
    path, title = VIDEOS[video_id]
    return Request(video_id, FIXTURES / path, title=title, channel="Launch Ledger")


def one_by_one(vault: Path, order: Sequence[str]) -> None:
    for video_id in order:
        pipeline.ingest(request(video_id), vault)


def in_batches(vault: Path, batches: Sequence[Sequence[str]]) -> None:
    for batch in batches:
        sources = [pipeline.acquire(request(v), vault=vault) for v in batch]
        pipeline.write(vault, [(s, study(vault, s)) for s in sources], kind="backfill")


def everything(vault: Path) -> dict[str, bytes]:
    found = snapshot(vault)
    for folder in STATE:
        for path in sorted((vault / ".tubewiki" / folder).glob("*.json")):
            found[path.relative_to(vault).as_posix()] = path.read_bytes()
    # The lexicon's snapshot also names the note index generation it was built at, and the
    # notes its run made or deleted: its own vault's history, which the next run reads
    # only to tell what to build again (`test_lexicon_incremental`).
    kept = lexicon.loads((vault / ".tubewiki" / relink.LEXICON_FILE).read_bytes())
    found[relink.LEXICON_FILE] = lexicon.dumps(replace(kept, generation=None, flipped=()))
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, nlp: object) -> tuple[Path, dict]:
    vault = tmp_path_factory.mktemp("order") / "vault"
    one_by_one(vault, sorted(VIDEOS))
    return vault, everything(vault)


def test_a_name_one_video_teaches_links_the_videos_before_it(
    reference: tuple[Path, dict],
) -> None:
    vault, _ = reference
    market = (vault / "launch_ledger" / "the_antenna_market.md").read_text()
    assert "[[skyhook_labs | Skyhook labs]] sells antenna time" in market
    skyhook = (vault / "entities" / "skyhook_labs.md").read_text()
    assert "<!-- tubewiki:begin OrderDddd04" in skyhook
    # said once, too seldom for a section of its own, and linked all the same
    story = (vault / "launch_ledger" / "how_orbital_freight_started.md").read_text()
    assert "network called [[skyhook_labs | Skyhook Labs]]" in story
    assert "after he left [[orbital_freight | Orbital Freight]]" in skyhook
    assert dangling_links(vault) == []
    check_notes(vault)


@pytest.mark.parametrize(
    "how",
    [
        ["OrderDddd04", "OrderCccc03", "OrderBbbb02", "OrderAaaa01"],
        ["OrderCccc03", "OrderAaaa01", "OrderDddd04", "OrderBbbb02"],
        [["OrderAaaa01", "OrderBbbb02", "OrderCccc03", "OrderDddd04"]],
        [["OrderDddd04", "OrderBbbb02"], ["OrderCccc03", "OrderAaaa01"]],
    ],
    ids=["reversed", "shuffled", "one-backfill", "two-batches"],
)
def test_any_order_or_batching_gives_the_same_vault(
    tmp_path: Path, reference: tuple[Path, dict], how: list
) -> None:
    vault = tmp_path / "vault"
    if isinstance(how[0], list):
        in_batches(vault, how)
    else:
        one_by_one(vault, how)
    _, expected = reference
    found = everything(vault)
    assert sorted(found) == sorted(expected)
    assert [p for p in expected if found[p] != expected[p]] == []


def test_extractions_run_as_a_process_pool_would_give_the_same_vault(
    tmp_path: Path, reference: tuple[Path, dict]
) -> None:
    seen: list[str] = []

    def like_a_pool(
        extract: Callable[[Source], Extraction], sources: Sequence[Source]
    ) -> list[Extraction]:
        """Last video first, each with pickled copies, as a flow's workers get them."""
        seen.extend(s.meta.video_id for s in sources)
        found = {
            s.meta.video_id: pickle.loads(pickle.dumps(extract))(pickle.loads(pickle.dumps(s)))
            for s in reversed(sources)
        }
        return [found[s.meta.video_id] for s in sources]

    vault = tmp_path / "vault"
    sources = [pipeline.acquire(request(v), vault=vault) for v in sorted(VIDEOS)]
    items = [(s, study(vault, s)) for s in sources]
    pipeline.write(vault, items, kind="backfill", over=like_a_pool)
    assert sorted(seen) == sorted(VIDEOS)
    assert everything(vault) == reference[1]


def test_rebuild_and_a_repeated_ingest_change_nothing(
    tmp_path: Path, reference: tuple[Path, dict]
) -> None:
    vault = tmp_path / "vault"
    one_by_one(vault, ["OrderBbbb02", "OrderDddd04", "OrderAaaa01", "OrderCccc03"])
    report = rebuild(vault)
    assert (report.created, report.updated, report.deleted) == ((), (), ())
    again = pipeline.ingest(request("OrderDddd04"), vault, force=True)
    assert (again.created, again.updated, again.deleted) == ((), (), ())
    assert everything(vault) == reference[1]


def test_a_reverted_video_stays_out_when_a_later_video_teaches_its_names(
    tmp_path: Path, nlp: object
) -> None:
    vault = tmp_path / "vault"
    pipeline.ingest(request("OrderAaaa01"), vault)
    before = snapshot(vault)
    pipeline.ingest(request("OrderDddd04"), vault)  # says "skyhook labs"
    pipeline.apply(vault, "revert", review.revert_edit(vault, "last"))
    assert snapshot(vault) == before
    pipeline.ingest(request("OrderCccc03"), vault)  # teaches "Skyhook Labs"
    assert not [p for p in snapshot(vault) if p.endswith("the_antenna_market.md")]
    assert "OrderDddd04" not in (vault / "entities" / "skyhook_labs.md").read_text()
