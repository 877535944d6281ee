"""Settings of a lab session: defaults, then `walab.yaml` in the project, then WALAB_* env, then flags.

Secrets (app secret, access token, gateway key, Kestra password) are generated per session when
not given, and are never written to a cassette, a snapshot, a log line or the screen.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import ConfigError
from lab.phone_numbers import wa_id_of

DEFAULT_PORT = 8765
GRAPH_VERSION = "v23.0"
DEFAULT_API_USER = "lab@walab.local"  # Kestra wants an e-mail as the basic-auth user


def _token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


@dataclass
class Business:
    """The WhatsApp business number the bot speaks for (15-digit ids as Meta issues them)."""

    phone_number_id: str = "106540352242922"
    waba_id: str = "102290129340398"
    display_phone_number: str = "15550783881"
    verified_name: str = "Solar Sul Energia"


@dataclass
class Contact:
    """A simulated WhatsApp user."""

    wa_id: str
    name: str


@dataclass
class Settings:
    """Everything a lab session needs; see README for each field."""

    project_dir: Path = field(default_factory=Path.cwd)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None  # how a real Kestra (in Docker) reaches the lab server
    business: Business = field(default_factory=Business)
    contacts: list[Contact] = field(
        default_factory=lambda: [
            Contact("5511987654321", "Maria Souza"),
            Contact("5521998765432", "João Pereira"),
        ]
    )
    app_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    access_token: str = field(default_factory=lambda: _token("EAAW"))
    verify_token: str = field(default_factory=lambda: _token("verify-"))
    gateway_key: str = field(default_factory=lambda: _token("walab-"))
    llm_mode: str = "replay"  # live | record | replay | scripted
    llm_upstream_url: str | None = None  # OPENAI_BASE_URL
    llm_upstream_key: str | None = None  # OPENAI_API_KEY
    kestra_url: str | None = None  # None = embedded engine
    kestra_user: str | None = None
    kestra_password: str | None = None
    kestra_version: str = "1.3"  # the Kestra API the embedded engine speaks: "1.3" (LTS) or "2.0"
    namespace: str = "company.whatsapp"
    flow: str = "lead_qualification"
    graph_version: str = GRAPH_VERSION
    # `redaction:` in walab.yaml (read by lab.redaction.policy_for); None = redact everything
    redaction: Any = None

    def __post_init__(self) -> None:
        # the embedded Kestra API's password when KESTRA_PASSWORD is not given: per session, not a setting
        self._generated_api_password = _token("walab-")
        self._given: set[str] = set()  # settings given by walab.yaml, the environment or options

    def given(self, name: str) -> bool:
        """Whether a setting was given (walab.yaml, environment, option) rather than defaulted or generated."""
        return name in self._given

    @property
    def flows_dir(self) -> Path:
        return self.project_dir / "flows"

    @property
    def prompts_dir(self) -> Path:
        return self.project_dir / "prompts"

    @property
    def scenarios_dir(self) -> Path:
        return self.project_dir / "scenarios"

    @property
    def base_url(self) -> str:
        """The lab server's URL as seen from the target (public_url for a real Kestra)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def api_credentials(self) -> tuple[str, str]:
        """(user, password) the embedded Kestra API requires, as Kestra OSS does since 0.24:
        KESTRA_USER / KESTRA_PASSWORD when given, otherwise a password generated for the session."""
        return (
            self.kestra_user or DEFAULT_API_USER,
            self.kestra_password or self._generated_api_password,
        )

    @property
    def files_key(self) -> str:
        """The path key of the lab's fixture files (`/files/<key>/plans.json`), derived from the app secret.

        A capability for the bundled fixtures only (listed with the KV it sits in, like a webhook
        key), not a secret: it reveals nothing of the app secret."""
        return hmac.new(
            self.app_secret.encode(), b"walab fixture files", hashlib.sha256
        ).hexdigest()[:32]

    def secret_values(self) -> list[str]:
        """Every secret of the session, for scrubbing output."""
        vals = [
            self.app_secret,
            self.access_token,
            self.verify_token,
            self.gateway_key,
            self.llm_upstream_key,
            self.kestra_password,
            self._generated_api_password,
        ]
        return [v for v in vals if v]


