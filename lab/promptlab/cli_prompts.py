"""`walab prompts`: list the prompt variants with their flow, model, hash and token count."""

from __future__ import annotations

import argparse

from lab.config import load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flow", default=None, help="only the variants of this flow")
    parser.add_argument(
        "--promote",
        default=None,
        metavar="ID",
        help="make this variant its flow's default prompt file (the old one kept as <flow>.previous)",
    )


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.prompts import load_prompts

    settings = load_settings()
    if args.promote:
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.promptlab.promote import promote

        path = promote(settings.prompts_dir, args.promote)
        print(f"{args.promote} is now the default prompt ({path}); deploy it with `walab deploy`")
        return 0
    prompts = [p for p in load_prompts(settings.prompts_dir) if args.flow in (None, p.flow)]
    rows = [("id", "flow", "model", "hash", "tokens", "description")]
    rows += [(p.id, p.flow, p.model or "-", p.hash, str(p.tokens), p.description) for p in prompts]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r[:5], widths)) + "  " + r[5])
    return 0
