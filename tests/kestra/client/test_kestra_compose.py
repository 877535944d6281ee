"""docker-compose.yml keeps its promises: pinned Kestra, basic auth, the lab reachable, loopback only."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"


def test_compose_pins_kestra_with_auth_and_reaches_the_lab():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    kestra = services["kestra"]
    tag = kestra["image"].split(":", 1)[1]
    assert tag.startswith("v1.3.") and tag != "latest"
    assert "host.docker.internal:host-gateway" in kestra["extra_hosts"]
    assert all(port.startswith("127.0.0.1:") for port in kestra["ports"])
    config = yaml.safe_load(kestra["environment"]["KESTRA_CONFIGURATION"])
    auth = config["kestra"]["server"]["basic-auth"]
    assert auth == {
        "username": "${KESTRA_USER:-admin@kestra.io}",
        "password": "${KESTRA_PASSWORD:-Admin1234!}",
    }
    assert config["datasources"]["postgres"]["url"] == "jdbc:postgresql://postgres:5432/kestra"
    assert kestra["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert all(
        name.startswith("SECRET_")
        for name in kestra["environment"]
        if name != "KESTRA_CONFIGURATION"
    )
