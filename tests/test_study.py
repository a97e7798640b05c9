"""The parse cache: spaCy runs once per text, a damaged entry is parsed again, rebuild prunes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vaults import rebuild
from tubewiki import pipeline, study
from tubewiki.pipeline import Request

FIXTURE = Path(__file__).parent / "fixtures" / "order" / "skyhook_labs.json"


def source(vault: Path) -> pipeline.Source:
    return pipeline.acquire(Request("StudyVid001", FIXTURE, title="Skyhook"), vault=vault)


def parses(vault: Path) -> list[Path]:
    return sorted((vault / ".tubewiki" / study.PARSED_DIR).glob("*.pickle.z"))


def test_a_text_is_parsed_once(
    tmp_path: Path, nlp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = study.study(tmp_path, source(tmp_path))
    assert len(parses(tmp_path)) == 1
    monkeypatch.setattr(study, "parse", lambda *a, **k: pytest.fail("parsed again"))
    assert study.study(tmp_path, source(tmp_path)) == first
    assert [t.slug for t in first.taught] == ["marcus_oyelaran", "skyhook_labs"]


def test_a_damaged_parse_is_parsed_again(tmp_path: Path, nlp: object) -> None:
    first = study.study(tmp_path, source(tmp_path))
    (entry,) = parses(tmp_path)
    entry.write_bytes(b"not a parse")
    assert study.study(tmp_path, source(tmp_path)) == first
    assert entry.read_bytes() != b"not a parse"


def test_rebuild_prunes_parses_no_video_needs(tmp_path: Path, nlp: object) -> None:
    vault = tmp_path / "vault"
    pipeline.ingest(Request("StudyVid001", FIXTURE, title="Skyhook"), vault)
    stale = parses(vault)[0].with_name("0" * 32 + ".pickle.z")
    stale.write_bytes(parses(vault)[0].read_bytes())
    rebuild(vault)
    assert stale not in parses(vault) and len(parses(vault)) == 1
