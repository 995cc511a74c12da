"""The engine: the scheduler loop, the runner, the recorder and the in-process executor;
``planning`` is its pure part."""
