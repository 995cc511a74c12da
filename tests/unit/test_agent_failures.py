"""How provider failures read, for the shapes providers and transports give them in."""

from __future__ import annotations

from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError

from agentcron.agent.failures import action_failure, provider_problem


def raised_from(error: ModelAPIError, cause: BaseException) -> ModelAPIError:
    try:
        raise error from cause
    except ModelAPIError as raised:
        return raised


def test_http_errors_say_the_status_and_the_providers_message() -> None:
    openai = ModelHTTPError(503, "gpt-4o-mini", {"message": "overloaded", "type": "server"})
    anthropic = ModelHTTPError(
        529, "claude", {"type": "error", "error": {"type": "overloaded", "message": "Overloaded"}}
    )
    html = "<html>" + "bad gateway " * 100 + "</html>"
    page = ModelHTTPError(502, "llama", html)
    assert provider_problem(openai) == "HTTP 503: overloaded"
    assert provider_problem(anthropic) == "HTTP 529: Overloaded"
    assert provider_problem(ModelHTTPError(500, "m", None)) == "HTTP 500: no message"
    clipped = provider_problem(page)
    assert clipped.startswith("HTTP 502: <html>bad gateway")
    assert clipped.endswith(f"... ({len(html):,} characters)")
    assert len(clipped) < 400


def test_a_refused_connection_says_cannot_connect_even_when_reported_as_a_timeout() -> None:
    refused = raised_from(
        ModelAPIError("m", "Request timed out."),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)"),
    )
    slow = raised_from(ModelAPIError("m", "Request timed out."), TimeoutError("read timed out"))
    assert provider_problem(refused) == (
        "cannot connect: [Errno 111] Connect call failed ('127.0.0.1', 9)"
    )
    assert provider_problem(slow) == "Request timed out."
    failure = action_failure(refused, "ollama:llama3.1")
    assert failure.retryable
    assert failure.message.startswith("ollama:llama3.1 failed (cannot connect: ")
