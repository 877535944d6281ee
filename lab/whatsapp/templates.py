"""The template registry: approved templates that template sends are checked against.

Loaded from the packaged `templates.yaml`, then the project's `templates.yaml` (which adds or
overrides by name and language). Errors name the file, the line and what is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.errors import ConfigError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
CATEGORIES = ("marketing", "utility", "authentication")
STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
BUTTON_TYPES = ("quick_reply", "url", "phone_number", "copy_code")
_KEYS = {"name", "language", "category", "status", "header", "body", "footer", "buttons"}


@dataclass(frozen=True, slots=True)
class TemplateButton:
    type: str
    text: str
    url: str | None = None

    @property
    def params(self) -> int:
        """Parameters a send must give for this button (a URL variable, a coupon code)."""
        if self.type == "url":
            return len(PLACEHOLDER.findall(self.url or ""))
        return 1 if self.type == "copy_code" else 0


@dataclass(frozen=True, slots=True)
class Template:
    """One approved (or not) template in one language."""

    name: str
    language: str
    category: str
    status: str = "APPROVED"
    header: str | None = None
    body: str = ""
    footer: str | None = None
    buttons: tuple[TemplateButton, ...] = ()

    def placeholders(self, component: str) -> list[str]:
        text = self.header if component == "header" else self.body if component == "body" else None
        return PLACEHOLDER.findall(text or "")

    @property
    def named(self) -> bool:
        """True when the template uses named placeholders ({{first_name}})."""
        names = self.placeholders("header") + self.placeholders("body")
        return any(not n.isdigit() for n in names)

    def render(self, component: str, values: list[str]) -> str:
        """Fill a component's placeholders in order (for the chat view)."""
        text = self.header if component == "header" else self.body
        it = iter(values)
        return PLACEHOLDER.sub(lambda m: next(it, m.group(0)), text or "")


@dataclass
class TemplateRegistry:
    """Templates by (name, language)."""

    templates: dict[tuple[str, str], Template] = field(default_factory=dict)

    def get(self, name: str, language: str) -> Template | None:
        return self.templates.get((name, language))

    def add(self, template: Template) -> None:
        self.templates[(template.name, template.language)] = template

    def __len__(self) -> int:
        return len(self.templates)

    @classmethod
    def load(
        cls, project_dir: Path | None = None, *, extra: Path | None = None
    ) -> TemplateRegistry:
        """The packaged templates, then `<project_dir>/templates.yaml`, then `extra`, if present."""
        reg = cls()
        packaged = resources.files("lab.whatsapp").joinpath("templates.yaml")
        reg.merge_text(packaged.read_text(encoding="utf-8"), source="lab/whatsapp/templates.yaml")
        for path in (project_dir / "templates.yaml" if project_dir else None, extra):
            if path is not None and path.exists():
                reg.merge_text(yamlio.read_text(path), source=str(path))
        return reg

    def merge_text(self, text: str, *, source: str) -> None:
        """Parse a registry file and add its templates (later files override earlier ones)."""
        data = yamlio.loads(text, source=source) or {}
        if not isinstance(data, dict) or not isinstance(data.get("templates", []), list):
            raise ConfigError(
                f"{source} must be a mapping with a `templates:` list",
                where=source,
                fix="start the file with `version: 1` and `templates:` followed by `- name: ...` items",
            )
        if data.get("version", 1) != 1:
            raise ConfigError(
                f"{source}: unsupported version {data.get('version')!r}",
                where=source,
                fix="use version: 1",
            )
        for i, item in enumerate(data.get("templates") or []):
            self.add(_parse(item, text, source, i))


def _parse(item: Any, text: str, source: str, i: int) -> Template:
    line = yamlio.line_of(text, ["templates", i])
    where = f"{source}:{line}" if line else source

    def bad(what: str, fix: str) -> ConfigError:
        return ConfigError(f"template #{i + 1}: {what}", where=where, fix=fix)

    if not isinstance(item, dict):
        raise bad("must be a mapping", "write `- name: ...` with language, category, body")
    unknown = set(item) - _KEYS
    if unknown:
        raise bad(
            f"unknown key(s) {', '.join(sorted(unknown))}",
            f"known keys: {', '.join(sorted(_KEYS))}",
        )
    name = str(item.get("name") or "")
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        raise bad(f"name {name!r} is not valid", "use lowercase letters, digits and underscores")
    category = str(item.get("category", "")).lower()
    if category not in CATEGORIES:
        raise bad(
            f"category {item.get('category')!r} is not one of {', '.join(CATEGORIES)}",
            "set category: utility (or marketing, authentication)",
        )
    status = str(item.get("status", "APPROVED")).upper()
    if status not in STATUSES:
        raise bad(
            f"status {item.get('status')!r} is not one of {', '.join(STATUSES)}",
            "set status: APPROVED",
        )
    if not isinstance(item.get("body"), str) or not item["body"]:
        raise bad("needs a body text", 'add body: "Olá {{1}}, ..."')
    buttons = []
    for b in item.get("buttons") or []:
        if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES or not b.get("text"):
            raise bad(
                f"button {b!r} is not valid",
                f"each button needs type ({', '.join(BUTTON_TYPES)}) and text",
            )
        buttons.append(TemplateButton(str(b["type"]), str(b["text"]), b.get("url")))
    tpl = Template(
        name=name,
        language=str(item.get("language") or "en_US"),
        category=category,
        status=status,
        header=item.get("header"),
        body=item["body"],
        footer=item.get("footer"),
        buttons=tuple(buttons),
    )
    names = tpl.placeholders("header") + tpl.placeholders("body")
    if names and any(n.isdigit() for n in names) and any(not n.isdigit() for n in names):
        raise bad(
            "mixes positional {{1}} and named {{name}} placeholders", "use one style per template"
        )
    return tpl
