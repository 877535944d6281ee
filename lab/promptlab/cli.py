"""`walab compare`: run scenarios under several prompt variants (and models), compare side by side.

    walab compare scenarios/whatsapp_agent --variants whatsapp_agent.default,whatsapp_agent.concise \\
        --llm record --json compare.json --html compare.html
    walab compare scenarios/whatsapp_agent personas/dona_cida.yaml --variants …

Persona files (under a `personas/` folder) are rows beside the scenarios: their cells are simulated
conversations judged by the persona's rubric (pass^k over `--repeat` runs, else the persona's `runs`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from functools import partial
from pathlib import Path

from lab import yamlio
from lab.config import add_kestra_version_option, load_settings
from lab.errors import ConfigError
from lab.progress import ProgressBar
from lab.promptlab.persona_cells import is_persona_file


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="scenario files or folders (default: scenarios/), and persona files or a personas/ "
        "folder (rows of simulated conversations)",
    )
    parser.add_argument(
        "--variants", required=True, help="comma-separated prompt ids; the first is the baseline"
    )
    parser.add_argument(
        "--models", default="", help="comma-separated models (default: each variant's own)"
    )
    parser.add_argument(
        "--llm",
        default="auto",
        choices=("auto", "replay", "update", "record", "live", "scripted"),
        help="auto = each scenario's own source (cassettes replayed); update = replay, and re-record "
        "only cells whose prompt or model is not in the cassette; record/live call the upstream",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="live/record: play each cell N times (a persona's cell: N conversations, any mode)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="write the machine-readable result here"
    )
    parser.add_argument(
        "--html", type=Path, default=None, help="write a self-contained HTML report here"
    )
    parser.add_argument(
        "--confirm-above",
        type=float,
        default=0.50,
        metavar="USD",
        help="ask before a live run estimated above this cost (default 0.50)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask, whatever the estimate")
    parser.add_argument(
        "--turns", action="store_true", help="also print the replies turn by turn with word diffs"
    )
    parser.add_argument(
        "--fixtures",
        metavar="FILE",
        help="Kestra task fixtures for the embedded engine (tasks: [{id, outputs, state}], inputs, "
        "trigger), for every scenario without its own `fixtures:`",
    )
    add_kestra_version_option(parser)


def persona_files(paths: list[Path]) -> list[Path]:
    """The persona files among the paths (a `personas/` folder: every persona in it)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir() and "personas" in p.resolve().parts:
            files += [f for f in sorted(p.rglob("*.y*ml")) if is_persona_file(f)]
        elif p.is_file() and is_persona_file(p):
            files.append(p)
    return files


