"""Shared fixtures: the spaCy pipeline (loaded once), a temporary vault, transcript builders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tubewiki.types import Snippet, Transcript, TranscriptKind

if TYPE_CHECKING:
    from spacy.language import Language

Row = tuple[float, float, str]
MakeTranscript = Callable[..., Transcript]


def build_transcript(
    rows: Iterable[Row],
    *,
    video_id: str = "tstvid00001",
    kind: TranscriptKind = TranscriptKind.FILE,
) -> Transcript:
    """A transcript from `(start, duration, text)` rows, in the order given."""
    snippets = tuple(
        Snippet(text=text, start=start, duration=duration) for start, duration, text in rows
    )
    return Transcript(video_id=video_id, snippets=snippets, kind=kind)


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The shared spaCy pipeline, loaded once for the whole test session."""
    from tubewiki.nlp import load_nlp

    return load_nlp()


@pytest.fixture
def tmp_vault(tmp_path: Path) -> Path:
    """An empty vault folder."""
    root = tmp_path / "vault"
    root.mkdir()
    return root


@pytest.fixture
def make_transcript() -> MakeTranscript:
    """`make_transcript([(0.0, 2.5, "Hello."), ...], video_id=...)` -> `Transcript`."""
    return build_transcript


@pytest.fixture(autouse=True)
def _own_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees (or starts) the user's `tubewiki server`: state goes to a temp folder."""
    monkeypatch.setenv("TUBEWIKI_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every flow run of the session."""
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (tubewiki's Prefect defaults before Prefect starts)

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--refresh-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing with it",
    )


@pytest.fixture
def refresh_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--refresh-golden"))
