"""A flow's YAML read the way Kestra reads it (Jackson on SnakeYAML with strict duplicate
detection): a key written twice in one mapping is an error naming both lines, and every mapping
key is a string (`true:` is the key "true", `1:` the key "1"), for validation and at run time."""

from __future__ import annotations

from typing import Any

import yaml

from lab import yamlio


class DuplicateKey(yaml.MarkedYAMLError):
    """A key written twice in one mapping (Kestra: Duplicate field)."""

    def __init__(self, key: str, first_line: int, second: yaml.Mark) -> None:
        super().__init__(
            problem=f"duplicate key `{key}` (lines {first_line} and {second.line + 1}): Kestra "
            f"rejects the flow (Duplicate field '{key}'); keep one of them",
            problem_mark=second,
        )
        self.key = key
        self.lines = (first_line, second.line + 1)


class FlowLoader(yamlio._BoundedLoader):  # type: ignore[misc, valid-type]
    """The project's bounded safe loader with Kestra's mapping rules."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        seen: dict[str, int] = {}
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value  # Jackson's field name: the key as written
            else:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (list, dict)):
                    key = str(key)
            if key in seen:
                raise DuplicateKey(str(key), seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


FlowLoader.add_constructor(
    "tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True)
)


def load_flow(source: str) -> Any:
    """The flow's data, within the reader's limits; yaml.MarkedYAMLError (DuplicateKey, or
    yamlio.YamlLimitExceeded past a limit) when it cannot be read as Kestra would."""
    return yamlio.parse(source, loader=FlowLoader)
