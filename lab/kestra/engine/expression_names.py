"""A template's Pebble names the embedded engine lacks, told apart as task types are: a filter,
function or test Kestra has ("exists in Kestra but is not supported": run it on a real Kestra)
from one that exists nowhere (a misspelling, with a did-you-mean)."""

from __future__ import annotations

import difflib

from lab.kestra.engine import known_types
from lab.kestra.engine import render as R
from lab.kestra.expr.template import names_in, parse_template

REAL_KESTRA = known_types.REAL_KESTRA


def unsupported_expression(template: str, unknown: set[str], version: str) -> list[str]:
    """What to say about the names of a template the engine lacks, told apart as task types are:
    a filter/function/test Kestra has ("exists in Kestra but is not supported": run it on a real
    Kestra) from one that exists nowhere (a misspelling: fix the expression)."""

    api = R.expr()
    filters, functions, tests, _macros = names_in(parse_template(template))
    in_kestra, nowhere = [], []
    for kind, names, supported in (
        ("filter", filters, api.SUPPORTED_FILTERS),
        ("function", functions, api.SUPPORTED_FUNCTIONS),
        ("test", tests, api.SUPPORTED_TESTS),
    ):
        known = known_types.pebble_names(kind, version)
        for name in sorted(names & unknown):
            if name in known:
                in_kestra.append(f"{kind} {name}")
            else:
                close = difflib.get_close_matches(name, sorted(known | supported), n=1)
                nowhere.append(f"{kind} {name}" + (f" (did you mean {close[0]}?)" if close else ""))
    out = []
    if in_kestra:
        verb = "exists" if len(in_kestra) == 1 else "exist"
        out.append(
            f"{', '.join(in_kestra)} {verb} in Kestra but {'is' if verb == 'exists' else 'are'} not "
            f"supported by the embedded engine's expressions, in {template!r}; {REAL_KESTRA}"
        )
    if nowhere:
        verb = "does" if len(nowhere) == 1 else "do"
        out.append(
            f"{', '.join(nowhere)} {verb} not exist in Kestra's Pebble expressions (Kestra {version}), in "
            f"{template!r}; fix the expression"
        )
    return out
