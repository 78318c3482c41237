"""Regressions found on real code (bench/realworld, the corpus sweep), reduced to minimal cases.

Fixed ones live where they belong (tests/test_bad_input.py: form feeds lost when an import was
added, libcst segfaults on deep nesting, read-only files replaced; tests/test_security.py:
`python -m parlint` importing a project's shadowing modules, a symlinked file argument opening
its outside target). Open ones are strict xfails here: each passes once its defect is fixed, and
then the marker goes (the httpcore case below was fixed in the rules: the fix is now unsafe).
"""

from __future__ import annotations

import pytest

from parlint.config import Config
from parlint.engine import lint_source
from parlint.fixer import fix_source
from parlint.types import Safety

# Reduced from httpcore 1.0.9, httpcore/_async/connection_pool.py (`_close_connections`): the
# module imports no async framework because it runs on asyncio *and* trio (through its own
# backend layer). A PAR102 rewrite brings `asyncio.Semaphore` and `asyncio.gather` into it.
BACKEND_AGNOSTIC = """\
from ._backends import current_backend


async def fetch_all(client, urls):
    pages = []
    for url in urls:
        pages.append(await client.fetch(url))
    return pages
"""


def test_asyncio_rewrite_of_framework_agnostic_code_is_never_safe() -> None:
    findings = lint_source(BACKEND_AGNOSTIC, "pool.py", Config()).findings
    fixes = [f.fix for f in findings if f.fix is not None and f.fix.applicable]
    introduces_asyncio = [fix for fix in fixes if any(i[0] == "asyncio" for i in fix.imports)]
    assert all(fix.safety is not Safety.SAFE for fix in introduces_asyncio)


def test_safe_fixing_keeps_agnostic_code_running_under_trio_and_unsafe_would_not() -> None:
    """Why the case above matters: the asyncio rewrite turns working trio code into a crash, so
    only --unsafe-fixes may apply it."""
    trio = pytest.importorskip("trio")

    class Client:
        async def fetch(self, url):
            await trio.sleep(0)
            return url.upper()

    def load(source):
        namespace: dict = {}
        body = source.replace("from ._backends import current_backend\n", "")
        exec(compile(body, "<pool>", "exec"), namespace)
        return namespace["fetch_all"]

    safe = fix_source(BACKEND_AGNOSTIC, "pool.py", Config()).fixed
    assert trio.run(load(safe), Client(), ["a", "b"]) == ["A", "B"]
    unsafe = fix_source(BACKEND_AGNOSTIC, "pool.py", Config(), unsafe=True).fixed
    if "asyncio" in unsafe:
        with pytest.raises((RuntimeError, TypeError)):  # asyncio primitives need asyncio's loop
            trio.run(load(unsafe), Client(), ["a", "b"])
