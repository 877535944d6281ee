"""Cut Kestra's published OpenAPI document down to the operations walab's embedded API serves.

    python tests/kestra/contract/trim_openapi.py kestra-ee.yml --dialect 2.0 --origin kestra-io/client-sdk@COMMIT

The source is `kestra-ee.yml` of the public kestra-io/client-sdk repository (1.3: branch
releases/v1.3.x; 2.0: main). The copy keeps those paths and methods with their parameters, bodies
and responses, and every component schema they reach; prose (descriptions, summaries, tags,
examples) and security blocks are dropped. `ADDENDA` holds the operations a released Kestra
serves that the stored document predates, each with the source it was read from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

T = "/api/v1/{tenant}"
SERVED: dict[str, dict[str, tuple[str, ...]]] = {
    "common": {
        "/api/v1/configs": ("get",),
        f"{T}/executions": ("get",),
        f"{T}/executions/search": ("get",),
        f"{T}/executions/webhook/{{namespace}}/{{id}}/{{key}}": ("get", "post", "put"),
        f"{T}/executions/{{executionId}}": ("get",),
        f"{T}/executions/{{executionId}}/follow": ("get",),
        f"{T}/executions/{{namespace}}/{{id}}": ("post",),
        f"{T}/logs/{{executionId}}": ("get",),
        f"{T}/logs/{{executionId}}/download": ("get",),
        f"{T}/logs/{{executionId}}/follow": ("get",),
        f"{T}/metrics/{{executionId}}": ("get",),
        f"{T}/flows": ("post",),
        f"{T}/flows/search": ("get",),
        f"{T}/flows/validate": ("post",),
        f"{T}/flows/{{namespace}}": ("get", "post"),
        f"{T}/flows/{{namespace}}/{{id}}": ("get", "put", "delete"),
        f"{T}/kv": ("get",),
        f"{T}/namespaces/{{namespace}}/kv": ("get",),
        f"{T}/namespaces/{{namespace}}/kv/inheritance": ("get",),
        f"{T}/namespaces/{{namespace}}/kv/{{key}}": ("get", "put", "delete"),
        f"{T}/namespaces/{{namespace}}/files": ("get", "post", "delete"),
        f"{T}/namespaces/{{namespace}}/files/directory": ("get",),
        f"{T}/namespaces/{{namespace}}/files/stats": ("get",),
    },
    "1.3": {
        f"{T}/executions/{{executionId}}/kill": ("delete",),
        f"{T}/executions/{{executionId}}/resume": ("post",),
    },
    "2.0": {
        f"{T}/executions/{{executionId}}/actions/kill": ("delete",),
        f"{T}/executions/{{executionId}}/actions/resume": ("post",),
    },
}

_PATH_PARAM = {"in": "path", "required": True, "schema": {"type": "string"}}
_OBJECT = {"type": "object", "additionalProperties": True}
ADDENDA: dict[str, dict[str, Any]] = {
    # Kestra 2.0 GA moved the outputs routes (kestrapy 2.0.3, kestrapy/api/outputs_api.py, and its
    # model OutputControllerTaskOutputInformation); the stored 2.0.0-SNAPSHOT document has
    # /outputs/{executionId} and /outputs/{executionId}/{taskRunId} instead.
    "2.0": {
        f"{T}/outputs/executions/{{executionId}}": {
            "get": {
                "operationId": "getExecutionOutputs",
                "parameters": [
                    {"name": "executionId", **_PATH_PARAM},
                    {"name": "tenant", **_PATH_PARAM},
                ],
                "responses": {
                    "200": {
                        "description": "flow outputs",
                        "content": {"application/json": {"schema": _OBJECT}},
                    }
                },
            }
        },
        f"{T}/outputs/tasks/{{executionId}}": {
            "get": {
                "operationId": "getTaskOutputsInformation",
                "parameters": [
                    {"name": "executionId", **_PATH_PARAM},
                    {"name": "tenant", **_PATH_PARAM},
                ],
                "responses": {
                    "200": {
                        "description": "task runs with outputs",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {
                                        "$ref": "#/components/schemas/OutputController.TaskOutputInformation"
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        f"{T}/outputs/tasks/{{executionId}}/{{taskRunId}}": {
            "get": {
                "operationId": "getTaskRunOutputs",
                "parameters": [
                    {"name": "executionId", **_PATH_PARAM},
                    {"name": "taskRunId", **_PATH_PARAM},
                    {"name": "tenant", **_PATH_PARAM},
                ],
                "responses": {
                    "200": {
                        "description": "one task run's outputs",
                        "content": {"application/json": {"schema": _OBJECT}},
                    }
                },
            }
        },
    },
}
_PROSE = (
    "description",
    "summary",
    "tags",
    "example",
    "examples",
    "security",
    "externalDocs",
    "title",
)


def trim(doc: dict[str, Any], dialect: str, origin: str) -> dict[str, Any]:
    """The served subset of `doc` for `dialect`, with the schemas it references."""
    paths: dict[str, Any] = {}
    for group in ("common", dialect):
        for path, methods in SERVED[group].items():
            item = doc["paths"].get(path)
            if item is None:
                raise SystemExit(
                    f"{path} is not in the source document: is it the {dialect} document?"
                )
            paths[path] = {m: _strip(item[m]) for m in methods if m in item}
    for path, item in ADDENDA.get(dialect, {}).items():
        paths[path] = _strip(item)
    for item in paths.values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                response["description"] = ""  # required by OpenAPI 3.0, prose nonetheless
    schemas = doc["components"]["schemas"]
    wanted: dict[str, Any] = {}
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted[name] = _strip(schemas[name])
        pending |= _refs(wanted[name]) - set(wanted)
    return {
        "openapi": doc["openapi"],
        "info": {
            "title": doc["info"]["title"],
            "version": doc["info"]["version"],
            "x-origin": origin,
            "x-trimmed": "only the operations walab serves; see tests/kestra/contract/trim_openapi.py",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(wanted.items()))},
    }


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip(v)
            for k, v in node.items()
            if not (
                k in _PROSE
                and not isinstance(v, dict)
                or k in ("security", "tags", "examples", "example")
            )
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="kestra-ee.yml of kestra-io/client-sdk")
    parser.add_argument("--dialect", choices=("1.3", "2.0"), required=True)
    parser.add_argument("--origin", required=True, help="repository@commit the source was read at")
    parser.add_argument("--out", type=Path, help="default: kestra-<dialect>.yml beside this script")
    args = parser.parse_args(argv)
    doc = yaml.load(args.source.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out = args.out or Path(__file__).with_name(f"kestra-{args.dialect}.yml")
    text = yaml.dump(
        trim(doc, args.dialect, args.origin), sort_keys=False, allow_unicode=True, width=120
    )
    out.write_text(text)
    print(f"{out}: {len(text.splitlines())} lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
