"""Meta's Graph API errors: the catalog of codes the sandbox answers with, and their envelopes.

Shape (reference §5): `{"error": {"message": "(#<code>) <title>", "type": "OAuthException",
"code": <code>, "error_data": {"messaging_product": "whatsapp", "details": ...},
"fbtrace_id": "A..."}}`, with the HTTP status Meta's error table gives for the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from lab.request_guard import simple_body_type, unsupported_body_message

ERROR_DOCS = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """One code of Meta's table: its title, HTTP status and whether it arrives by a status webhook."""

    code: int
    title: str
    http_status: int = 400
    asynchronous: bool = False
    details: str = ""


CATALOG: dict[int, ErrorKind] = {
    k.code: k
    for k in (
        ErrorKind(0, "AuthException", 401),
        ErrorKind(1, "API Unknown", 400),
        ErrorKind(2, "Service temporarily unavailable", 503),
        ErrorKind(3, "Capability or permissions issue", 500),
        ErrorKind(4, "Application request limit reached", 400, details="Too many API calls"),
        ErrorKind(10, "Permission denied", 403),
        ErrorKind(100, "Invalid parameter", 400),
        ErrorKind(190, "Invalid OAuth access token - Cannot parse access token", 401),
        ErrorKind(368, "Temporarily blocked for policies violations", 403),
        ErrorKind(80007, "Rate limit issues", 400),
        ErrorKind(
            130429, "Rate limit hit", 400, details="Cloud API message throughput has been reached."
        ),
        ErrorKind(130472, "User's number is part of an experiment", 400, True),
        ErrorKind(
            130497, "Business account is restricted from messaging users in this country", 403
        ),
        ErrorKind(
            131000,
            "Something went wrong",
            500,
            details="Message failed to send due to an unknown error.",
        ),
        ErrorKind(131005, "Access denied", 403),
        ErrorKind(131008, "Required parameter is missing", 400),
        ErrorKind(131009, "Parameter value is not valid", 400),
        ErrorKind(
            131016, "Service unavailable", 500, details="A service is temporarily unavailable."
        ),
        ErrorKind(131021, "Recipient cannot be sender", 400),
        ErrorKind(131026, "Message undeliverable", 400, True, "Message Undeliverable."),
        ErrorKind(131030, "Recipient phone number not in allowed list", 400),
        ErrorKind(131031, "Business Account locked", 403),
        ErrorKind(131042, "Business eligibility payment issue", 400),
        ErrorKind(
            131047,
            "Re-engagement message",
            400,
            True,
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        ErrorKind(131048, "Spam rate limit hit", 400),
        ErrorKind(
            131049,
            "This message was not delivered to maintain healthy ecosystem engagement.",
            400,
            True,
            "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        ),
        ErrorKind(
            131050,
            "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business",
            400,
            True,
        ),
        ErrorKind(131051, "Unsupported message type", 400),
        ErrorKind(131052, "Media download error", 400, True),
        ErrorKind(131053, "Media upload error", 400),
        ErrorKind(
            131056,
            "(Business Account, Consumer Account) pair rate limit hit",
            400,
            details="Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
        ),
        ErrorKind(131057, "Account in maintenance mode", 500),
        ErrorKind(132000, "Number of parameters does not match the expected number of params", 400),
        ErrorKind(132001, "Template name does not exist in the translation", 404),
        ErrorKind(132005, "Translated text too long", 400),
        ErrorKind(132007, "Template Format Character Policy Violated", 400),
        ErrorKind(132012, "Parameter format does not match format in the created template", 400),
        ErrorKind(132015, "Template is Paused", 400),
        ErrorKind(132016, "Template is Disabled", 400),
        ErrorKind(133010, "Phone number Not Registered", 400),
        ErrorKind(135000, "Generic user error", 400),
    )
}


def kind(code: int) -> ErrorKind:
    """The catalog entry for a code; unknown codes get a generic 400 entry."""
    return CATALOG.get(code) or ErrorKind(code, f"Error {code}", 400)


@dataclass(slots=True)
class GraphError(Exception):
    """A synchronous Graph API error, ready to become Meta's envelope."""

    code: int
    details: str | None = None
    message: str | None = None  # full message; default "(#code) title"
    http_status: int | None = None
    type: str = "OAuthException"
    subcode: int | None = None
    whatsapp_data: bool = True  # error_data with messaging_product (absent on auth errors)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = kind(self.code)
        if self.message is None:
            self.message = f"(#{self.code}) {k.title}"
        if self.http_status is None:
            self.http_status = k.http_status
        if self.details is None and k.details:
            self.details = k.details
        Exception.__init__(self, self.message)

    @property
    def title(self) -> str:
        return kind(self.code).title

    def envelope(self, fbtrace_id: str) -> dict:
        """Meta's error body."""
        err: dict = {"message": self.message, "type": self.type, "code": self.code}
        if self.whatsapp_data and self.details:
            err["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["fbtrace_id"] = fbtrace_id
        return {"error": err}

    def body(self, fbtrace_id: str) -> bytes:
        return orjson.dumps(self.envelope(fbtrace_id))


def invalid_parameter(details: str) -> GraphError:
    """`(#100) Invalid parameter` with details, Meta's answer to malformed or unexpected input."""
    return GraphError(100, details)


def unsupported_body(content_type: bytes | None) -> GraphError | None:
    """415 for a text/plain or form body on an endpoint that takes JSON (what a browser posts
    across sites without asking first); None for any other body."""

    media = simple_body_type(content_type)
    if media is None:
        return None
    return GraphError(100, unsupported_body_message(media, "application/json"), http_status=415)


def param_error(message: str) -> GraphError:
    """A code-100 error whose message names the parameter, e.g. `(#100) Param text['body'] ...`."""
    return GraphError(100, message=f"(#100) {message}", details=None)


def value_error(details: str) -> GraphError:
    """`(#131009) Parameter value is not valid` with Meta's details line."""
    return GraphError(131009, details)


def missing(details: str) -> GraphError:
    """`(#131008) Required parameter is missing`."""
    return GraphError(131008, details)


def unknown_object(object_id: str, method: str = "post") -> GraphError:
    """Code 100 subcode 33: the id names nothing this token can reach."""
    return GraphError(
        100,
        type="GraphMethodException",
        subcode=33,
        whatsapp_data=False,
        message=(
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation "
            "at https://developers.facebook.com/docs/graph-api"
        ),
    )


def bad_token(present: bool) -> GraphError:
    """Code 190 as Meta answers a malformed or missing bearer token."""
    msg = (
        "Invalid OAuth access token - Cannot parse access token"
        if present
        else "An active access token must be used to query information about the current user."
    )
    return GraphError(190, message=msg, whatsapp_data=False, http_status=401)


def status_error(code: int, details: str | None = None) -> dict:
    """The error object carried by a `failed` status webhook (`message` == `title`)."""
    k = kind(code)
    return {
        "code": code,
        "title": k.title,
        "message": k.title,
        "error_data": {"details": details or k.details or k.title},
        "href": ERROR_DOCS,
    }


def rate_limit_headers(waba_id: str) -> list[tuple[bytes, bytes]]:
    """The headers Meta sends with a 130429 throttle: Retry-After and the business use-case usage."""
    usage = orjson.dumps(
        {
            waba_id: [
                {
                    "type": "whatsapp_business_messaging",
                    "call_count": 100,
                    "total_cputime": 1,
                    "total_time": 1,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
    )
    return [(b"retry-after", b"1"), (b"x-business-use-case-usage", usage)]
