"""Who may call what on the served lab: every endpoint wants its credential; foreign Host / Origin
headers and browser-postable bodies are refused. Real HTTP on loopback."""

from __future__ import annotations

import re

import httpx
import pytest

from .conftest import ServedLab

PNID = "106540352242922"
WABA = "102290129340398"


def _concrete(template: str) -> str:
    values = {
        "version": "v23.0",
        "object_id": PNID,
        "ns": "company.whatsapp",
        "flow": "lead_qualification",
        "key": "k",
        "id": "e1",
        "wa_id": "5511987654321",
        "media_id": "m1",
        "rest": "x",
    }
    return re.sub(r"\{(\w+)(?::[^}]+)?\}", lambda m: values.get(m.group(1), "x"), template)


def _api_routes() -> list[tuple[str, str]]:
    """The embedded Kestra API's route table, minus the paths Kestra leaves open."""
    from lab.kestra.engine.api import OPEN_PATHS, KestraApi
    from lab.kestra.engine.engine import Engine

    return [
        (m, _concrete(t))
        for m, t in KestraApi(Engine()).route_table
        if not _concrete(t).startswith(OPEN_PATHS)
    ]


def _graph_routes() -> list[tuple[str, str]]:
    """The fake Graph API's routes (the router's table and the raw send path), under /graph."""
    from lab.clock import VirtualClock
    from lab.config import Business
    from lab.whatsapp.graph_routes import build_router
    from lab.whatsapp.sandbox import GraphSandbox

    router = build_router(
        GraphSandbox(access_token="t", app_secret="s", business=Business(), clock=VirtualClock())
    )
    routes = [("POST", f"/graph/v23.0/{PNID}/messages")]
    for route in router.routes:
        if (
            "{path:path}" in route.path
        ):  # the unknown-path fallback: Meta's 2500 error, not an endpoint
            continue
        routes += [
            (m, "/graph" + _concrete(route.path)) for m in sorted(route.methods) if m != "HEAD"
        ]
    return routes


GATEWAY_ROUTES = [
    (m, prefix + p)
    for prefix in ("/llm", "/llm/x/e1")
    for m, p in (
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/embeddings"),
        ("GET", "/v1/models"),
    )
]
OTHER_ROUTES = [
    ("GET", "/files/plans.json"),
    ("GET", "/files/not-the-key/plans.json"),
    ("POST", "/hooks/whatsapp"),
]
ROUTES = _api_routes() + _graph_routes() + GATEWAY_ROUTES + OTHER_ROUTES
COVERED_MOUNTS = {"/api/v1", "/graph", "/llm", "/files", "/hooks/whatsapp"}


@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_endpoint_without_its_credential_is_401(served: ServedLab, method: str, path: str):
    with httpx.Client(base_url=served.base) as http:
        bare = http.request(
            method, path, content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert bare.status_code == 401, bare.text
        wrong = http.request(
            method,
            path,
            content=b"{}",
            headers={"Content-Type": "application/json", "Authorization": "Basic d3Jvbmc6d3Jvbmc="},
        )
        assert wrong.status_code == 401, wrong.text


def test_the_route_tables_cover_every_mount(served: ServedLab):
    """A new mount fails here until its endpoints are in ROUTES above."""
    assert {prefix for prefix, _ in served.lab.parts.server.mounted} == COVERED_MOUNTS


def test_the_kestra_api_answers_its_credentials_and_leaves_kestras_open_paths_open(
    served: ServedLab,
):
    with httpx.Client(base_url=served.base) as http:
        assert http.get("/api/v1/configs").status_code == 200  # open in Kestra too
        assert http.get("/health").status_code == 200
        unknown = http.get("/api/v1/main/nowhere")
        assert unknown.status_code == 401 and unknown.headers["www-authenticate"].startswith(
            "Basic"
        )
        assert http.get("/api/v1/main/flows/search", auth=served.api_auth).status_code == 200
        assert http.get("/api/v1/main/nowhere", auth=served.api_auth).status_code == 404
        # the webhook trigger stays open, protected by its key
        wrong_key = http.post(
            "/api/v1/main/executions/webhook/company.whatsapp/lead_qualification/nope", json={}
        )
        assert wrong_key.status_code == 404


def test_the_lab_sends_through_its_own_authenticated_client(served: ServedLab):
    turn = served.call(served.lab.send_text("5511987654321", "Oi"))
    assert turn.verdict == "ok" and turn.replies


def test_kestra_user_and_password_when_given_are_the_apis():
    with ServedLab(kestra_user="admin@kestra.io", kestra_password="Admin1234!") as lab:
        with httpx.Client(base_url=lab.base) as http:
            assert (
                http.get(
                    "/api/v1/main/flows/search", auth=("admin@kestra.io", "Admin1234!")
                ).status_code
                == 200
            )
            assert (
                http.get("/api/v1/main/flows/search", auth=("admin@kestra.io", "wrong")).status_code
                == 401
            )


def test_the_hostile_flow_post_of_the_report_is_refused(served: ServedLab):
    """Unauthenticated, text/plain, foreign Origin and Host: refused, and no flow is created."""
    source = (
        "id: pwn\nnamespace: company.whatsapp\ntasks:\n  - id: sh\n"
        "    type: io.kestra.plugin.scripts.shell.Commands\n"
    )
    with httpx.Client(base_url=served.base) as http:
        for headers in (
            {"Host": "evil.example", "Origin": "http://evil.example"},
            {"Origin": "http://evil.example"},
            {},
        ):
            resp = http.post(
                "/api/v1/main/flows",
                content=source,
                headers={"Content-Type": "text/plain", **headers},
            )
            assert resp.status_code in (401, 403), resp.text
    assert served.lab.engine.get_flow("company.whatsapp", "pwn") is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/configs",
        "/health",
        "/api/v1/main/flows/search",
        "/api/v1/main/executions/webhook/company.whatsapp/lead_qualification/k",
        "/graph/",
        "/llm/v1/models",
    ],
)
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io", "localhost.evil.example"]
)
def test_a_foreign_host_is_refused_dns_rebinding(served: ServedLab, path: str, host: str):
    with httpx.Client(base_url=served.base) as http:
        resp = http.get(path, headers={"Host": host}, auth=served.api_auth)
        assert resp.status_code == 403
        assert "is not this lab's own name" in resp.json()["error"]["message"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "192.168.1.20"])
