"""What the redactor replaces, read from `redaction:` in walab.yaml.

```yaml
redaction:
  enabled: true                     # false: files say they hold personal data
  kinds: [cpf, cnpj, phone, email, name, cep, address, card]
  allow: ["Solar Sul Energia", "contato@solarsul.com.br"]   # values never replaced
  key: my-project                   # pseudonyms' key: the same value, the same pseudonym
  payloads: true                    # also in the chat's Payloads tab (default: shown as sent)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lab.errors import ConfigError

KINDS = ("cpf", "cnpj", "phone", "email", "name", "cep", "address", "card")
NOTICE = "# PERSONAL DATA: written with --no-redact; do not commit this file.\n"
DEFAULT_KEY = "walab"


@dataclass(frozen=True)
class RedactionPolicy:
    """Which kinds of personal data are replaced, what is never replaced, and the pseudonyms' key."""

    enabled: bool = True
    kinds: frozenset[str] = frozenset(KINDS)
    allow: frozenset[str] = frozenset()
    key: str = DEFAULT_KEY
    names: tuple[str, ...] = field(default=())  # contact names known before the text is read
    payloads: bool = False  # the chat's Payloads tab is redacted too (it shows what flows sent)

    def with_names(self, names: list[str] | tuple[str, ...]) -> RedactionPolicy:
        """This policy knowing more contact names."""
        known = dict.fromkeys([*self.names, *(n for n in names if n)])
        return replace(self, names=tuple(known))


def policy_of(value: Any, where: str = "walab.yaml") -> RedactionPolicy:
    """The policy a `redaction:` mapping describes (None: the default, everything redacted)."""
    if value is None:
        return RedactionPolicy()
    if isinstance(value, RedactionPolicy):
        return value
    fix = (
        "redaction: {enabled: true, kinds: [cpf, phone, ...], allow: [...], key: <text>, "
        "payloads: false}"
    )
    if not isinstance(value, dict) or set(value) - {"enabled", "kinds", "allow", "key", "payloads"}:
        raise ConfigError(
            "`redaction` must be a mapping of enabled, kinds, allow, key, payloads",
            where=where,
            fix=fix,
        )
    kinds = value.get("kinds", list(KINDS))
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        raise ConfigError(
            f"redaction kinds {kinds!r} name an unknown kind",
            where=where,
            fix=f"use some of {', '.join(KINDS)}",
        )
    allow = value.get("allow") or []
    if not isinstance(allow, list):
        raise ConfigError(
            "redaction allow must be a list of values never replaced", where=where, fix=fix
        )
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(
            f"redaction enabled must be true or false, not {enabled!r}", where=where, fix=fix
        )
    payloads = value.get("payloads", False)
    if not isinstance(payloads, bool):
        raise ConfigError(
            f"redaction payloads must be true or false, not {payloads!r}", where=where, fix=fix
        )
    return RedactionPolicy(
        enabled,
        frozenset(kinds),
        frozenset(str(a) for a in allow),
        str(value.get("key") or DEFAULT_KEY),
        payloads=payloads,
    )


def policy_for(settings: Any, *, redact: bool = True) -> RedactionPolicy:
    """The policy every writer of a session applies: walab.yaml's `redaction:`, knowing the
    contacts' names and allowing the business's own number, ids and name; `redact=False`
    (--no-redact) turns it off."""
    where = str(getattr(settings, "project_dir", ".")) + "/walab.yaml"
    policy = policy_of(getattr(settings, "redaction", None), where)
    policy = policy.with_names([c.name for c in getattr(settings, "contacts", [])])
    business = getattr(settings, "business", None)
    own = {
        getattr(business, name, None)
        for name in ("phone_number_id", "waba_id", "display_phone_number", "verified_name")
    }
    return replace(
        policy, enabled=policy.enabled and redact, allow=policy.allow | {v for v in own if v}
    )
