"""How long the longest chained expression of a source is, measured before libcst parses it.

libcst's native parser recurses once per operand of a chained expression (`a and b and ...`,
`a + b + ...`: libcst nests them two by two) and overflows its stack: a segfault that ends the
whole run. Measured with libcst 1.9 on CPython 3.11, main thread (8 MB stack), one expression
per file: 7,000 `and` operands parse, 7,500 crash, on one line or spread over many lines in
brackets; `or` and `+` alike. Python accepts any number of `and`/`or` operands (its BoolOp is
flat) and refuses other chains near 3,000 (RecursionError), so Python's own parser cannot be the
only guard. Code chaining more than `CHAIN_LIMIT` operands in one expression is therefore
refused before libcst sees it, with a margin for the stack the enclosing code uses.

The measure is cheap for ordinary files (a length test, then one regex count) and exact where
it matters: a logical line with that many operator tokens is confirmed on Python's AST.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

CHAIN_LIMIT = 3_000

# Tokens that may each add one level to a chain (binary and boolean operators, `not`, unary
# signs, attribute access, conditional expressions, lambdas, awaits). Over-counting is fine: a
# logical line with many of them is measured on the AST. `_TOKENS` is the quick count over the
# whole file (substrings: `and` in `command` counts too), `_OPERATOR` the count per line.
_TOKENS = ("and", "or", "not", "if", "lambda", "await", *"-+*/%@&|^~.<>")
_OPERATOR = re.compile(r"\b(?:and|or|not|if|lambda|await)\b|[-+*/%@&|^~.<>]")
_STRING_OR_COMMENT = re.compile(
    r"""\#[^\n]*"""
    r'''|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\''''
    r'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*\''''
)
_BRACKET_OR_NEWLINE = re.compile(r"[\[\](){}\n]")
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


@dataclass(frozen=True)
class Chain:
    """The longest chain found: how deep it nests (about its number of operands) and the first
    line (1-based) of its statement."""

    operands: int = 0
    line: int = 1
    python_refuses: bool = False  # Python's own parser refused the source (too deep for it)


def longest_chain(source: str, limit: int = CHAIN_LIMIT) -> Chain:
    """The longest chained expression of `source` when it may reach `limit` operands;
    `Chain()` (no operands) when no expression can."""
    # Every operand but the first needs an operator and an operand: two characters at least.
    if len(source) < 2 * limit or sum(map(source.count, _TOKENS)) < limit:
        return Chain()
    lines = _long_logical_lines(source, limit)
    if not lines:
        return Chain()
    try:
        tree = compile(source, "<parlint>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError, SyntaxError, ValueError):
        return Chain(max(count for _, count in lines), lines[0][0], python_refuses=True)
    deepest = Chain()
    for statement in tree.body:  # type: ignore[attr-defined]
        first, last = statement.lineno, statement.end_lineno or statement.lineno
        if any(first <= line <= last for line, _ in lines):
            depth, line = _deepest(statement)
            if depth > deepest.operands:
                deepest = Chain(depth, line)
    return deepest


def _long_logical_lines(source: str, limit: int) -> list[tuple[int, int]]:
    """(first line, operator tokens) of every logical line with at least `limit` operator
    tokens, strings and comments left out (their newlines kept, so that lines still count)."""
    clean = _STRING_OR_COMMENT.sub(lambda m: "\n" * m.group().count("\n") or " ", source)
    found: list[tuple[int, int]] = []
    depth, start, line, start_line = 0, 0, 1, 1
    for match in _BRACKET_OR_NEWLINE.finditer(clean):
        char, end = match.group(), match.start()
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        else:
            line += 1
            if depth or (end and clean[end - 1] == "\\"):
                continue  # inside brackets, or a backslash continuation: the same logical line
            if end - start >= 2 * limit:
                count = len(_OPERATOR.findall(clean, start, end))
                if count >= limit:
                    found.append((start_line, count))
            start, start_line = end + 1, line
    if len(clean) - start >= 2 * limit:
        count = len(_OPERATOR.findall(clean, start))
        if count >= limit:
            found.append((start_line, count))
    return found


def _deepest(root: ast.stmt) -> tuple[int, int]:
    """How deep libcst's tree of `root` goes (an `and`/`or` of n operands nests n - 1 levels
    there), and the first line of the statement where it is deepest; iterative, so that depth
    is no problem here."""
    deepest, deepest_line = 0, root.lineno
    stack: list[tuple[ast.AST, int, int]] = [(root, 1, root.lineno)]
    while stack:
        node, depth, line = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        elif isinstance(node, ast.stmt):
            line = node.lineno
        if depth > deepest:
            deepest, deepest_line = depth, line
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))
    return deepest, deepest_line
