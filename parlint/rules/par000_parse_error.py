"""PAR000: a file that cannot be read, decoded or parsed."""

from __future__ import annotations

from parlint.rules.base import Invalid, Rule, Valid


class ParseError(Rule):
    """
    ## What it does
    Reports a file that parlint cannot read, decode or parse, at the position of the error,
    with the reason. The rest of the run goes on, and the finding counts for the exit code.

    ## Why is this bad?
    parlint cannot see into a file it cannot parse: whatever missed parallelism or unhandled
    gather the file holds stays hidden. Usually the file has a syntax error, a wrong encoding
    declaration, or bytes that are not valid in its encoding.

    ## Example
    ```python
    async def main(:
        await fetch()
    ```

    ## Use instead
    ```python
    async def main():
        await fetch()
    ```

    ## Fix safety
    There is no fix: parlint never edits a file it cannot parse.

    ## Options
    None. Exclude a file on purpose with `exclude`/`extend-exclude`, or ignore the code for it
    with `per-file-ignores`.

    ## Known problems
    A file that contains neither `async` nor `await` is never parsed (it cannot hold a finding),
    so its syntax errors are not reported: that is a syntax checker's job.
    """

    code = "PAR000"
    name = "parse-error"
    summary = "File cannot be read, decoded or parsed"
    visits = False
    VALID = (Valid("async def main():\n    await fetch()\n"),)
    # The parser notices the missing ")" only at the first token it cannot use: `await`.
    INVALID = (
        Invalid(
            "async def main(:\n    await fetch()\n",
            line=2,
            column=4,
            message="cannot parse: expected one of ), *, **, NAME",
        ),
    )
