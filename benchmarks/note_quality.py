"""How readable a vault's notes are, by the measures issue 8 sets.

    python benchmarks/note_quality.py VAULT [--sample 60] [--seed 1]

Over the vault's unique claims (every sentence closed by a timestamp anchor)
it prints the share that open with a pronoun or discourse word, that ask a
question, that read an ad, and that greet or thank. Over its entity and
concept notes it prints the share whose title is a common English phrase
(wordfreq) and the share whose intro says what the entity is (a sentence with
an anchor). `--sample N` also prints N random claims to read by hand.

These are independent of the extractor's own rules on purpose: a benchmark
that reused them could not catch their mistakes.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import frontmatter
from wordfreq import zipf_frequency

ANCHOR = re.compile(r'\s*<a class="yt-timestamp" data-t="[\d:]+">\[[\d:]+\]</a>')
WIKILINK = re.compile(r"\[\[([^\]|]+?)(?:\s*\|\s*([^\]]+?))?\]\]")
INTRO = re.compile(r"<!-- tubewiki:begin intro\b.*?<!-- tubewiki:end intro -->", re.S)
OPENERS = frozenset(
    [
        "i",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "this",
        "that",
        "these",
        "those",
        "there",
        "so",
        "and",
        "but",
        "yeah",
        "yes",
        "well",
        "like",
        "because",
        "also",
        "then",
        "now",
        "okay",
        "oh",
        "or",
        "um",
        "uh",
        "which",
        "who",
    ]
)
SPONSOR = re.compile(
    r"brought to you by|sponsor|promo code|use code|free trial|\b[\w-]+\.(?:com|ai|io|co)/\w+",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"\b(?:thank(?:s| you)|welcome (?:to|back)|hi|hello|hey|great to have you|glad to be here|"
    r"good to see you|for having me|for being here)\b",
    re.IGNORECASE,
)
GENERIC_ZIPF = 4.5
SKIPPED_LINE = "sponsor reads, left out of these notes."


def plain(markdown: str) -> str:
    text = WIKILINK.sub(lambda m: m[2] or m[1], markdown)
    text = text.replace("\\[", "[").replace("\\]", "]")
    return re.sub(r"[*_`]", "", text).strip()


def claims(body: str) -> list[str]:
    """Each anchored sentence: the text since the previous anchor or line start."""
    found = []
    for line in body.splitlines():
        if line.endswith(SKIPPED_LINE):
            continue  # the list of sponsor reads left out, not claims
        pos = 0
        for m in ANCHOR.finditer(line):
            chunk = line[pos : m.start()]
            pos = m.end()
            chunk = re.sub(r"^\s*[-.]\s*", "", chunk).strip(" ,.")
            if chunk:
                found.append(plain(chunk))
    return found


def opener(claim: str) -> str:
    match = re.match(r"[\[\"'(]*([A-Za-z']+)", claim)
    return match[1].casefold() if match and not claim.startswith("[") else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vault", type=Path)
    ap.add_argument("--sample", type=int, default=0, help="print N random claims to read")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    unique: dict[str, str] = {}
    notes = described = generic = 0
    generic_titles = []
    for path in sorted(args.vault.rglob("*.md")):
        if ".tubewiki" in path.parts:
            continue
        post = frontmatter.load(path)
        for claim in claims(post.content):
            unique.setdefault(" ".join(claim.casefold().split()), claim)
        if post.get("tubewiki") != "entity":
            continue
        notes += 1
        title = str(post.get("title", ""))
        if post.get("type") == "CONCEPT" and zipf_frequency(title, "en") >= GENERIC_ZIPF:
            generic += 1
            generic_titles.append(title)
        intro = INTRO.search(post.content)
        described += bool(intro and ANCHOR.search(intro[0]))
    texts = list(unique.values())
    n = max(len(texts), 1)
    share = lambda k: round(k / n, 3)  # noqa: E731
    print(
        f"claims={len(texts)} "
        f"pronoun_start={share(sum(opener(t) in OPENERS for t in texts))} "
        f"question={share(sum('?' in t for t in texts))} "
        f"sponsor={share(sum(bool(SPONSOR.search(t)) for t in texts))} "
        f"greeting={share(sum(bool(GREETING.search(t)) for t in texts))}"
    )
    m = max(notes, 1)
    print(f"entities={notes} generic={round(generic / m, 3)} described={round(described / m, 3)}")
    if generic_titles:
        print("generic titles:", ", ".join(sorted(generic_titles)))
    if args.sample:
        for claim in random.Random(args.seed).sample(texts, min(args.sample, len(texts))):
            print("-", claim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
