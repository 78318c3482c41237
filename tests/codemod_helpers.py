"""Helpers for the codemod unit tests: build a fix from a snippet and apply it as the fixer
would (engine.spec_to_fix + apply_edits + the requested imports)."""

from __future__ import annotations

import textwrap
from typing import Callable

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from parlint.engine import apply_edits, spec_to_fix
from parlint.rules.base import FixSpec


def first_function(module: cst.Module) -> cst.FunctionDef:
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            return statement
    raise LookupError("no function")


def apply_spec(source: str, build: Callable[[cst.Module, cst.FunctionDef], FixSpec | None]) -> str | None:
    """`build(module, function)` returns a spec; the fixed source, or None when it returned None."""
    source = textwrap.dedent(source)
    module = cst.parse_module(source)
    spec = build(module, first_function(module))
    if spec is None:
        return None
    fix = spec_to_fix(module, spec)
    text = apply_edits(source, fix.edits)
    if fix.imports:
        context = CodemodContext()
        for name, obj, alias in fix.imports:
            AddImportsVisitor.add_needed_import(context, name, obj, alias)
        text = AddImportsVisitor(context).transform_module(cst.parse_module(text)).code
    compile(text, "<fixed>", "exec")
    return text


def dedent(text: str) -> str:
    return textwrap.dedent(text)
