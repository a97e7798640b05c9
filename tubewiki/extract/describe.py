"""What the transcript says an entity is, for the top of its note.

Three forms of sentence describe: an appositive ("Melissa Perri, the CEO of
Produx Labs, ..."), a copular statement with the entity as subject ("Scrum is
a framework for ..."), and a host introducing a guest ("Today my guest is
Rahul Vohra"), whose next sentence, with its pronoun resolved, often says who
the guest is. Failing a definition, the first claim with the entity as its
subject says at least what it did or has, which tells more than the bare
introduction. Only claims that already stand alone are
considered, so each description is the speaker's own words with its anchor.
"""

from __future__ import annotations

from collections.abc import Sequence

from tubewiki.extract.claims import Candidate, introduces
from tubewiki.extract.spans import SpanSet
from tubewiki.types import Claim

MAX_DESCRIPTIONS = 2


def descriptions(candidates: Sequence[Candidate], slug: str) -> tuple[Claim, ...]:
    """Up to two describing claims for the entity, the most definitional first.

    Only the best kind found is used: an entity with a definition is not also
    described by what it did.
    """
    ranked = sorted(
        (rank, cand.sentence.start, cand)
        for cand in candidates
        if slug in cand.claim.slugs
        and not cand.sentence.hedged  # "Maybe those vectors represent ..." describes nothing
        and (rank := _kind(cand, slug)) is not None
    )
    best_kind = ranked[0][0] if ranked else None
    return tuple(cand.claim for kind, _, cand in ranked[:MAX_DESCRIPTIONS] if kind == best_kind)


def _kind(cand: Candidate, slug: str) -> int | None:
    """0 a copular definition, 1 an appositive, 2 what it did or has, 3 an introduction."""
    sentence = cand.sentence
    own = SpanSet((m.start, m.end) for m in cand.mentions if m.slug == slug)
    copular = sentence.attribute[1] > sentence.attribute[0]
    if copular and cand.subject_slug == slug:
        return 0
    if any(
        own.overlaps(head_start, head_end) for head_start, head_end, _, _ in sentence.appositions
    ):
        return 1
    if cand.subject_slug == slug:
        return 2
    return 3 if introduces(cand) and own.overlaps(*sentence.attribute) else None
