"""The HTTP API (FastAPI): every route goes through ``TaskService``, as the CLI does, for the
person its caller's key belongs to. ``create_app`` is what ``agentcron api`` serves."""