def test_the_labs_own_names_and_ip_addresses_pass(served: ServedLab, host: str):
    with httpx.Client(base_url=served.base) as http:
        assert (
            http.get(
                "/api/v1/configs", headers={"Host": f"{host}:{served.settings.port}"}
            ).status_code
            == 200
        )


def test_the_public_urls_host_passes_for_a_real_kestra_calling_back():
    with ServedLab(public_url="http://host.docker.internal:9999") as lab:
        with httpx.Client(base_url=lab.base) as http:
            assert (
                http.get(
                    "/api/v1/configs", headers={"Host": "host.docker.internal:9999"}
                ).status_code
                == 200
            )
            assert (
                http.get("/api/v1/configs", headers={"Host": "other.internal"}).status_code == 403
            )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:3000"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_browser_request_from_another_site_is_refused(served: ServedLab, headers: dict):
    with httpx.Client(base_url=served.base) as http:
        resp = http.get("/api/v1/main/flows/search", headers=headers, auth=served.api_auth)
        assert resp.status_code == 403 and "another site" in resp.json()["error"]["message"]


def test_the_labs_own_origin_passes(served: ServedLab):
    with httpx.Client(base_url=served.base) as http:
        resp = http.get(
            "/api/v1/main/flows/search", headers={"Origin": served.base}, auth=served.api_auth
        )
        assert resp.status_code == 200


SIMPLE_TYPES = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]


@pytest.mark.parametrize("content_type", SIMPLE_TYPES)
def test_browser_postable_bodies_are_refused_where_json_or_yaml_is_taken(
    served: ServedLab, content_type: str
):
    s = served.settings
    graph_auth = {"Authorization": f"Bearer {s.access_token}"}
    cases = [
        ("POST", "/api/v1/main/flows", {}, served.api_auth),
        ("POST", "/api/v1/main/flows/validate", {}, served.api_auth),
        ("PUT", "/api/v1/main/flows/company.whatsapp/lead_qualification", {}, served.api_auth),
        ("POST", "/api/v1/main/flows/company.whatsapp", {}, served.api_auth),
        ("POST", "/llm/v1/chat/completions", {"Authorization": f"Bearer {s.gateway_key}"}, None),
        ("POST", "/graph/_lab/inbound", graph_auth, None),
        ("POST", "/graph/_lab/faults", graph_auth, None),
        ("POST", f"/graph/notify/whatsapp?token={s.access_token}", {}, None),
        ("POST", "/hooks/whatsapp", {}, None),
    ]
    with httpx.Client(base_url=served.base) as http:
        for method, path, headers, auth in cases:
            resp = http.request(
                method,
                path,
                content=b"id=1",
                auth=auth,
                headers={**headers, "Content-Type": content_type},
            )
            assert resp.status_code == 415, (path, resp.text)
            assert (
                "Unsupported Media Type" in resp.text and content_type.split(";")[0] in resp.text
            ), resp.text
