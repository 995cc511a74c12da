"""Naming the words of a refused phrase that were not understood.

Only run when a phrase is refused: the smallest run of words whose removal leaves
something the grammar reads is what the person is told about ('please' in 'every
day please'), so they can fix exactly that part.
"""

from __future__ import annotations

from collections.abc import Callable

from agentcron.errors import ScheduleError

_LONGEST_RUN = 4


def unread_words(core: str, readable: Callable[[str], bool]) -> str | None:
    """The shortest run of words in ``core`` without which ``readable`` accepts the rest."""
    words = core.split()
    for size in range(1, min(len(words), _LONGEST_RUN + 1)):
        for start in range(len(words) - size + 1):
            rest = " ".join(words[:start] + words[start + size :]).strip(" ,")
            if rest and _accepts(readable, rest):
                return " ".join(words[start : start + size]).strip(" ,")
    return None


def _accepts(readable: Callable[[str], bool], text: str) -> bool:
    try:
        return readable(text)
    except ScheduleError:
        return False