_ENV = {
    "WALAB_PORT": ("port", int),
    "WALAB_HOST": ("host", str),
    "WALAB_PUBLIC_URL": ("public_url", str),
    "WALAB_APP_SECRET": ("app_secret", str),
    "WALAB_ACCESS_TOKEN": ("access_token", str),
    "WALAB_VERIFY_TOKEN": ("verify_token", str),
    "WALAB_GATEWAY_KEY": ("gateway_key", str),
    "WALAB_LLM_MODE": ("llm_mode", str),
    "OPENAI_BASE_URL": ("llm_upstream_url", str),
    "OPENAI_API_KEY": ("llm_upstream_key", str),
    "WALAB_KESTRA_URL": ("kestra_url", str),
    "KESTRA_USER": ("kestra_user", str),
    "KESTRA_PASSWORD": ("kestra_password", str),
    "WALAB_KESTRA_VERSION": ("kestra_version", str),
    "WALAB_NAMESPACE": ("namespace", str),
    "WALAB_FLOW": ("flow", str),
}

LLM_MODES = ("live", "record", "replay", "scripted")
KESTRA_VERSIONS = ("1.3", "2.0")


def load_settings(
    project_dir: Path | None = None, env: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build Settings: defaults < walab.yaml < environment < keyword overrides (None ignored)."""
    # lazy: start-up, PyYAML loads only when settings are read (every command imports this module)
    from lab import yamlio

    env = os.environ if env is None else env
    s = Settings(project_dir=(project_dir or Path.cwd()).resolve())
    cfg_path = s.project_dir / "walab.yaml"
    if cfg_path.exists():
        data = yamlio.load(cfg_path) or {}
        if not isinstance(data, dict):
            raise ConfigError("walab.yaml must be a mapping", where=str(cfg_path))
        _apply(s, data, str(cfg_path))
    for var, (name, _conv) in _ENV.items():
        if env.get(var):
            setattr(s, name, _checked(name, env[var], f"environment variable {var}"))
            s._given.add(name)
    _apply(s, {k: v for k, v in overrides.items() if v is not None}, "command line")
    if s.llm_mode not in LLM_MODES:
        raise ConfigError(
            f"unknown LLM mode {s.llm_mode!r}", fix=f"use one of {', '.join(LLM_MODES)}"
        )
    return s


def _apply(s: Settings, data: dict[str, Any], where: str) -> None:
    names = {f.name for f in dataclasses.fields(Settings)}
    for key, value in data.items():
        if key == "version":
            continue
        if key not in names:
            public = sorted(n for n in names if not n.startswith("_"))
            close = difflib.get_close_matches(str(key), public, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"unknown setting {key!r}",
                where=where,
                fix=f"{guess}known settings: {', '.join(public)}",
            )
        setattr(s, key, _checked(key, value, where))
        s._given.add(key)


def _checked(key: str, value: Any, where: str) -> Any:
    """The setting's value in its type, or a ConfigError naming the setting and what it takes."""
    if key == "business":
        fields = {f.name for f in dataclasses.fields(Business)}
        if isinstance(value, Business):
            return value
        if not isinstance(value, dict) or set(value) - fields:
            raise ConfigError(
                f"`business` must be a mapping of {', '.join(sorted(fields))}",
                where=where,
                fix="e.g. business: {phone_number_id: '106540352242922', waba_id: '102290129340398'}",
            )
        return Business(**{k: str(v) for k, v in value.items()})
    if key == "contacts":
        return _contacts(value, where)
    if key == "redaction":
        if not isinstance(value, dict):  # its keys are checked by lab.redaction.policy_for
            raise ConfigError(
                "`redaction` must be a mapping",
                where=where,
                fix="redaction: {enabled: true, kinds: [cpf, phone, ...], allow: [...], key: <text>}",
            )
        return value
    if key == "project_dir":
        return Path(value)
    if key == "port":
        try:
            port = int(value)
        except (TypeError, ValueError):
            port = -1
        if isinstance(value, bool) or not 0 <= port <= 65535:
            raise ConfigError(
                f"port {value!r} is not a TCP port",
                where=where,
                fix="give a number from 1 to 65535 (0 = any free port)",
            )
        return port
    if key == "kestra_version":
        return kestra_version(value, where)
    if value is None and key in _OPTIONAL:
        return None
    if isinstance(value, (dict, list, bool)) or value is None:
        raise ConfigError(
            f"setting {key!r} must be a text value, not {value!r}",
            where=where,
            fix=f"write it as {key}: <text>",
        )
    if key in _URLS and not str(value).startswith(("http://", "https://")):
        raise ConfigError(
            f"{_URLS[key]} {value!r} is not an http(s) URL",
            where=where,
            fix=f"give the full URL with its scheme, e.g. http://{str(value).split('://')[-1] or 'localhost:8080'}",
        )
    return str(value)


def add_kestra_version_option(parser: Any, flag: str = "--kestra-version") -> None:
    """The command-line option that picks the Kestra API the embedded engine speaks."""
    add = (
        getattr(parser, "add_argument", None) or parser.addoption
    )  # argparse, or a pytest option group
    add(
        flag,
        dest="kestra_version",
        metavar="VERSION",
        default=None,
        help="the Kestra the embedded engine acts as: 1.3 (LTS) or 2.0 "
        "(default: walab.yaml kestra_version, WALAB_KESTRA_VERSION, else 1.3)",
    )


def kestra_version(value: Any, where: str) -> str:
    """The Kestra API line a version names: "1.3" for 1.3 / 1.3.x, "2.0" for 2.0 / 2.0.x; else a ConfigError."""
    text = (
        str(value).strip().lstrip("v")
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
        else ""
    )
    for line in KESTRA_VERSIONS:
        if text == line or text.startswith(line + "."):
            return line
    raise ConfigError(
        f"kestra_version {value!r} is not a Kestra version the embedded engine speaks",
        where=where,
        fix=f"use one of {', '.join(KESTRA_VERSIONS)} (1.3 is the LTS line, 2.0 the current one)",
    )


_URLS = {
    "kestra_url": "the Kestra URL",
    "public_url": "the public URL",
    "llm_upstream_url": "the LLM upstream URL",
}


_OPTIONAL = {
    "public_url",
    "llm_upstream_url",
    "llm_upstream_key",
    "kestra_url",
    "kestra_user",
    "kestra_password",
}


def _contacts(value: Any, where: str) -> list[Contact]:
    fix = "contacts: [{name: Maria Souza, wa_id: '+55 11 98765-4321'}] (wa_id: the phone number)"
    if isinstance(value, list) and all(isinstance(c, Contact) for c in value):
        return value
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "`contacts` must be a non-empty list of {name, wa_id}", where=where, fix=fix
        )
    contacts = []
    for i, c in enumerate(value, 1):
        wa_id = str(c.get("wa_id", "")) if isinstance(c, dict) else ""
        if not wa_id.strip() or not (isinstance(c, dict) and c.get("name")):
            raise ConfigError(
                f"contact {i} needs a name and a wa_id (its phone number), got {c!r}",
                where=where,
                fix=fix,
            )
        try:  # the number as people write it
            wa_id = wa_id_of(wa_id)
        except ConfigError as exc:
            raise ConfigError(f"contact {i}: {exc.what}", where=where, fix=exc.fix) from None
        contacts.append(Contact(wa_id, str(c["name"])))
    return contacts
