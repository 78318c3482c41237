"""parlint: find missed parallelism in async Python code, and rewrite it safely."""

__version__ = "0.1.0"
