"""`walab kestra-test [PATH…]`: Kestra's flow unit tests (TestSuite YAML) on the embedded engine.

PATHs are test suite files or folders (default: tests/kestra_tests/). The flows found in the given
folders are deployed first, then the project's flows/ (those not already deployed). `--kestra URL`
runs them on a real Kestra Enterprise through its /tests API instead (lab.kestra.testsuite.remote).
Prints each
suite's TestSuiteRunResult (`--json`: a JSON list of them, Kestra's exact shape). Exit 0 when every
case passes (or is skipped), 1 when one fails or errors, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from lab.config import load_settings
from lab.errors import ConfigError
from lab.kestra.testsuite.runner import SuiteRunner
from lab.kestra.testsuite.suites import collect, engine_with_flows

DEFAULT_SUITES = Path("tests") / "kestra_tests"
MARKS = {"SUCCESS": "✓", "FAILED": "✗", "ERROR": "!", "SKIPPED": "-"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"test suite files or folders (default: {DEFAULT_SUITES}/)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the TestSuiteRunResult list as JSON"
    )
    parser.add_argument(
        "--kestra-version",
        choices=("1.3", "2.0"),
        default="1.3",
        help="the Kestra version the embedded engine plays (2.0 checks each case's expectedState)",
    )
    parser.add_argument(
        "--flows", metavar="DIR", default="flows", help="the project's flows (default: flows/)"
    )
    parser.add_argument(
        "--case", action="append", metavar="ID", help="run only these test case ids"
    )
    parser.add_argument(
        "--kestra",
        metavar="URL",
        help="run the suites on this Kestra Enterprise through its /tests API (basic auth from "
        "KESTRA_USER / KESTRA_PASSWORD) instead of the embedded engine",
    )


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [DEFAULT_SUITES]
    suites, flows = collect(paths)
    if not suites:
        raise ConfigError(
            f"no test suites (YAML with testCases and flowId) in {', '.join(map(str, paths))}",
            fix="pass Kestra TestSuite files or the folders that hold them",
        )
    known = [case.id for suite in suites for case in suite.test_cases]
    unknown = [case for case in args.case or [] if case not in known]
    if unknown:  # otherwise every suite is SKIPPED and the run says "all passing"
        raise ConfigError(
            f"no test case {', '.join(map(repr, unknown))} in {', '.join(map(str, paths))}",
            fix="--case takes a case id of the suites: " + ", ".join(known),
        )
    if args.kestra:
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.kestra.testsuite.remote import run_on_kestra

        settings = load_settings()
        results = asyncio.run(
            run_on_kestra(
                args.kestra,
                suites,
                flows,
                Path(args.flows),
                args.case,
                username=settings.kestra_user,
                password=settings.kestra_password,
            )
        )
    else:
        results = asyncio.run(_run(suites, flows, Path(args.flows), args.kestra_version, args.case))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    else:
        for suite, result in zip(suites, results):
            print(report(result, str(suite.path)))
    failed = [r for r in results if r["state"] in ("FAILED", "ERROR")]
    cases = sum(len(r["results"]) for r in results)
    print(
        f"{len(results)} test suite(s), {cases} case(s): "
        + (f"{len(failed)} not passing" if failed else "all passing"),
        file=sys.stderr,
    )
    return 1 if failed else 0


async def _run(
    suites: list[Any], flows: list[Any], project_flows: Path, version: str, cases: list[str] | None
) -> list[dict[str, Any]]:
    engine = engine_with_flows(flows, project_flows, version)
    try:
        runner = SuiteRunner(engine)
        return [await runner.run_suite(suite, cases) for suite in suites]
    finally:
        await engine.aclose()


def report(result: dict[str, Any], where: str) -> str:
    """A TestSuiteRunResult as a person reads it: the suite, each case, each failing assertion."""
    lines = [
        f"{MARKS.get(result['state'], '?')} {result['namespace']}.{result['testSuiteId']} "
        f"(flow {result['flowId']}) {result['state']}  {where}"
    ]
    for case in result["results"]:
        lines.append(
            f"  {MARKS.get(case['state'], '?')} {case['testId']} {case['state']}"
            + (f"  execution {case['executionId']}" if case.get("executionId") else "")
        )
        for assertion in case["assertionResults"]:
            if not assertion["isSuccess"]:
                task = f" [{assertion['taskId']}]" if assertion.get("taskId") else ""
                lines.append(f"      {assertion['operator']}{task}: {assertion['errorMessage']}")
        for error in case["errors"]:
            lines.append(
                f"      error: {error['message']}"
                + (f" ({error['details']})" if error.get("details") else "")
            )
    return "\n".join(lines)
