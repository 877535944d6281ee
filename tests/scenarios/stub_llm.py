"""A deterministic OpenAI-compatible stub model on loopback, for recording cassettes without a real model.

It is not a language model: it answers by keywords of the last user message, shaped for the
bundled flows (the agent's JSON replies with buttons and lists; the lead classifier's one word),
and it reads the system prompt so prompt variants get different answers (the concise variant
answers shorter and never with a list). `[falha]` in a message answers HTTP 500, `[limite]` 429.

    python tests/scenarios/stub_llm.py --port 18080      # then OPENAI_BASE_URL=http://127.0.0.1:18080/v1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import unicodedata
from typing import Any, Iterator

PLANS = [
    {"id": "basico", "title": "Básico", "description": "até 300 kWh/mês, a partir de R$ 12 mil"},
    {"id": "familia", "title": "Família", "description": "até 600 kWh/mês, a partir de R$ 22 mil"},
    {"id": "premium", "title": "Premium", "description": "até 1000 kWh/mês, a partir de R$ 35 mil"},
]


def _plain(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )


def agent_reply(user: str, system: str) -> dict[str, Any]:
    """What the agent answers (as the JSON the flow expects)."""
    u, concise = _plain(user), "duas frases" in system
    if any(w in u for w in ("atendente", "humano", "pessoa")):
        return {
            "text": "Certo! Um consultor fala com você em horário comercial (seg a sex, 8h às 18h)."
        }
    for plan in PLANS:
        if _plain(plan["title"]) in u:
            text = f"O plano {plan['title']} cobre {plan['description']}."
            if not concise:
                text += " Financiamos em até 96x e a visita técnica é gratuita. Quer agendar?"
            return {"text": text, "buttons": ["Agendar visita", "Falar com atendente"]}
    if any(w in u for w in ("plano", "preco", "valor", "quanto custa", "orcamento")):
        if concise:
            return {
                "text": "Temos os planos Básico, Família e Premium, de R$ 12 mil a R$ 35 mil.",
                "buttons": ["Básico", "Família", "Premium"],
            }
        return {
            "text": "Temos três planos de energia solar, todos com financiamento em até 96x. Qual combina com você?",
            "list": {"button": "Ver planos", "rows": PLANS},
        }
    if any(w in u for w in ("agendar", "visita")):
        return {
            "text": "Perfeito! Me diga sua cidade e o melhor dia para a visita técnica gratuita."
        }
    if any(w in u for w in ("oi", "ola", "bom dia", "boa tarde", "boa noite")):
        if concise:
            return {
                "text": "Olá! Sou a Sol, da Solar Sul Energia. Como posso ajudar?",
                "buttons": ["Ver planos"],
            }
        return {
            "text": "Olá! Sou a Sol, assistente da Solar Sul Energia ☀️ Posso mostrar nossos planos, "
            "simular sua economia ou chamar um consultor. Como posso ajudar?",
            "buttons": ["Ver planos", "Falar com atendente"],
        }
    if concise:
        return {"text": "Posso ajudar com planos, economia ou atendimento."}
    return {
        "text": f'Entendi: "{user[:80]}". Posso ajudar com planos, simulação de economia na conta de luz '
        "ou falar com um consultor."
    }


def faq_answer(user: str, system: str) -> str:
    """The knowledge-base line sharing most words with the question (the FAQ flow's system prompt carries the base)."""
    base = system.split("BASE DE CONHECIMENTO", 1)[1]
    words = {w for w in re.findall(r"\w{4,}", _plain(user))}
    bullets: list[str] = []
    for line in base.splitlines():
        if line.startswith("- ") or not bullets or not line.startswith("  "):
            bullets.append(line)
        else:
            bullets[-1] += " " + line.strip()
    best, score = "", 0
    for bullet in bullets:
        text = bullet.strip(" -#*>")
        overlap = len(words & set(re.findall(r"\w{4,}", _plain(text))))
        if overlap > score:
            best, score = text, overlap
    if score == 0:
        return 'Não tenho essa informação aqui, mas um especialista pode ajudar: é só escrever "atendente".'
    return best


def classify(user: str) -> str:
    u = _plain(user)
    for intent, words in (
        ("humano", ("atendente", "pessoa")),
        ("conta", ("conta de luz", "minha conta")),
        ("orcamento", ("preco", "orcamento", "quanto")),
        ("duvida", ("como funciona", "garantia")),
        ("saudacao", ("oi", "ola", "bom dia")),
    ):
        if any(w in u for w in words):
            return intent
    return "outro"


def persona_move(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulated user's next move: greet, follow the buttons to a visit, give the city, stop."""
    said = [str(m.get("content") or "") for m in messages if m.get("role") == "user"][1:]
    if not said:
        return {"say": "Oi"}
    last = said[-1]
    mine = [str(m.get("content") or "") for m in messages if m.get("role") == "assistant"]
    for title in ("Ver planos", "Família", "Agendar visita"):
        if title in last and not any(f'"tap": "{title}"' in m for m in mine):
            return {"tap": title}
    if "cidade" in last:
        return {"say": "Moro em Curitiba, pode ser sexta"}
    system = str(messages[0].get("content") or "") if messages else ""
    if "tire suas dúvidas" in system:  # a longer customer: questions until none is left
        for question in FOLLOW_UPS:
            if not any(question in m for m in mine):
                return {"say": question}
    return {"done": "goal_reached"}


FOLLOW_UPS = (
    "E a garantia?",
    "Quanto tempo leva a instalação?",
    "Vocês financiam?",
    "Tem visita no sábado?",
    "Precisa trocar o telhado?",
)


def completion(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and JSON body the stub answers a chat completion with."""
    messages = body.get("messages") or []
    system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
    user = next(
        (str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), ""
    )
    if "[falha]" in user:
        return 500, {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
    if "[limite]" in user:
        return 429, {
            "error": {
                "message": "Rate limit reached",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
    if "uma jogada por vez" in system:  # walab simulate's simulated user
        content = json.dumps(persona_move(messages), ensure_ascii=False)
    elif system.startswith("Você avalia"):  # walab simulate's rubric judge: full marks, said so
        names = re.findall(r"^- (.+?) \(peso", user, re.M)
        scores = [{"criterion": n, "score": 1.0, "reason": "stub judge: full marks"} for n in names]
        content = json.dumps({"scores": scores}, ensure_ascii=False)
    elif system.startswith(
        "You grade"
    ):  # the scenario judge: fails rubrics that ask for what it never does
        failing = any(
            w in _plain(user.split("Conversation", 1)[0])
            for w in ("english", "ingles", "[reprovar]")
        )
        content = json.dumps(
            {"pass": not failing, "reason": "stub judge: checked the rubric's keywords"}
        )
    elif "BASE DE CONHECIMENTO" in system:
        content = faq_answer(user, system)
    elif "Classifique" in system:
        content = classify(user)
    else:
        content = json.dumps(agent_reply(user, system), ensure_ascii=False)
    prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4 + 4 * len(messages)
    completion_tokens = max(1, len(content) // 4)
    return 200, {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1767614400,
        "model": str(body.get("model") or "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class StubLLM:
    """The stub as an ASGI app; `requests` counts the chat completions it answered. A call for a model
    in `held_models` waits until that model is taken out of the set (a slow model, for tests that
    interrupt a run while it waits)."""

    def __init__(self) -> None:
        self.requests = 0
        self.held_models: set[str] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            msg = await receive()
            raw += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"].endswith("/models"):
            status, out = (
                200,
                {
                    "object": "list",
                    "data": [
                        {
                            "id": "gpt-4o-mini",
                            "object": "model",
                            "created": 1,
                            "owned_by": "walab-stub",
                        }
                    ],
                },
            )
        elif scope["path"].endswith("/chat/completions"):
            self.requests += 1
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                status, out = (
                    400,
                    {"error": {"message": "body is not JSON", "type": "invalid_request_error"}},
                )
            else:
                while body.get("model") in self.held_models:
                    await asyncio.sleep(0.01)
                status, out = completion(body)
        else:
            status, out = (
                404,
                {
                    "error": {
                        "message": f"no route {scope['path']}",
                        "type": "invalid_request_error",
                    }
                },
            )
        data = json.dumps(out, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


@contextlib.contextmanager
def serve() -> Iterator[tuple[str, StubLLM]]:
    """Run the stub on 127.0.0.1 in a thread; yields (base URL ending in /v1, the app)."""
    from loopback import LoopbackServer

    app = StubLLM()
    with LoopbackServer(app) as server:
        yield f"{server.url}/v1", app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(StubLLM(), host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")
