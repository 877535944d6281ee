"""`walab review [PATH…]`: snapshot changes reviewed turn by turn, accepted, rejected or skipped.

Every scenario case under PATH (default `scenarios/`) is played; each turn whose transcript differs
from the stored snapshot is shown with the expected and actual bubbles side by side, the lines that
differ marked, and asked about: a (accept), r (reject), s (skip), A or R followed by a kind
(text, buttons, rows, template, state, cost, added, removed, other) to accept or reject every
change of that kind, q to stop asking. `--accept KIND` / `--reject KIND` decide without asking
(`all` for every change). Accepted changes are written as `--snapshot-update` writes them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from lab.errors import ConfigError
from lab.scenarios.player import Player
from lab.scenarios.review import (
    ACCEPT,
    KINDS,
    REJECT,
    SKIP,
    Review,
    apply,
    cases_under,
    collect,
    decide,
)

PROMPT = "[a]ccept [r]eject [s]kip, A/R KIND for all of a kind, [q]uit: "


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="scenario files or folders (default: scenarios/)")
    parser.add_argument(
        "--accept", action="append", default=[], metavar="KIND", help="accept these without asking"
    )
    parser.add_argument(
        "--reject", action="append", default=[], metavar="KIND", help="reject these without asking"
    )


def run(args: argparse.Namespace) -> int:
    for kind in [*args.accept, *args.reject]:
        if kind != "all" and kind not in KINDS:
            raise ConfigError(
                f"unknown kind of change {kind!r}", fix=f"one of all, {', '.join(KINDS)}"
            )
    reviews = collect(cases_under(args.paths), _player().play_sync)
    return review(reviews, args.accept, args.reject, sys.stdin, sys.stdout)


def review(
    reviews: list[Review], accept: list[str], reject: list[str], stdin: TextIO, out: TextIO
) -> int:
    """Decide every change (flags first, then by asking), write the accepted ones; 1 while a
    change stays rejected or undecided, else 0."""
    changes = [c for r in reviews for c in r.changes]
    if not changes:
        print("no snapshot changes to review", file=out)
        return 0
    for kind in accept:
        decide(changes, ACCEPT, None if kind == "all" else kind)
    for kind in reject:
        decide(changes, REJECT, None if kind == "all" else kind)
    asking = not (accept or reject)
    for change in changes:
        if change.decision != SKIP or not asking:
            continue
        print(f"\n{change.case} · turn {change.turn} · {', '.join(change.kinds)}", file=out)
        print("\n".join(change.side_by_side()), file=out)
        answer = _ask(stdin, out)
        if answer == "q":
            break
        if answer[:1] in ("A", "R") and answer[1:].strip() in KINDS:
            decide(changes, ACCEPT if answer[0] == "A" else REJECT, answer[1:].strip())
        else:
            change.decision = {"a": ACCEPT, "r": REJECT}.get(answer, SKIP)
    written = [r for r in reviews if apply(r)]
    counts = {d: sum(1 for c in changes if c.decision == d) for d in (ACCEPT, REJECT, SKIP)}
    print(
        f"\n{counts[ACCEPT]} accepted, {counts[REJECT]} rejected, {counts[SKIP]} skipped; "
        f"{len(written)} snapshot(s) written",
        file=out,
    )
    for r in written:
        print(f"  {r.path}", file=out)
    return 0 if counts[REJECT] == counts[SKIP] == 0 else 1


def _ask(stdin: TextIO, out: TextIO) -> str:
    print(PROMPT, end="", file=out, flush=True)
    line = stdin.readline()
    return line.strip() if line else "q"


def _player() -> Player:
    return Player()
