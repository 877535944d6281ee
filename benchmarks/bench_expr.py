"""Expression rendering cost: what every task property of every execution pays.

Measures render() of typical Kestra templates (cached compile) against two baselines measured in the
same run: the same lookup written as plain Python dict access (the floor), and compiling from
scratch on every call (what caching saves). Writes benchmarks/results/expr.md.
"""

from __future__ import annotations

import os
import platform
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.kestra.expr import Functions, render, render_property, render_typed  # noqa: E402
from lab.kestra.expr.api import _COMPILER  # noqa: E402
from lab.kestra.expr.template import build  # noqa: E402

VARS = {
    "trigger": {
        "body": {
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "messages": [
                                    {
                                        "from": "5511999990000",
                                        "type": "text",
                                        "text": {"body": "quero pizza"},
                                    }
                                ]
                            }
                        }
                    ]
                }
            ]
        }
    },
    "inputs": {"name": "Ana", "optional": None},
    "outputs": {"classify": {"textOutput": "order", "tokenUsage": {"inputTokenCount": 12}}},
    "flow": {"id": "agent", "namespace": "lab.whatsapp"},
    "execution": {"id": "6Xy2", "startDate": "2026-11-27T10:00:00.000000Z"},
    "vars": {"greeting": "Olá"},
}
TEMPLATES = {
    "deep path": "{{ trigger.body.entry[0].changes[0].value.messages[0].text.body }}",
    "text + 2 expressions": "Hello {{ inputs.name }}, you said: {{ trigger.body.entry[0].changes[0].value.messages[0].text.body }}",
    "small if": "{% if outputs.classify.textOutput == 'order' %}yes{% else %}no{% endif %}",
    "?? default": "{{ inputs.missing ?? vars.greeting }}",
    "filters (upper | trim)": "{{ trigger.body.entry[0].changes[0].value.messages[0].text.body | upper | trim }}",
    "toJson of a map": "{{ outputs.classify | toJson }}",
    "jq | first": "{{ trigger.body | jq('.entry[0].changes[0].value.messages[0].from') | first }}",
    "plain text (no expression)": "just a constant string",
}
FX = Functions(namespace="lab.whatsapp")
# The same templates in Jinja2 syntax (a mature compiled engine, StrictUndefined like Kestra)
JINJA = {
    "deep path": "{{ trigger.body.entry[0].changes[0].value.messages[0].text.body }}",
    "text + 2 expressions": "Hello {{ inputs.name }}, you said: {{ trigger.body.entry[0].changes[0].value.messages[0].text.body }}",
    "small if": "{% if outputs.classify.textOutput == 'order' %}yes{% else %}no{% endif %}",
    "filters (upper | trim)": "{{ trigger.body.entry[0].changes[0].value.messages[0].text.body | upper | trim }}",
}


def jinja_renderers() -> dict:
    try:
        import jinja2
    except ImportError:
        return {}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return {name: env.from_string(src).render for name, src in JINJA.items()}


def per_call_us(fn, number: int = 20000, repeat: int = 15) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return (
        min(times) / number * 1e6
    )  # the least disturbed run (timeit's advice on a shared machine)


LOAD = os.getloadavg()[0]


def main() -> int:
    rows = []
    jinja = jinja_renderers()
    floor = per_call_us(
        lambda: VARS["trigger"]["body"]["entry"][0]["changes"][0]["value"]["messages"][0]["text"][
            "body"
        ]
    )
    for name, template in TEMPLATES.items():
        render(template, VARS, FX)  # compile once (cached)
        cached = per_call_us(lambda t=template: render(t, VARS, FX))
        uncached = per_call_us(
            lambda t=template: build(t, _COMPILER).render(VARS, FX), number=2000, repeat=5
        )
        jin = per_call_us(lambda r=jinja[name]: r(**VARS)) if name in jinja else None
        rows.append((name, cached, uncached, jin))
    prop = {
        "uri": "https://graph.example/{{ flow.namespace }}/messages",
        "method": "POST",
        "body": {
            "to": "{{ trigger.body.entry[0].changes[0].value.messages[0].from }}",
            "text": {"body": "{{ outputs.classify.textOutput }}"},
        },
        "retries": 3,
    }
    render_property(prop, VARS, FX)
    prop_us = per_call_us(lambda: render_property(prop, VARS, FX))
    typed_us = per_call_us(lambda: render_typed("{{ outputs.classify.tokenUsage }}", VARS, FX))

    lines = [
        "# Expression rendering (lab/kestra/expr)",
        "",
        "Command: `.venv/bin/python benchmarks/bench_expr.py`  ",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"2 cores (single-threaded benchmark); best of 15 repeats; load average at start {LOAD:.1f} "
        "(other processes share the cores: compare the ratios, not only the absolute times).",
        "",
        "Baselines measured in the same run: *floor* = the same deep lookup written as plain Python dict "
        f"access ({floor:.3f} µs); *uncached* = compiling the template on every call; *Jinja2* = the same "
        "template in Jinja2 (StrictUndefined), pre-compiled.",
        "",
        "| template | cached render (µs) | uncached compile+render (µs) | caching speed-up | Jinja2 (µs) | vs floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, cached, uncached, jin in rows:
        jtxt = f"{jin:.2f}" if jin is not None else "n/a"
        lines.append(
            f"| {name} | {cached:.2f} | {uncached:.1f} | {uncached / cached:.0f}x | {jtxt} | {cached / floor:.0f}x |"
        )
    lines += [
        "",
        f"- `render_property` of an HTTP-task-like map (4 strings, 3 with expressions): **{prop_us:.2f} µs**",
        f"- `render_typed` of a lone expression returning a map: **{typed_us:.2f} µs**",
        "",
        "Budget: the embedded engine targets p50 <= 3 ms per whole flow execution; a flow with 30 rendered "
        f"properties spends about {30 * rows[0][1] / 1000:.3f} ms rendering deep paths.",
    ]
    text = "\n".join(lines) + "\n"
    out = Path(__file__).resolve().parent / "results" / "expr.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
