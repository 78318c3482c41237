"""PAR999: an internal error of one rule on one file."""

from __future__ import annotations

from parlint.rules.base import Rule


class InternalError(Rule):
    """
    ## What it does
    Reports that one of parlint's rules crashed on a file. The other rules' findings for the
    file are kept and the run goes on; `--debug` prints the traceback.

    ## Why is this bad?
    It is parlint's bug, not yours: the crashed rule could not check this file. Please report it
    with the traceback from `parlint check --debug` and, where you can, the smallest snippet that
    triggers it.

    ## Example
    Any file on which a rule raises an exception.

    ## Use instead
    Nothing to change in your code. Ignore the code for the file (`per-file-ignores`) until the
    bug is fixed, if it gets in the way.

    ## Fix safety
    There is no fix. During `parlint fix`, a fix round whose output would not parse or compile
    is reverted and reported with this code: nothing half-written is ever saved.

    ## Options
    None.

    ## Known problems
    None known.
    """

    code = "PAR999"
    name = "internal-error"
    summary = "Internal error in a rule on one file"
    visits = False
