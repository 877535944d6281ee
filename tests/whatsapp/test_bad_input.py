"""Bad input never becomes a 500 or a crash: mutated sends and garbage bodies get Meta's error shape."""

from __future__ import annotations

import copy
import random

import pytest

from lab.whatsapp.errors import GraphError
from lab.whatsapp.validation import validate

from .conftest import AUTH, SEND
from .test_validation import INVALID, VALID

JUNK = [None, 0, -1, 1.5, "", "x", [], [1], {}, {"a": 1}, True, "😮" * 300, 10**30, [None], [{}]]


def mutate(rng: random.Random, obj) -> None:
    if isinstance(obj, dict) and obj:
        key = rng.choice(list(obj))
        roll = rng.random()
        if roll < 0.3:
            obj[key] = rng.choice(JUNK)
        elif roll < 0.45:
            del obj[key]
        else:
            mutate(rng, obj[key])
    elif isinstance(obj, list) and obj:
        i = rng.randrange(len(obj))
        if rng.random() < 0.4:
            obj[i] = rng.choice(JUNK)
        else:
            mutate(rng, obj[i])


def test_mutated_sends_only_ever_raise_graph_errors(registry):
    rng = random.Random(20261127)
    seeds = list(VALID.values()) + [v[0] for v in INVALID.values()]
    for _ in range(3000):
        body = copy.deepcopy(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            mutate(rng, body)
        try:
            validate(body, registry)
        except GraphError as err:
            assert err.http_status in (400, 404) and err.message


@pytest.mark.parametrize(
    "path,method",
    [
        (SEND, "POST"),
        ("/v23.0/106540352242922/media", "POST"),
        ("/notify/whatsapp", "POST"),
        ("/_lab/inbound", "POST"),
        ("/_lab/faults", "POST"),
        ("/v23.0/106540352242922", "OPTIONS"),
    ],
)
async def test_garbage_bodies_get_metas_error_shape(graph, path, method):
    rng = random.Random(7)
    for _ in range(40):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        ctype = rng.choice(
            ["application/json", "multipart/form-data; boundary=x", "text/plain", ""]
        )
        resp = await graph.request(
            method, path, content=body, headers=AUTH | {"content-type": ctype}
        )
        assert resp.status_code < 500, resp.text
        if resp.status_code >= 400:
            assert set(resp.json()["error"]) >= {"message", "type", "code", "fbtrace_id"}
    ok = await graph.post(
        SEND,
        json={
            "messaging_product": "whatsapp",
            "to": "5511987654321",
            "type": "text",
            "text": {"body": "ainda aqui"},
        },
        headers=AUTH,
    )
    assert ok.status_code == 200
