"""`walab validate [PATH...]`: check Kestra flows with the embedded engine or a real Kestra.

Each problem is printed as `file:line: [kind] message` with a hint. Kinds: `unknown type` (the
class does not exist in Kestra), `unsupported` (exists in Kestra, the embedded engine does not
run it: use a real Kestra; also a Pebble filter, function or test Kestra has), `removed` (gone in
the Kestra version checked), `invalid` (the rest, a misspelt Pebble name included). Exit 1 when a
flow is invalid, 0 when all are valid, 2 on usage or configuration errors (no such path, no flows,
unreachable Kestra, refused credentials). In a folder, YAML under a `files/` subfolder is
namespace files, not flows, and is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra.credentials import add_credentials_options, credentials
from lab.kestra.flow_files import yaml_files

_PATH_PREFIX = re.compile(r"^((?:[A-Za-z_][\w-]*(?:\[\d+\])*\.?)+):\s")


@dataclass(slots=True)
class Finding:
    """One problem of one flow, ready to print."""

    file: str
    line: int | None
    kind: str
    message: str
    hint: str | None = None
    severity: str = "error"  # or "warning": the flow is still valid

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: [{self.kind}] {self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
            "hint": self.hint,
        }

    def annotation(self) -> str:
        """A GitHub Actions workflow command: the finding shown on the file's line in the PR."""
        level = "error" if self.severity == "error" else "warning"
        where = f"file={_escape_property(self.file)}" + (f",line={self.line}" if self.line else "")
        message = self.message + (f"\nhint: {self.hint}" if self.hint else "")
        return f"::{level} {where},title={_escape_property('walab ' + self.kind)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="flow files or folders (default: flows/)"
    )
    parser.add_argument(
        "--kestra", metavar="URL", help="validate with a real Kestra's /flows/validate instead"
    )
    add_credentials_options(parser)
    parser.add_argument(
        "--kestra-version",
        choices=("1.3", "2.0"),
        default="1.3",
        help="the Kestra version the embedded engine checks against (default 1.3 LTS)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (default), json (one document), github (GitHub Actions annotations)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print problems only, no summary"
    )


def run(args: argparse.Namespace) -> int:
    files = collect(args.paths or ["flows"])
    if args.kestra and not args.kestra.startswith(("http://", "https://")):
        raise ConfigError(
            f"--kestra needs a URL with its scheme, not {args.kestra!r}",
            fix=f"write it as http://{args.kestra}",
        )
    if args.kestra:
        user, password = credentials(args)
        results = asyncio.run(_with_kestra(files, args.kestra, user, password))
        target = f"Kestra at {args.kestra}"
    else:
        results = _with_engine(files, args.kestra_version)
        target = f"the embedded engine (Kestra {args.kestra_version})"
    results = [(path, findings + _key_warnings(path)) for path, findings in results]
    invalid = sum(1 for _path, findings in results if any(f.severity == "error" for f in findings))
    warned = sum(1 for _path, findings in results for f in findings if f.severity != "error")
    output = getattr(args, "format", "text")
    if output == "json":
        print(
            json.dumps(
                {
                    "target": target,
                    "checked": len(results),
                    "invalid": invalid,
                    "findings": [f.as_json() for _path, findings in results for f in findings],
                },
                indent=2,
            )
        )
        return 1 if invalid else 0
    for _path, findings in results:
        for finding in findings:
            print(finding.annotation() if output == "github" else finding.render())
    if not args.quiet:
        print(
            f"{len(results)} flow file(s) checked with {target}: "
            + (f"{invalid} invalid" if invalid else "all valid")
            + (f", {warned} warning(s)" if warned else ""),
            file=sys.stderr,
        )
    return 1 if invalid else 0


