"""The API's rate limit: a burst of a minute's requests, then one more each time a token
comes back, with the wait said."""

from __future__ import annotations

from agentcron.api.limits import RateLimiter


def test_a_key_gets_its_burst_then_waits_for_tokens_and_others_are_unaffected() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(60)] == [None] * 60
    wait = limiter.take("a")
    assert wait is not None
    assert 0.99 < wait <= 1.0
    assert limiter.take("b") is None  # each key its own bucket
    now[0] += 0.5
    assert limiter.take("a") is not None  # half a token back: not yet
    now[0] += 0.6
    assert limiter.take("a") is None
    now[0] += 3600
    assert [limiter.take("a") for _ in range(60)] == [None] * 60  # refilled, never above 60
    assert limiter.take("a") is not None
