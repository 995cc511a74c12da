"""``http``: call a URL; the status and a bounded part of the body are recorded.

Every request carries an ``Idempotency-Key`` that is the same on each attempt of a run
(and differs between runs), so a receiver can tell a retry from a new call; a key set in
the task's own headers wins. URLs are masked (``agentcron.secrets``) wherever they are
echoed: the run's output, its error, the logs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.actions._addresses import literal_refusal, refused
from agentcron.actions._http_client import shared_client
from agentcron.errors import ActionFailed, InvalidInputError, summarize_problems
from agentcron.secrets import mask_text, mask_url

MAX_BODY_RECORDED = 4096
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_NAMESPACE = uuid.UUID("5b0f2c1e-8a4d-4f6b-9d3e-6c7a1b2e4f80")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab is allowed


class HttpPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: AnyHttpUrl = Field(description="the address to call (a password in it is masked)")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = Field(
        default="POST", description="the HTTP method"
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="request headers (an Idempotency-Key is added)"
    )
    body: str | None = Field(
        default=None, max_length=65536, description="a text body (or give json)"
    )
    json_body: dict[str, Any] | list[Any] | None = Field(
        default=None, alias="json", description="a JSON body, sent as application/json"
    )

    @field_validator("headers")
    @classmethod
    def _one_line_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        """Refused here rather than when the request is sent, runs later (never the value
        in the message: it may be a secret)."""
        for name, value in headers.items():
            if "\r" in name or "\n" in name:
                raise ValueError(f"the header name {name!r} contains a line break")
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
                )
            if "\r" in value or "\n" in value:
                raise ValueError(f"the value of header {name!r} contains a line break")
            if _CONTROL.search(value) or not value.isascii():
                raise ValueError(
                    f"the value of header {name!r} has a control or non-ASCII character"
                )
        return headers


def idempotency_key(context: ActionContext) -> str:
    """The run's key: derived from the run (its owner, task, id and occurrence), so every
    attempt sends the same one and two stores' run 1 do not."""
    name = f"{context.owner_id}/{context.task_id}/{context.run_id}/{context.scheduled_for}"
    return str(uuid.uuid5(_KEY_NAMESPACE, name))


class HttpAction(Action):
    """Call a webhook. 5xx, 429 and network errors are retried; other 4xx are not."""

    name: ClassVar[str] = "http"
    payload_model = HttpPayload
    summary: ClassVar[str] = "Call a URL; the status and the start of the body are recorded."
    payload_example: ClassVar[Mapping[str, Any]] = {
        "url": "https://example.com/hooks/report",
        "method": "POST",
        "headers": {"Authorization": "Bearer TOKEN"},
        "json": {"report": "daily"},
    }
    defaults: ClassVar[Mapping[str, Any]] = {"notify_policy": "failure"}  # told when it fails

    def check(self, payload: BaseModel) -> None:
        assert isinstance(payload, HttpPayload)
        if "previous." in unquote(str(payload.url)):
            raise InvalidInputError(
                "Placeholders such as {previous.output} go in the body, json or headers of an "
                "http task, not in its URL."
            )
        if self.settings.http_allow_private:
            return
        if why := literal_refusal(str(payload.url)):
            raise InvalidInputError(f"The http action does not call private addresses: {why}")

    async def run(self, context: ActionContext) -> ActionResult:
        try:
            payload = HttpPayload.model_validate(context.payload)
        except ValidationError as error:  # placeholders filled in with what a header refuses
            problems = summarize_problems(error.errors(), "payload")
            raise ActionFailed(
                f"The payload, its placeholders filled in, is not one to send ({problems}).",
                retryable=False,
            ) from None
        request_body: dict[str, Any] = {}
        if payload.json_body is not None:
            request_body["json"] = payload.json_body
        elif payload.body is not None:
            request_body["content"] = payload.body
        headers = dict(payload.headers)
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = idempotency_key(context)
        call = f"{payload.method} {mask_url(str(payload.url))}"
        try:
            response = await shared_client(allow_private=self.settings.http_allow_private).request(
                payload.method, str(payload.url), headers=headers, **request_body
            )
        except httpx.HTTPError as error:
            if private := refused(error):  # the same on every attempt: not retried
                raise ActionFailed(
                    mask_text(f"{call} refused: {private}"), retryable=False
                ) from None
            raise ActionFailed(mask_text(f"{call} failed: {_in_words(error)}")) from None
        body = response.text[:MAX_BODY_RECORDED]
        result = {
            "status": response.status_code,
            "body": body,
            "truncated": len(response.text) > MAX_BODY_RECORDED,
        }
        if response.status_code >= 500 or response.status_code == 429:
            retry_after = _retry_after(response)
            raise ActionFailed(f"{call} answered {response.status_code}", retry_after=retry_after)
        if response.status_code >= 400:
            raise ActionFailed(
                mask_text(f"{call} answered {response.status_code}: {body[:200]}"),
                retryable=False,
            )
        return ActionResult(output=f"{call} -> {response.status_code}", result=result)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _in_words(error: httpx.HTTPError) -> str:
    """A transport error as a person reads it (it ends up in their notification)."""
    said = str(error) or type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return f"no answer in time ({said})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({said})"
    return said
