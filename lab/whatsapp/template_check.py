"""Template sends checked against the registry: existence, approval, parameter count and format.

`(#132001) Template name does not exist in the translation` (HTTP 404) for an unknown or
unapproved name/language, `(#132000) Number of parameters does not match the expected number of
params` with Meta's details (`body: number of localizable_params (1) does not match the expected
number of params (3)`), 132012 for named/positional mismatch, 132015/132016 paused/disabled.
"""

from __future__ import annotations

from typing import Any

from lab.whatsapp.errors import GraphError, missing, param_error
from lab.whatsapp.templates import Template, TemplateRegistry

BODY_PARAM_MAX = 32768
HYDRATED_BODY_MAX = 1024
_COMPONENT_TYPES = ("header", "body", "button")


def check_template(node: Any, registry: TemplateRegistry) -> Template:
    """Validate a `template` send object; returns the registry template."""
    if not isinstance(node, dict):
        raise param_error("Param template must be an object.")
    name = node.get("name")
    lang = node.get("language")
    if not isinstance(name, str) or not name:
        raise missing("Parameter 'template.name' is required.")
    code = lang.get("code") if isinstance(lang, dict) else None
    if not isinstance(code, str):
        raise missing("Parameter 'template.language.code' is required.")
    tpl = registry.get(name, code)
    if tpl is None or tpl.status in ("PENDING", "REJECTED"):
        raise GraphError(132001, f"template name ({name}) does not exist in {code}")
    if tpl.status == "PAUSED":
        raise GraphError(132015, f"Template {name} is paused because of low quality.")
    if tpl.status == "DISABLED":
        raise GraphError(132016, f"Template {name} has been disabled.")
    comps = node.get("components") or []
    if not isinstance(comps, list):
        raise param_error("Param template['components'] must be an array.")
    given: dict[str, list[dict]] = {"header": [], "body": []}
    buttons: dict[int, dict] = {}
    for c in comps:
        ctype = c.get("type") if isinstance(c, dict) else None
        ctype = ctype.lower() if isinstance(ctype, str) else ctype  # Meta accepts BODY and body
        if ctype not in _COMPONENT_TYPES:
            raise param_error(
                f"Param template['components'][]['type'] must be one of {{HEADER, BODY, BUTTON}} - got \"{ctype}\"."
            )
        params = c.get("parameters") or []
        if not isinstance(params, list):
            raise param_error(
                f"Param template['components'][{ctype}]['parameters'] must be an array."
            )
        if ctype == "button":
            try:
                idx = int(c.get("index"))
            except (TypeError, ValueError):
                raise missing("Parameter 'index' is required for button components.") from None
            buttons[idx] = c
        else:
            given[ctype].extend(params)
    for comp in ("header", "body"):
        _count(tpl, comp, given[comp])
    _buttons(tpl, buttons)
    values = [str(p.get("text", "")) for p in given["body"] if isinstance(p, dict)]
    if len(tpl.render("body", values)) > HYDRATED_BODY_MAX and tpl.header is not None:
        raise GraphError(132005, f"The hydrated body text exceeds {HYDRATED_BODY_MAX} characters.")
    return tpl


def _count(tpl: Template, comp: str, params: list[dict]) -> None:
    expected = tpl.placeholders(comp)
    text_params = [
        p
        for p in params
        if isinstance(p, dict) and (comp == "body" or str(p.get("type", "")).lower() == "text")
    ]
    if comp == "header" and tpl.header is not None and not expected:
        text_params = []  # a static header takes no text parameters; media headers are not counted
    if len(text_params) != len(expected):
        raise GraphError(
            132000,
            f"{comp}: number of localizable_params ({len(text_params)}) does not match "
            f"the expected number of params ({len(expected)})",
        )
    for p in text_params:
        if str(p.get("type", "")).lower() not in ("text", "currency", "date_time"):
            raise param_error(
                f"Param template['components'][{comp}]['parameters'][]['type'] is not valid: {p.get('type')!r}."
            )
        if str(p.get("type", "")).lower() == "text" and (
            not isinstance(p.get("text"), str) or len(p["text"]) > BODY_PARAM_MAX
        ):
            raise GraphError(
                131009,
                f"{comp}: text parameter must be a string of at most {BODY_PARAM_MAX} characters",
            )
    if tpl.named:
        names = [p.get("parameter_name") for p in text_params]
        if any(not isinstance(n, str) for n in names) or sorted(names) != sorted(expected):
            raise GraphError(
                132012, f"{comp}: named parameters {names} do not match the template's {expected}"
            )
    elif any("parameter_name" in p for p in text_params):
        raise GraphError(
            132012, f"{comp}: the template uses positional parameters; remove parameter_name"
        )


def _buttons(tpl: Template, given: dict[int, dict]) -> None:
    for idx, comp in given.items():
        if not 0 <= idx < len(tpl.buttons):
            raise GraphError(
                131009, f"Button at index {idx} does not exist in template {tpl.name}."
            )
        button = tpl.buttons[idx]
        sub = comp.get("sub_type")
        sub = sub.lower() if isinstance(sub, str) else sub
        if sub != button.type:
            raise GraphError(131009, f"Button at index {idx} is {button.type}, not {sub}.")
        n = len(comp.get("parameters") or [])
        if button.type != "quick_reply" and n != button.params:
            raise GraphError(
                132000,
                f"button: number of localizable_params ({n}) does not match the expected "
                f"number of params ({button.params})",
            )
    for idx, button in enumerate(tpl.buttons):
        if button.params and idx not in given:
            raise GraphError(
                132000,
                f"button: number of localizable_params (0) does not match the expected "
                f"number of params ({button.params})",
            )
