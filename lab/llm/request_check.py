"""What a chat completion request must look like before the gateway touches it.

OpenAI answers a malformed request with 400 and `invalid_request_error`, naming the field in
`param`; the gateway does the same for every field it reads (and the ones a replay key or a
cassette entry is built from), so no body, however odd, reaches its code as something it cannot
handle: a malformed request is the caller's mistake, never a 500.
"""

from __future__ import annotations

from typing import Any

from lab.llm import shapes
from lab.llm.asgi import Reply

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_COUNTS = ("n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs")


def check_chat(body: dict[str, Any]) -> None:
    """Raise Reply(400) in OpenAI's error shape when the request is not a chat completion request."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        _refuse("`model` must be a non-empty string", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        _refuse("`messages` must be a non-empty array of messages", "messages")
    for i, message in enumerate(messages):
        _check_message(message, f"messages[{i}]")
    for name in ("stream", "logprobs", "parallel_tool_calls"):
        _typed(body, name, bool, "a boolean")
    _typed(body, "stream_options", dict, "an object")
    if isinstance(body.get("stream_options"), dict):
        _typed(body["stream_options"], "include_usage", bool, "a boolean", "stream_options.")
    for name in _NUMBERS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            _refuse(f"`{name}` must be a number", name)
    for name in _COUNTS:
        value = body.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            _refuse(f"`{name}` must be a whole number of at least 0", name)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            _refuse("`tools` must be an array of tools", "tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
                _refuse("each tool must be an object with a `type`", f"tools[{i}]")
            if tool["type"] == "function" and (
                not isinstance(tool.get("function"), dict)
                or not isinstance(tool["function"].get("name"), str)
            ):
                _refuse("a function tool needs `function` with a `name`", f"tools[{i}].function")
    choice = body.get("tool_choice")
    if choice is not None and not isinstance(choice, (str, dict)):
        _refuse("`tool_choice` must be a string or an object", "tool_choice")
    _typed(body, "response_format", dict, "an object")
    if isinstance(body.get("response_format"), dict) and not isinstance(
        body["response_format"].get("type"), str
    ):
        _refuse("`response_format` needs a `type`", "response_format.type")
    for name in ("stop",):
        value = body.get(name)
        if (
            value is not None
            and not isinstance(value, str)
            and not (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            _refuse(f"`{name}` must be a string or an array of strings", name)
    _typed(body, "user", str, "a string")
    _typed(body, "metadata", dict, "an object")


def _check_message(message: Any, where: str) -> None:
    if not isinstance(message, dict):
        _refuse(f"{where} must be an object with a `role`", where)
    role = message.get("role")
    if role not in ROLES:
        _refuse(f"{where}.role must be one of {', '.join(ROLES)}", f"{where}.role")
    content = message.get("content")
    if isinstance(content, list):
        for j, part in enumerate(content):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                _refuse(
                    "each content part must be an object with a `type`", f"{where}.content[{j}]"
                )
            if part["type"] == "text" and not isinstance(part.get("text"), str):
                _refuse(
                    "a text content part needs `text` as a string", f"{where}.content[{j}].text"
                )
    elif content is not None and not isinstance(content, str):
        _refuse(
            f"{where}.content must be a string, an array of content parts or null",
            f"{where}.content",
        )
    for name in ("name", "tool_call_id", "refusal"):
        _typed(message, name, str, "a string", where + ".")
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            _refuse(f"{where}.tool_calls must be an array", f"{where}.tool_calls")
        for j, call in enumerate(calls):
            function = call.get("function") if isinstance(call, dict) else None
            if (
                not isinstance(function, dict)
                or not isinstance(function.get("name"), str)
                or not isinstance(function.get("arguments", ""), str)
                or not isinstance(call.get("id", ""), str)
            ):
                _refuse(
                    "each tool call needs an `id` and `function` with `name` and `arguments` strings",
                    f"{where}.tool_calls[{j}]",
                )
    if message.get("function_call") is not None and not isinstance(message["function_call"], dict):
        _refuse(f"{where}.function_call must be an object", f"{where}.function_call")


def _typed(data: dict[str, Any], name: str, kind: type, said: str, prefix: str = "") -> None:
    value = data.get(name)
    if value is not None and (
        not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))
    ):
        _refuse(f"`{prefix}{name}` must be {said}", prefix + name)


def _refuse(message: str, param: str) -> None:
    raise Reply(400, shapes.error_body(f"Invalid request: {message}.", param=param))


def check_embeddings(body: dict[str, Any]) -> None:
    """Raise Reply(400) in OpenAI's error shape when the request is not an embeddings request."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        _refuse("`model` must be a non-empty string", "model")
    given = body.get("input")
    texts = isinstance(given, str) or (
        isinstance(given, list) and all(isinstance(i, str) for i in given)
    )
    tokens = isinstance(given, list) and all(
        isinstance(i, int)
        and not isinstance(i, bool)
        or isinstance(i, list)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in i)
        for i in given
    )
    if not given or not (texts or tokens):
        _refuse(
            "`input` must be a string, an array of strings, or an array of token arrays", "input"
        )
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        isinstance(dimensions, bool)
        or not isinstance(dimensions, int)
        or not 1 <= dimensions <= 8192
    ):
        _refuse("`dimensions` must be a whole number from 1 to 8192", "dimensions")
    if body.get("encoding_format") not in (None, "float", "base64"):
        _refuse("`encoding_format` must be float or base64", "encoding_format")
    _typed(body, "user", str, "a string")
