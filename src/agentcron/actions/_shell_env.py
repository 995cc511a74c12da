"""The environment a shell task's program gets: a minimal one, never serve's own.

serve's environment holds API keys (``OPENAI_API_KEY``...) and the store's URL; a program
a task runs sees only ``PATH``, ``HOME``, ``LANG`` and ``LC_ALL`` as serve has them, ``TZ``
set to the task's zone, and the variables of the task's ``env``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

INHERITED = ("PATH", "HOME", "LANG", "LC_ALL")
"""Taken from serve's environment when set there (PATH finds the allowed programs)."""

MAX_VARIABLES = 32
MAX_VALUE_CHARS = 4096
_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_MAX_NAME_CHARS = 128

RESERVED = frozenset({"PATH", "HOME", "TZ"})
"""Set by agentcron: PATH decides which program an allowed name runs; TZ is the task's zone."""

CODE_LOADING = frozenset(
    {
        "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "PYTHONSTARTUP",
        "PYTHONPATH", "PYTHONHOME", "PERL5OPT", "PERL5LIB", "PERLLIB", "RUBYOPT", "RUBYLIB",
        "NODE_OPTIONS", "NODE_PATH", "GCONV_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
    }
)  # fmt: skip
_CODE_LOADING_PREFIXES = ("LD_", "DYLD_", "GIT_")
"""Variables that make the dynamic loader, a shell, an interpreter or git run other code
than the allowed program's: refused, so that ``env`` cannot widen the allow-list. (Not a
complete list of every program's hooks: the allow-list stays the boundary.)"""


def check_env(env: Mapping[str, str]) -> None:
    """Refuse a task's ``env`` that is too large, badly named or reaches past the program;
    ValueError says which variable and why (never its value)."""
    if len(env) > MAX_VARIABLES:
        raise ValueError(f"at most {MAX_VARIABLES} variables, not {len(env)}")
    for name, value in env.items():
        if len(name) > _MAX_NAME_CHARS or not _NAME.fullmatch(name):
            raise ValueError(
                f"{name[:_MAX_NAME_CHARS]!r} is not a variable name: capital letters, digits "
                "and _, not starting with a digit"
            )
        if name in RESERVED:
            raise ValueError(f"{name} is set by agentcron and cannot be given")
        if name in CODE_LOADING or name.startswith(_CODE_LOADING_PREFIXES):
            raise ValueError(f"{name} would let the program load other code; it is refused")
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"{name} is {len(value):,} characters; at most {MAX_VALUE_CHARS:,}")
        if "\0" in value:
            raise ValueError(f"{name} contains a NUL character")


def child_env(timezone: str, env: Mapping[str, str] | None) -> dict[str, str]:
    """The program's whole environment: the inherited few, TZ, then the task's own."""
    inherited = {name: os.environ[name] for name in INHERITED if name in os.environ}
    inherited.setdefault("PATH", os.defpath)
    return inherited | {"TZ": timezone} | dict(env or {})
