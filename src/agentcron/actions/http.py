"""``http``: call a URL; the status and a bounded part of the body are recorded."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.errors import ActionFailed

MAX_BODY_RECORDED = 4096


class HttpPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: AnyHttpUrl
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=65536)
    json_body: dict[str, Any] | list[Any] | None = Field(default=None, alias="json")


class HttpAction(Action):
    """Call a webhook. 5xx, 429 and network errors are retried; other 4xx are not."""

    name: ClassVar[str] = "http"
    payload_model = HttpPayload

    async def run(self, context: ActionContext) -> ActionResult:
        payload = HttpPayload.model_validate(context.payload)
        request_body: dict[str, Any] = {}
        if payload.json_body is not None:
            request_body["json"] = payload.json_body
        elif payload.body is not None:
            request_body["content"] = payload.body
        try:
            async with httpx.AsyncClient(follow_redirects=False) as client:
                response = await client.request(
                    payload.method, str(payload.url), headers=payload.headers, **request_body
                )
        except httpx.HTTPError as error:
            raise ActionFailed(f"{payload.method} {payload.url} failed: {error!r}") from None
        body = response.text[:MAX_BODY_RECORDED]
        result = {
            "status": response.status_code,
            "body": body,
            "truncated": len(response.text) > MAX_BODY_RECORDED,
        }
        if response.status_code >= 500 or response.status_code == 429:
            retry_after = _retry_after(response)
            raise ActionFailed(
                f"{payload.method} {payload.url} answered {response.status_code}",
                retry_after=retry_after,
            )
        if response.status_code >= 400:
            raise ActionFailed(
                f"{payload.method} {payload.url} answered {response.status_code}: {body[:200]}",
                retryable=False,
            )
        return ActionResult(
            output=f"{payload.method} {payload.url} -> {response.status_code}", result=result
        )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
