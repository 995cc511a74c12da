"""The page's templates, and how its routes answer.

A form sent by the page's script (header ``X-Agentcron-Fragment``) gets back the HTML of
what it changed, to put in place; the same form sent by a browser without the script gets a
redirect to the page it came from. Errors follow the same split: a message for the script
to show, or a page saying it. Either way, the message is the service's, masked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from agentcron import __version__
from agentcron.api.errors import status_of
from agentcron.errors import AgentCronError, RateLimitError
from agentcron.plurals import plural
from agentcron.secrets import mask_text, mask_value
from agentcron.web import timefmt
from agentcron.web.session import SignInNeeded

_log = logging.getLogger(__name__)
HERE = Path(__file__).parent
FRAGMENT_HEADER = "x-agentcron-fragment"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""No script but the page's own file, no framing, and nothing kept in caches: the pages
show a person's tasks."""

TEXT_FIELDS = {"reminder": "message", "agent": "instructions"}
"""The payload field the edit form shows for an action (others keep their payload)."""

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.auto_reload = False  # installed templates do not change: no stat per include
templates.env.globals |= {
    "version": __version__,
    "text_fields": TEXT_FIELDS,
    "relative": timefmt.relative,
    "local": timefmt.local,
    "clock": timefmt.clock,
    "span": timefmt.span,
    "plural": plural,
}
templates.env.filters["masked_json"] = lambda value: json.dumps(mask_value(value), indent=2)
templates.env.filters["masked"] = mask_text


def wants_fragment(request: Request) -> bool:
    return FRAGMENT_HEADER in request.headers


def render(request: Request, name: str, status: int = 200, /, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def answer(request: Request, name: str, back: str, **context: Any) -> Response:
    """After a change: the fragment ``name`` for the script, a redirect to ``back`` else."""
    if wants_fragment(request):
        return render(request, name, **context)
    return RedirectResponse(back, status_code=303)


def refusal(request: Request, status: int, message: str) -> Response:
    """What the person is told when the service refuses (or the page cannot go on)."""
    if wants_fragment(request):
        response = render(request, "_flash.html", status, message=mask_text(message))
        response.headers["X-Agentcron-Flash"] = "error"
        return response
    return render(request, "refused.html", status, message=mask_text(message))


class WebRoute(APIRoute):
    """A route of the page: the API's JSON errors become words on the page, and a missing
    session becomes the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handled(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInNeeded:
                if wants_fragment(request):
                    return Response(status_code=401, headers={"X-Agentcron-Redirect": "/signin"})
                return RedirectResponse("/signin", status_code=303)
            except AgentCronError as error:
                response = refusal(request, status_of(error), error.message)
                if isinstance(error, RateLimitError):
                    response.headers["Retry-After"] = str(max(1, round(error.retry_after)))
                return response
            except RequestValidationError as error:
                said = "; ".join(
                    f"{'.'.join(str(p) for p in problem.get('loc', ())[1:])}: {problem['msg']}"
                    for problem in error.errors()[:3]
                )
                return refusal(request, 422, f"This request is not one the page sends ({said}).")
            except Exception:  # a bug: said as a page, its traceback in the log
                _log.exception("The web page failed on %s %s", request.method, request.url.path)
                return refusal(
                    request, 500, "Something went wrong in agentcron; its log says what."
                )

        return handled
