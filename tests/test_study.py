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


@pytest.mark.parametrize("changed", ["parse.py", "yake.py"])
def test_the_parse_key_changes_with_the_code_that_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    """Key terms are ranked inside `parse` and cached with it, by code in two modules."""
    (tmp_path / "extract").mkdir()
    for name in ("parse.py", "yake.py"):
        (tmp_path / "extract" / name).write_text(f"# {name}\n")
    monkeypatch.setattr(study, "_PACKAGE", tmp_path)
    study._parser_version.cache_clear()
    before = study._parser_version()
    (tmp_path / "extract" / changed).write_text("# changed\n")
    study._parser_version.cache_clear()
    try:
        assert study._parser_version() != before
    finally:
        study._parser_version.cache_clear()
