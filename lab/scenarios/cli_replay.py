"""`walab replay FILE`: play a scenario and print its transcript and checks (exit 1 when a check fails)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from lab.errors import ConfigError
from lab.scenarios.cli_record import add_target_options


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a scenario file (scenarios/…/name.yaml)")
    parser.add_argument(
        "--case", default=None, help="only the expanded case with this id (default: every case)"
    )
    add_target_options(parser)
    parser.add_argument(
        "--llm",
        default=None,
        choices=("replay", "scripted", "live", "record"),
        help="override the scenario's LLM source",
    )
    parser.add_argument(
        "--snapshot", action="store_true", help="print the snapshot text instead of the chat"
    )
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="each execution's task tree and the timings under every turn (default: one line each)",
    )
    amount.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only each case's verdict and its failed checks (no transcript)",
    )


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.conversation.render import turn_text
    from lab.scenarios.cli_record import _factory
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player
    from lab.scenarios.snapshot import render

    scenario = load_scenario(args.file)
    cases = [c for c in expand(scenario) if args.case in (None, c.case_id, c.test_name)]
    if not cases:
        ids = ", ".join(c.case_id or c.test_name for c in expand(scenario))
        raise ConfigError(f"no case {args.case!r} in {args.file}", fix=f"use one of: {ids}")
    player = Player(
        target_url=args.target,
        llm_mode=args.llm,
        lab_factory=_factory(args.lab_factory) if args.lab_factory else None,
        settings_overrides={"kestra_version": args.kestra_version} if args.kestra_version else {},
    )
    failed = 0
    for case in cases:
        playback = player.play_sync(case)
        print(
            f"== {case.test_name} ({args.file}) — {playback.transcript.target}, LLM {playback.transcript.llm_mode}"
        )
        if args.snapshot:
            print(
                render(
                    playback.transcript,
                    title=case.test_name,
                    secrets=playback.secrets,
                    redaction=playback.redaction,
                ),
                end="",
            )
        elif not args.quiet:
            for turn in playback.transcript.turns:
                step = playback.turn_steps.get(turn.index)
                print(
                    f"\n-- turn {turn.index}"
                    + (f" (step {step})" if step else "")
                    + f", {turn.contact}"
                )
                print(turn_text(turn, secrets=playback.secrets, compact=not args.verbose))
        if not args.quiet:
            print()
        if playback.runs > 1:
            print(
                f"live repeat: {playback.passed_runs}/{playback.runs} runs passed "
                f"(needs {case.scenario.llm.pass_if})"
            )
        for line in problems(playback):
            print(line)
        n = len(playback.transcript.turns)
        print(f"{verdict_line(playback)}, {n} turn{'s' * (n != 1)}, {playback.seconds:.2f} s")
        failed += 0 if playback.passed else 1
    sys.stdout.flush()
    return 1 if failed else 0


def verdict_line(playback: Any) -> str:
    """`passed: 7/7 checks`, `FAILED: 5/7 checks`, or, when a step could not run, which one and
    how the checks before it went (they are all the checks there are: the run stopped there)."""
    n_ok, n = sum(1 for c in playback.checks if c.ok), len(playback.checks)
    if playback.error:
        step = _step_of(playback.error)
        what = f"step {step} could not run" if step != 1 << 30 else "a step could not run"
        return f"FAILED: {what}; {n_ok}/{n} checks before it passed"
    return f"{'passed' if playback.passed else 'FAILED'}: {n_ok}/{n} checks"


def problems(playback: Any) -> list[str]:
    """The failed checks and the step that could not run, in step order (the error ends a run,
    so it comes after the failures of the steps before it)."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.scenarios.assertions import describe_failures

    texts = describe_failures(playback.failures, playback.transcript.turns)
    lines = [(_step_of(text), 0, f"FAIL {text}") for text in texts]
    if playback.error:
        lines.append((_step_of(playback.error), 1, f"ERROR {playback.error}"))
    return [text for _, _, text in sorted(lines, key=lambda x: (x[0], x[1]))]


def _step_of(text: str) -> int:
    match = re.match(r"step (\d+)", text)
    return int(match.group(1)) if match else 1 << 30
