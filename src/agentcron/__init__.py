"""agentcron: make AI agents act on time."""

__version__ = "0.1.0"
"""The release; pyproject.toml says the same (a test checks). Kept here as text because
reading it from the installed metadata costs a tenth of a second at every start."""

__all__ = ["__version__"]
