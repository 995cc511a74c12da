"""``python -m agentcron`` is the ``agentcron`` command."""

from agentcron.cli import main

main()
