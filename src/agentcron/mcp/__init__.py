"""agentcron as an MCP server: its tasks as tools a model calls, for one person at a time.

``server.build_server`` makes the server on any transport: ``stdio`` (``agentcron mcp``, the
CLI's person) and ``http`` (streamable HTTP at the API's ``/mcp``, the API key's person).
``acting`` tells every tool who it acts for, ``tools`` and ``upcoming`` are what it serves.
"""
