"""A Hypothesis state machine that curates a small vault and tries to lose a person's words.

It ingests three tiny hand-written videos (`tests/fixtures/stateful/`), some
under a second title so tubewiki's text changes, and in any order edits
notes outside and inside tubewiki's blocks, resolves conflicts both ways,
merges, renames, reverts the last run, rebuilds, and ingests with `--force`.
All through the library, in this process (spaCy is loaded once).

The invariant, after every step: every line a person wrote is still in the
vault, outside tubewiki's blocks or inside a block tubewiki sees as the
person's (edited, or kept with `resolve`), where no later run overwrites it.
Only two things may drop such a line: `resolve --theirs` on its block, and
`--force` for the video whose block holds it; both name what they overwrite.
No link dangles; at the end of each example the shared note checker passes.

    TUBEWIKI_STATEFUL_EXAMPLES=300 pytest tests/test_curation_stateful.py -p no:randomly -s

runs more examples (default 25); the seed is printed, and
TUBEWIKI_STATEFUL_SEED=N replays one run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.vaults import CHECK_NOTES, check_notes, dangling_links, rebuild
from tubewiki import refactor, review, sections
from tubewiki.errors import ReviewError
from tubewiki.notes import parse_note
from tubewiki.pipeline import Request, acquire, apply, ingest
from tubewiki.study import PARSED_DIR, study

FIXTURES = Path(__file__).parent / "fixtures" / "stateful"
CHANNEL = "Field Notes"
VIDEOS = (
    ("StatefulA01", "harbor_robotics.json", ("Harbor Robotics story", "Harbor Robotics, retold")),
    ("StatefulB02", "kiva_deal.json", ("The Kiva deal", "The Kiva deal revisited")),
    ("StatefulC03", "mick_mountz.json", ("Mick Mountz", "Mick Mountz at Kiva")),
)
EXAMPLES = int(os.environ.get("TUBEWIKI_STATEFUL_EXAMPLES", "25"))
STEPS = int(os.environ.get("TUBEWIKI_STATEFUL_STEPS", "12"))

pick = st.integers(min_value=0, max_value=10**6)  # an index into what exists, modulo its size


@dataclass(frozen=True)
class Words:
    """A line a person wrote, and the block it went into ('' when outside every block)."""

    text: str
    key: str


@cache
def parses() -> Path:
    """The fixtures' spaCy parses, made once: each example's vault starts with them, as a
    vault that saw these videos before has them (the parse cache is keyed by content)."""
    template = Path(tempfile.mkdtemp(prefix="tubewiki-stateful-parses-"))
    for video_id, transcript, titles in VIDEOS:
        request = Request(video_id, FIXTURES / transcript, titles[0], CHANNEL)
        study(template, acquire(request, vault=template))
    return template / ".tubewiki" / PARSED_DIR


class Curation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="tubewiki-stateful-"))
        self.vault = self.root / "vault"
        shutil.copytree(parses(), self.vault / ".tubewiki" / PARSED_DIR)
        self.words: list[Words] = []
        self.count = 0

    # --- helpers ------------------------------------------------------------------

    def notes(self, kind: str | None = None) -> list[str]:
        if not self.vault.is_dir():
            return []
        found = []
        for path in sorted(self.vault.rglob("*.md")):
            rel = path.relative_to(self.vault).as_posix()
            if rel.startswith(".tubewiki/"):
                continue
            if kind is None or parse_note(rel, path.read_text()).kind == kind:
                found.append(rel)
        return found

    def text(self, rel: str) -> str:
        return (self.vault / rel).read_text(encoding="utf-8")

    def fresh(self, what: str) -> str:
        self.count += 1
        return f"{what} {self.count}: written by a person, checked against the archive."

    def conflicted(self) -> list[str]:
        return [rel for rel in self.notes() if "<!-- tubewiki:proposed " in self.text(rel)]

    # --- rules ----------------------------------------------------------------------

    @initialize(first=st.sampled_from(VIDEOS))
    def start(self, first: tuple[str, str, tuple[str, str]]) -> None:
        """Every example starts from a vault, so its steps go to curating it."""
        self.ingest_video(first, retitled=False, force=False)

    @rule(video=st.sampled_from(VIDEOS), retitled=st.booleans(), force=st.booleans())
    def ingest_video(
        self, video: tuple[str, str, tuple[str, str]], retitled: bool, force: bool
    ) -> None:
        video_id, transcript, titles = video
        request = Request(video_id, FIXTURES / transcript, titles[retitled], CHANNEL)
        ingest(request, self.vault, force=force)
        if force:  # --force overwrites the person's text in this video's blocks, and only there
            self.words = [w for w in self.words if w.key != video_id]

    @precondition(lambda self: self.notes())
    @rule(which=pick)
    def edit_outside(self, which: int) -> None:
        notes = self.notes()
        rel = notes[which % len(notes)]
        words = self.fresh("Outside")
        (self.vault / rel).write_text(f"{self.text(rel).rstrip()}\n\n{words}\n", encoding="utf-8")
        self.words.append(Words(words, ""))

    @precondition(lambda self: self.notes())
    @rule(which=pick, block=pick)
    def edit_inside(self, which: int, block: int) -> None:
        notes = self.notes()
        rel = notes[which % len(notes)]
        text = self.text(rel)
        owned = [b for b in sections.blocks(text) if b.kind == "begin"]
        if not owned:
            return
        chosen = owned[block % len(owned)]
        end = chosen.start + text[chosen.start :].index("<!-- tubewiki:end ")
        words = "- " + self.fresh("Inside")
        (self.vault / rel).write_text(f"{text[:end]}{words}\n{text[end:]}", encoding="utf-8")
        self.words.append(Words(words, chosen.key))

    @precondition(lambda self: self.conflicted())
    @rule(which=pick, theirs=st.booleans())
    def resolve(self, which: int, theirs: bool) -> None:
        conflicted = self.conflicted()
        rel = conflicted[which % len(conflicted)]
        if theirs:  # the person chose tubewiki's version of these blocks over their own
            found = sections.blocks(self.text(rel))
            pending = {b.key for b in found if b.kind == "proposed"}
            dropped = [
                b.content for b in found if b.kind == "begin" and b.key in pending
            ]  # fmt: skip
            self.words = [
                w
                for w in self.words
                if not (w.key in pending and any(w.text in c for c in dropped))
            ]
        apply(self.vault, "resolve", review.resolve_edit(rel, take_proposed=theirs))

    def mergeable(self) -> list[str]:
        """The entity notes `refactor.merge` takes: those in `entities/`, by slug."""
        return [Path(rel).stem for rel in self.notes("entity") if rel.startswith("entities/")]

    @precondition(lambda self: len(self.mergeable()) >= 2)
    @rule(src_at=pick, dst_at=pick)
    def merge(self, src_at: int, dst_at: int) -> None:
        entities = self.mergeable()
        src = entities[src_at % len(entities)]
        dst = entities[dst_at % len(entities)]
        if src != dst:
            apply(self.vault, "merge", lambda v: refactor.merge(v, src, dst))

    @precondition(lambda self: self.notes())
    @rule(which=pick)
    def rename(self, which: int) -> None:
        notes = self.notes()
        old = Path(notes[which % len(notes)]).stem
        self.count += 1
        apply(self.vault, "rename", lambda v: refactor.rename(v, old, f"renamed_{self.count}"))

    @precondition(lambda self: self.notes())
    @rule()
    def revert_last(self) -> None:
        # refused when a later edit or run is in the way, and then the vault is unchanged
        with suppress(ReviewError):
            apply(self.vault, "revert", review.revert_edit(self.vault, "last"))

    @precondition(lambda self: self.notes())
    @rule()
    def rebuild(self) -> None:
        rebuild(self.vault)

    # --- what must always hold -----------------------------------------------------------

    @invariant()
    def no_word_is_lost(self) -> None:
        texts = {rel: self.text(rel) for rel in self.notes()}
        for words in self.words:
            places = [rel for rel, text in texts.items() if words.text in text]
            assert places, f"lost: {words.text!r}"
            assert any(self.safe(words.text, rel, texts[rel]) for rel in places), (
                f"{words.text!r} is only where the next run may overwrite it: "
                "in a block tubewiki takes as its own, or in a proposal"
            )

    @staticmethod
    def safe(words: str, rel: str, text: str) -> bool:
        """Outside every block, or in a block tubewiki sees as a person's (edited or kept)."""
        body = parse_note(rel, text).body
        if words in sections.outside(body, path=rel):
            return True
        return any(
            b.kind == "begin" and (b.edited or b.kept) and words in b.content
            for b in sections.blocks(body, path=rel)
        )

    @invariant()
    def no_link_dangles(self) -> None:
        if self.vault.is_dir():
            assert dangling_links(self.vault) == []

    def teardown(self) -> None:
        try:
            if self.vault.is_dir() and CHECK_NOTES.is_file():  # the rest holds without it
                check_notes(self.vault)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def run_seeded(machine: type[RuleBasedStateMachine], examples: int) -> None:
    """Run `machine` for `examples` examples from a seed it prints, so a failure can be
    replayed with TUBEWIKI_STATEFUL_SEED."""
    chosen = int(os.environ.get("TUBEWIKI_STATEFUL_SEED") or secrets.randbelow(2**32))
    print(f"stateful seed {chosen}: replay with TUBEWIKI_STATEFUL_SEED={chosen}")
    run_state_machine_as_test(
        seed(chosen)(machine),
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_curation_never_loses_a_persons_words(nlp: object) -> None:
    run_seeded(Curation, EXAMPLES)
