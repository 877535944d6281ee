"""`walab import --kestra URL`: production executions become scenarios, redacted, with a drift report.

    walab import --kestra https://kestra.example.com --execution 4QjCuH1pG5B2k3Nn7xY9aZ
    walab import --kestra https://kestra.example.com --flow company.whatsapp/whatsapp_agent \\
        --since 2d --label team=vendas --state FAILED

One scenario per conversation (a contact's messages with no longer silence than `--gap`), in
`scenarios/<flow>/` (or `--dir`): its steps the messages the executions received, its fixtures
the real outputs of the tasks that reached outside, its expectations what the replay on the
embedded engine produced, the model's answers in `<name>.cassette.yaml`, and `<name>.drift.yaml`
saying where the replay differs from production. Personal data is redacted (walab.yaml
`redaction:`) unless `--no-redact`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from lab.clock import parse_duration
from lab.errors import ConfigError
from lab.importer.fetch import Query
from lab.importer.run import DEFAULT_GAP, ImportSummary, run_import
from lab.kestra.client import KestraClient
from lab.kestra.credentials import add_credentials_options, credentials
from lab.scenarios.cli_record import add_output_options
from lab.scenarios.recorder import check_name


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kestra", required=True, metavar="URL", help="the production Kestra")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--execution", nargs="+", metavar="ID", default=[], help="these executions")
    which.add_argument("--flow", metavar="NS/ID", help="the executions of this flow (with --since)")
    parser.add_argument(
        "--since", metavar="DURATION", help="started this long ago or later: 2d, 12h, 90m"
    )
    parser.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="carrying this label"
    )
    parser.add_argument(
        "--state", action="append", default=[], metavar="STATE", help="ended in this state (FAILED)"
    )
    add_credentials_options(parser)
    add_output_options(parser)
    parser.add_argument(
        "--gap",
        default=None,
        metavar="DURATION",
        help="a longer silence starts a new conversation (default 24h)",
    )
    parser.add_argument(
        "--name", default="imported", help="the scenarios' name prefix (default: imported)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes replaying conversations (default: one per core, at most 4, "
        "when there are 16 or more)",
    )


def query_of(args: argparse.Namespace) -> Query:
    """The executions the options name, or a ConfigError saying which option is wrong."""
    if args.flow and not args.since:
        raise ConfigError(
            "--flow needs --since (how far back to import)", fix="e.g. --flow ns/id --since 2d"
        )
    flow = None
    if args.flow:
        namespace, _, flow_id = args.flow.rpartition("/")
        if not namespace or not flow_id:
            raise ConfigError(
                f"--flow {args.flow!r} is not NAMESPACE/ID",
                fix="e.g. --flow company.whatsapp/whatsapp_agent",
            )
        flow = (namespace, flow_id)
    labels = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--label {item!r} is not KEY=VALUE", fix="e.g. --label team=vendas")
        labels[key] = value
    return Query(
        ids=tuple(args.execution),
        flow=flow,
        since=parse_duration(args.since) if args.since else None,
        labels=labels,
        states=tuple(s.upper() for s in args.state),
    )


def run(args: argparse.Namespace) -> int:
    if not args.kestra.startswith(("http://", "https://")):
        raise ConfigError(
            f"--kestra needs a URL with its scheme, not {args.kestra!r}",
            fix=f"write it as https://{args.kestra}",
        )
    check_name(args.name)
    query = query_of(args)
    gap = parse_duration(args.gap) if args.gap else DEFAULT_GAP
    user, password = credentials(args)

    async def main() -> ImportSummary:
        async with KestraClient(args.kestra, username=user, password=password) as client:
            return await run_import(
                client,
                query,
                project_dir=Path.cwd(),
                out_dir=args.dir,
                gap=gap,
                redact=not args.no_redact,
                prefix=args.name,
                workers=args.workers,
            )

    summary = asyncio.run(main())
    print(report(summary, redacted=not args.no_redact))
    return 0


def report(summary: ImportSummary, *, redacted: bool = True) -> str:
    """What the import wrote, one line per scenario, and what it left out."""
    lines = [
        f"{summary.executions} execution(s) read, {len(summary.imported)} conversation(s) imported"
    ]
    for item in summary.imported:
        drift = (
            f"{len(item.differences)} difference(s) from production"
            if item.differences
            else "replays as in production"
        )
        lines.append(f"  {item.scenario}  {item.turns} turn(s), {drift}: {item.drift_report.name}")
    if summary.grouped.statuses:
        lines.append(
            f"  {summary.grouped.statuses} execution(s) without a user message left out "
            "(status callbacks: the sandbox makes them)"
        )
    for why in summary.grouped.other:
        lines.append(f"  not imported: {why}")
    if not redacted:
        lines.append("PERSONAL DATA: written with --no-redact; do not commit these files.")
    return "\n".join(lines)
