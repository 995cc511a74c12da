"""Counting in words: every message that counts something says '1 attempt', '2 attempts'."""

from __future__ import annotations


def plural(count: float, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural (``many``, else ``word`` + 's') unless it is 1.

    Integers get thousands separators ('1,000 characters'); other numbers as short as they
    go ('1.5 minutes').
    """
    number = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{number} {word if count == 1 else many or word + 's'}"


__all__ = ["plural"]
