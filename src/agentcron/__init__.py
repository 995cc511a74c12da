"""agentcron: make AI agents act on time."""

from importlib.metadata import version

__version__ = version("agentcron")
__all__ = ["__version__"]
