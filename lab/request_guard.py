"""Who may reach the lab server at all: its own host names, no foreign browser page.

Every endpoint also checks its own credential (Kestra API basic auth, Graph API bearer, gateway
key, ...); this guard stops what a credential alone does not:

- DNS rebinding: a web page on `evil.example` whose name is re-pointed at 127.0.0.1 reaches the
  lab with `Host: evil.example`. Only the lab's own names (loopback names, the configured host,
  the public URL's host) and IP literals, which cannot be rebound, are answered.
- Cross-site requests: a browser request carrying an `Origin` other than the lab's own, or marked
  `Sec-Fetch-Site: cross-site`, is refused (the lab serves no page that would call it).
- Simple bodies: `text/plain`, form-encoded and multipart bodies are what a browser posts across
  sites without asking first; an endpoint that takes JSON or YAML answers them 415.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS = ("0.0.0.0", "::", "")
# The content types a browser sends cross-site without a CORS preflight.
SIMPLE_BODY_TYPES = (b"text/plain", b"application/x-www-form-urlencoded", b"multipart/form-data")


def is_loopback(host: str) -> bool:
    """Whether a listening address or host name stays on this machine."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def simple_body_type(content_type: bytes | None) -> str | None:
    """The media type of a cross-site-postable body (`text/plain`, forms), else None."""
    if not content_type:
        return None
    media = content_type.split(b";", 1)[0].strip().lower()
    return media.decode("latin-1") if media in SIMPLE_BODY_TYPES else None


def unsupported_body_message(media: str, accepted: str) -> str:
    """The 415 message: what was sent, what the endpoint takes."""
    return (
        f"Unsupported Media Type: Content-Type {media} is not accepted here; send the body as {accepted} "
        "(with that Content-Type header)"
    )


class RequestGuard:
    """Checks a request's Host, Origin and Sec-Fetch-Site headers against the lab's own names.

    Args:
        host: the address the lab listens on (`settings.host`).
        port: its port.
        public_url: how a real Kestra reaches the lab (`settings.public_url`): its host is the lab's too.
    """

    def __init__(self, host: str, port: int, public_url: str | None = None) -> None:
        names = {*LOOPBACK_NAMES}
        if host not in _ANY_ADDRESS:
            names.add(host.strip("[]").lower())
        origins = {f"http://{n}:{port}" if ":" not in n else f"http://[{n}]:{port}" for n in names}
        if public_url:
            parts = urlsplit(public_url)
            if parts.hostname:
                names.add(parts.hostname.lower())
                origins.add(f"{parts.scheme}://{parts.netloc}".lower())
        self.names = frozenset(names)
        self.origins = frozenset(o.encode() for o in origins)
        self._hosts: dict[bytes, bool] = {}  # Host header value -> allowed (the lab sees a handful)

    def refusal(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        """Why the request must be refused (403), or None to let it through."""
        host = origin = site = None
        for name, value in headers:
            if name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"sec-fetch-site":
                site = value
        if host is not None and not self.host_allowed(host):
            return (
                f"Host {host.decode('latin-1')!r} is not this lab's own name: requests are answered for "
                f"{', '.join(sorted(self.names))} or an IP address (set WALAB_PUBLIC_URL to the URL "
                "clients use to reach the lab)"
            )
        if origin is not None and origin.lower() not in self.origins:
            return (
                f"Origin {origin.decode('latin-1')!r} is not this lab: the lab answers no web page "
                "of another site"
            )
        if site is not None and site in (b"cross-site", b"same-site"):
            return (
                "a browser request from another site: the lab answers no web page of another site"
            )
        return None

    def host_allowed(self, host: bytes) -> bool:
        known = self._hosts.get(host)
        if known is None:
            known = self._host_allowed(host.decode("latin-1"))
            if len(self._hosts) < 256:
                self._hosts[host] = known
        return known

    def _host_allowed(self, host: str) -> bool:
        try:
            name = urlsplit("//" + host).hostname  # strips the port, brackets and case
        except ValueError:
            return False
        if not name:
            return False
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)  # an IP literal cannot be rebound to another address
        except ValueError:
            return False
        return True