def scenario_files(paths: list[Path], *, personas: bool = False) -> list[Path]:
    """The scenario files among the paths; none is an error unless persona rows were found."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.scenarios.pytest_plugin import is_scenario_file

    files: list[Path] = []
    skipped: list[Path] = []  # YAML files in a folder given, not under a `scenarios/` folder
    for p in paths or [Path("scenarios")]:
        if (p.is_dir() and "personas" in p.resolve().parts) or (p.is_file() and is_persona_file(p)):
            continue
        if p.is_dir():
            found = sorted(p.rglob("*.y*ml"))
            files += [f for f in found if is_scenario_file(f.resolve())]
            skipped += [f for f in found if "scenarios" not in f.resolve().parts]
        elif p.exists():
            files.append(p)
        else:
            raise ConfigError(
                f"no such scenario file or folder: {p}", fix="give scenario files or folders"
            )
    if not files and not personas:
        where = ", ".join(str(p) for p in paths or [Path("scenarios")])
        seen = (
            f" ({len(skipped)} YAML file(s) there, e.g. {skipped[0]}, are outside any `scenarios/` folder)"
            if skipped
            else ""
        )
        raise ConfigError(
            f"no scenarios found in {where}: in a folder, scenario files are looked up only under a "
            f"folder named `scenarios/` (cassettes and __snapshots__ skipped){seen}",
            fix="pass the scenario file itself (`walab compare path/to/name.yaml --variants …`), or "
            "keep scenarios under scenarios/<flow>/ in the project",
        )
    return files


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.promptlab import report
    from lab.promptlab.compare import needs_recording, run_matrix
    from lab.promptlab.estimate import estimate, total_cost
    from lab.redaction import Redactor, policy_for
    from lab.scenarios.loader import expand, load_scenario

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()] or [""]
    if not variants:
        raise ConfigError(
            "--variants needs at least one prompt id",
            fix="e.g. --variants whatsapp_agent.default,whatsapp_agent.concise",
        )
    settings = load_settings()
    personas = persona_files(args.paths)
    cases = []
    for f in scenario_files(args.paths, personas=bool(personas)):
        sc = load_scenario(f)
        if args.repeat:
            sc = replace(
                sc,
                llm=replace(sc.llm, repeat=args.repeat, pass_if=min(sc.llm.pass_if, args.repeat)),
            )
        cases += expand(sc)
    if args.llm in ("live", "record", "update"):
        est = estimate(cases, variants, models, settings.prompts_dir, repeat=args.repeat or 1)
        print(
            "estimated cost before running (tiktoken prompt tokens × turns × price; replies ~120 tokens):"
        )
        for e in est:
            cost = "price unknown" if e.cost_usd is None else f"${e.cost_usd:.4f}"
            print(
                f"  {e.variant} @ {e.model}: prompt {e.prompt_tokens} tok × {e.turns} turns → "
                f"{e.input_tokens} in / {e.output_tokens} out, {cost}"
            )
        total = total_cost(est)
        print(f"  total: {'price unknown' if total is None else f'${total:.4f}'}", flush=True)
        if not args.yes and (total is None or total > args.confirm_above):
            answer = (
                input(f"above ${args.confirm_above:.2f} (or unknown): run it? [y/N] ")
                .strip()
                .lower()
            )
            if answer not in ("y", "yes", "s", "sim"):
                print("not run")
                return 1

    # Personal data out of the reports, as out of the scenarios they replay (one policy).
    redactor = Redactor(
        policy_for(settings).with_names([c.name for case in cases for c in case.scenario.contacts])
    )

    def save(result) -> None:
        if args.json:
            data = redactor.data(result.to_dict())
            yamlio.write_atomic(args.json, json.dumps(data, ensure_ascii=False, indent=1))
        if args.html:
            yamlio.write_atomic(args.html, redactor.text(report.html(result)))

    bar = ProgressBar((len(cases) + len(personas)) * len(variants) * len(models))

    def progress(done: int, total: int, elapsed: float, cost: float, cell) -> None:
        mark = ("pass" if cell.passed else "FAIL") + (" (re-recorded)" if cell.recorded else "")
        bar.total = total
        bar.advance(
            f"{cell.scenario} · {cell.variant}{' @ ' + cell.model if cell.model else ''}: {mark}",
            ok=cell.passed,
            cost_usd=cell.cost_usd,
        )

    player = None
    player_options: dict = {}
    if args.kestra_version:
        player_options["settings_overrides"] = {"kestra_version": args.kestra_version}
    if args.fixtures:
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.kestra.engine.fixtures import load_fixtures

        player_options["fixtures"] = load_fixtures(args.fixtures)
    if player_options:
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.scenarios.player import Player

        player = partial(Player, **player_options)
    result = run_matrix(
        cases,
        variants,
        models,
        mode=args.llm,
        on_cell=save,
        progress=progress,
        prompts_dir=settings.prompts_dir,
        player_factory=player,
        personas=personas,
        persona_runs=args.repeat,
    )
    bar.close()
    save(result)
    print(report.table(result))
    if args.turns:
        for scenario in result.rows:
            print()
            print(report.side_by_side_text(result, scenario))
    if args.json:
        print(f"json: {args.json}")
    if args.html:
        print(f"html: {args.html}")
    if result.cancelled:
        return 130
    missing = needs_recording(result)
    if missing:
        shown = "; ".join(missing[:20]) + (
            f"; and {len(missing) - 20} more" if len(missing) > 20 else ""
        )
        raise ConfigError(
            f"--llm update found {len(missing)} cell(s) with no recording and cannot record them, "
            f"because no upstream is configured (neither OPENAI_API_KEY nor OPENAI_BASE_URL is set): "
            f"{shown}",
            fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server such as "
            "Ollama) and run the same command again: only those cells go to the model",
        )
    return 0 if all(c.passed for c in result.cells) else 1
