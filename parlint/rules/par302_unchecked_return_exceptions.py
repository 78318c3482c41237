"""PAR302: `gather(..., return_exceptions=True)` whose results are never checked."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.fanout import GatherSite, module_fan_out
from parlint.rules.base import FixSpec, Invalid, Rule, Valid

DISCARDED = (
    "results of `asyncio.gather(..., return_exceptions=True)` are discarded: its exceptions "
    "are silently lost; check each result with `isinstance(result, BaseException)`"
)
UNCHECKED = (
    "results of `asyncio.gather(..., return_exceptions=True)` are used without a check for "
    "exceptions: check each result with `isinstance(result, BaseException)` first"
)


class UncheckedReturnExceptions(Rule):
    """
    ## What it does
    Finds `asyncio.gather(..., return_exceptions=True)` whose results are discarded, or used
    with no check for exceptions: no `isinstance(result, BaseException)` (or a narrower
    type), no helper that checks, no re-raise, no logging or filtering per result.

    ## Why is this bad?
    `return_exceptions=True` turns every failure into a return value. Nobody looks at the
    values, so the failures vanish: the job "succeeds", the data is missing, and there is no
    log line to find out why. When the results are used, an exception object flows on as if
    it were data and fails far away (`'TimeoutError' object has no attribute 'json'`).

    ## Example
    ```python
    async def notify_all(users):
        await asyncio.gather(*[notify(user) for user in users], return_exceptions=True)
    ```

    ## Use instead
    ```python
    async def notify_all(users):
        results = await asyncio.gather(
            *[notify(user) for user in users], return_exceptions=True
        )
        for user, result in zip(users, results):
            if isinstance(result, Exception):
                log.warning("could not notify %s: %s", user, result)
    ```

    ## Fix safety
    Display-only: the suggestion shows a loop that re-raises the first error. Whether a
    failure should be re-raised, logged or ignored is the author's decision.

    ## Options
    None.

    ## Known problems
    Not flagged: a cancel-then-drain (`task.cancel()` for each task, then gather and ignore
    the results); a drain in an `except`/`finally` block or in a `close`/`stop`/`shutdown`/
    `__aexit__`-like function; results returned, stored on an object or handed to another
    function (the caller checks); a check through a same-module helper that calls
    `isinstance`, or through a call named like a check or a log (`check_results`,
    `_LOGGER.debug`). Any `isinstance` on a result counts as a check, even one that tests
    for a single error type only.
    """

    code = "PAR302"
    name = "unchecked-return-exceptions"
    summary = "gather(..., return_exceptions=True) whose exceptions nobody checks"
    fixable = True
    VALID = (
        Valid(
            """
            import asyncio

            async def notify_all(users):
                results = await asyncio.gather(*[notify(u) for u in users], return_exceptions=True)
                for result in results:
                    if isinstance(result, Exception):
                        log.warning("notify failed: %s", result)
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import asyncio

            async def notify_all(users):
                await asyncio.gather(*[notify(u) for u in users], return_exceptions=True)
            """,
            line=5,
            column=10,
            message=DISCARDED,
        ),
        Invalid(
            """
            import asyncio

            async def totals(shops):
                counts = await asyncio.gather(*[count(s) for s in shops], return_exceptions=True)
                return sum(counts)
            """,
            line=5,
            column=19,
            message=UNCHECKED,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        facts = module_fan_out(self.context)
        for site in facts.gathers:
            if site.return_exceptions and site.results is not None:
                message = DISCARDED if site.results == "discarded" else UNCHECKED
                self.report(site.call, message, fix=self._fix(site))

    def _fix(self, site: GatherSite) -> FixSpec | None:
        try:
            from parlint.codemods.bound import checked_results_suggestion
        except ImportError:  # the codemods are optional: report without a suggestion
            return None
        return checked_results_suggestion(
            site.target or "results", message="Check the results and re-raise the first error"
        )