def _key_warnings(path: Path) -> list[Finding]:
    """Warnings (not errors: the flow runs) about a WhatsApp webhook key unfit for production."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.kestra.webhook_keys import key_warnings

    try:
        source = yamlio.read_text(path)
    except ConfigError:
        return []  # reported as the file's finding
    return [
        Finding(str(path), w.line, "warning", w.message, w.hint, "warning")
        for w in key_warnings(source)
    ]


def collect(paths: list[str]) -> list[Path]:
    """The flow files under the given files/folders, sorted; ConfigError (exit 2) when none."""
    found = yaml_files(paths, fix="pass flow files or folders (default: flows/)")
    if not found:
        raise ConfigError(
            f"no flow files (*.yml, *.yaml) in {', '.join(paths)}",
            fix="pass a folder with Kestra flows",
        )
    return found


def _with_engine(files: list[Path], version: str = "1.3") -> list[tuple[Path, list[Finding]]]:
    from lab.kestra.engine.validation import validate  # what Engine.validate / deploy apply

    results = []
    for path in files:
        try:
            source = yamlio.read_text(path)
        except (
            ConfigError
        ) as exc:  # not UTF-8, unreadable, too large: that file's finding, the others go on
            line = re.search(r":(\d+)$", exc.where or "")
            results.append(
                (
                    path,
                    [
                        Finding(
                            str(path),
                            int(line.group(1)) if line else None,
                            "invalid",
                            exc.what,
                            exc.fix,
                        )
                    ],
                )
            )
            continue
        findings = [
            _from_problem(path, source, p)
            for p in validate(source, path=str(path), version=version)
        ]
        results.append((path, findings))
    return results


def _from_problem(path: Path, source: str, problem: Any) -> Finding:
    message = getattr(problem, "message", None) or str(problem)
    line = getattr(problem, "line", None)
    where = getattr(problem, "path", None)
    if line is None and where:
        line = line_of(source, where)
    kind = _KINDS.get(str(getattr(problem, "kind", "")), None) or _kind_of(message)
    if "removed in kestra" in message.lower():
        kind = "removed"
    raw_kind = str(getattr(problem, "kind", ""))
    if raw_kind == "expression" and (
        " exists in Kestra but " in message or " exist in Kestra but " in message
    ):
        # A filter/function/test Kestra has and the embedded engine lacks: as for a task type,
        # the flow is fine; a real Kestra runs it.
        kind, raw_kind = "unsupported", "unsupported-expression"
    hint = getattr(problem, "hint", None) or _HINTS.get(raw_kind) or _hint_for(kind)
    return Finding(str(path), line, kind, message, hint, getattr(problem, "severity", "error"))


async def _with_kestra(files: list[Path], url: str, user: str | None, password: str | None):
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.kestra.client import KestraClient
    from lab.kestra.errors import KestraUnreachable

    sources = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    async with KestraClient(url, username=user, password=password) as kestra:
        try:
            await kestra.detect()
            reports = [await kestra.flows.validate(source) for source in sources]
        except KestraUnreachable as exc:
            raise ConfigError(exc.what, where=exc.where, fix=exc.fix) from exc
    results = []
    for path, source, flow_reports in zip(files, sources, reports):
        documents = _documents(source)
        findings = []
        for report in flow_reports:
            offset, document = (
                documents[report.index] if report.index < len(documents) else (0, source)
            )
            for constraint in (report.constraints or "").splitlines():
                if constraint.strip():
                    finding = _from_constraint(path, document, constraint.strip())
                    finding.line = finding.line + offset if finding.line else None
                    findings.append(finding)
        results.append((path, findings))
    return results


def _documents(source: str) -> list[tuple[int, str]]:
    """The flows of a multi-document file with their line offsets (Kestra splits on `---`)."""
    documents, start, current = [], 0, []
    for number, line in enumerate(source.splitlines(keepends=True)):
        if line.rstrip() == "---":
            documents.append((start, "".join(current)))
            start, current = number + 1, []
        else:
            current.append(line)
    documents.append((start, "".join(current)))
    return [(o, d) for o, d in documents if d.strip()] or [(0, source)]


def _from_constraint(path: Path, source: str, constraint: str) -> Finding:
    match = _PATH_PREFIX.match(constraint)
    line = line_of(source, match.group(1)) if match else None
    if line is None:
        type_name = re.search(r"Invalid type: ([\w.$]+)", constraint)
        if type_name:
            line = _line_containing(source, type_name.group(1))
    kind = _kind_of(constraint)
    return Finding(str(path), line, kind, constraint, _hint_for(kind))


# The engine's problem kinds, as the three a person acts on differently.
_KINDS = {
    "needs-fixture": "needs a fixture",
    "deprecated": "deprecated",
    "unknown-type": "unknown type",
    "unsupported-type": "unsupported",
    "unsupported-property": "unsupported",
    "unknown-property": "invalid",
    "yaml": "invalid",
    "missing": "invalid",
    "missing-property": "invalid",
    "expression": "invalid",
    "duplicate-id": "invalid",
    "invalid": "invalid",
}


def _kind_of(message: str) -> str:
    text = message.lower()
    if "invalid type" in text or "unknown type" in text or "does not exist" in text:
        return "unknown type"
    if "not supported" in text or "unsupported" in text or "embedded engine" in text:
        return "unsupported"
    return "invalid"


# What to do, per engine problem kind, where the kind says more than "invalid".
_HINTS = {
    "needs-fixture": "the flow is valid; to run it here, give the task a fixture (scenario `fixtures:`, "
    "--fixtures FILE, or a TestSuite), or run it on a real Kestra",
    "deprecated": "the flow is valid; move to the replacement Kestra's documentation names",
    "yaml": "fix the YAML at that line: indentation, a missing quote or bracket, a ':' after the key",
    "missing": "a flow needs id, namespace and tasks at the top level",
    "missing-property": "add the property the message names to that task",
    "unknown-property": "remove or rename the property (check its spelling against the task's documentation)",
    "duplicate-id": "give every task a unique id within the flow",
    "expression": "fix the {{ }} expression the message quotes (Kestra's Pebble syntax)",
}


def _hint_for(kind: str) -> str:
    if kind == "removed":
        return "use the replacement the message names (or keep the flow on Kestra 1.3: --kestra-version 1.3)"
    if kind == "unknown type":
        return "check the spelling of the type against Kestra's plugin documentation"
    if kind == "unsupported":
        return (
            "this exists in Kestra but the embedded engine does not run it: use a real Kestra "
            "(docker compose up -d, then --kestra http://localhost:8080)"
        )
    return "correct the flow as the message says"


def line_of(source: str, path: str) -> int | None:
    """The 1-based line of a property path such as `tasks[0].type` in the YAML source."""
    try:
        node = yaml.compose(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return mark.line + 1 if mark else None
    line = node.start_mark.line + 1 if node is not None else None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if node is None:
            break
        if part.startswith("[") and isinstance(node, yaml.SequenceNode):
            index = int(part[1:-1])
            node = node.value[index] if index < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if node is not None:
                line = node.start_mark.line + 1
            continue
        else:
            break
        if node is not None:
            line = node.start_mark.line + 1
    return line


def _line_containing(source: str, needle: str) -> int | None:
    for number, text in enumerate(source.splitlines(), 1):
        if needle in text:
            return number
    return None
