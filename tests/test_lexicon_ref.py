"""Workers get the lexicon by reference: one JSON file per content, read back exactly."""

from __future__ import annotations

from pathlib import Path

from tubewiki.cache import Learned
from tubewiki.lexicon_ref import LexiconRef, share
from tubewiki.pipeline import Lexicon
from tubewiki.types import KnownEntity

LEXICON = Lexicon(
    known=(
        KnownEntity("ada_lovelace", "Ada Lovelace", "PERSON", ("Lovelace", "Ada")),
        KnownEntity("analytical_engine", "Analytical Engine", "PRODUCT", formerly=("engine",)),
    ),
    learned={"vidAAAAAAA1": Learned(1, {"ada_lovelace": ["Ada Lovelace", "Lovelace"]})},
)


def test_a_shared_lexicon_loads_back_equal(tmp_vault: Path) -> None:
    ref = share(tmp_vault, LEXICON)
    assert Path(ref.path).is_file() and Path(ref.path).is_relative_to(tmp_vault.resolve())
    loaded = LexiconRef(ref.path).load()
    assert loaded == LEXICON
    assert loaded.for_video("vidBBBBBBB2") == LEXICON.for_video("vidBBBBBBB2")


def test_the_same_lexicon_is_written_once_and_another_gets_its_own_file(tmp_vault: Path) -> None:
    assert share(tmp_vault, LEXICON) == share(tmp_vault, LEXICON)
    other = share(tmp_vault, Lexicon(LEXICON.known[:1], LEXICON.learned))
    assert other != share(tmp_vault, LEXICON)
    assert len(list(Path(other.path).parent.glob("*.json"))) == 2
