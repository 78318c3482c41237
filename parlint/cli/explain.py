"""`parlint explain FILE:LINE`: the dependency graph around a line, and why awaits are not
grouped (data dependence on `user`, shared serial resource `conn`, pacing call `asyncio.sleep`,
early exit at line 42...)."""

from __future__ import annotations

import click
import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.dependence import FunctionAnalysis, locate, pair_reason
from parlint.analysis.project import Project
from parlint.analysis.provider import analyse_module
from parlint.cli import common
from parlint.cli.common import UserError
from parlint.engine import parse, read_source
from parlint.types import Finding

MAX_PAIRS = 60


def parse_location(location: str) -> tuple[str, int]:
    path, sep, line = location.rpartition(":")
    if not sep or not path or not line.isdigit() or int(line) < 1:
        raise UserError(f"expected FILE:LINE, got {location!r}")
    return path, int(line)


def explain_source(source: str, path: str, line: int, config: object = None) -> str:
    """The explanation text for `line` of `source` (what the command prints)."""
    module = parse(source, path)
    if isinstance(module, Finding):
        raise UserError(f"{path}: {module.message}")
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    analyses = analyse_module(module, config, positions, Project(path))

    def span(node: cst.CSTNode) -> tuple[int, int]:
        pos = positions[node]
        return pos.start.line, pos.end.line

    around = [a for a in analyses if span(a.function)[0] <= line <= span(a.function)[1]]
    if not around:
        return f"{path}:{line}: not inside an `async def`: nothing to explain\n"
    analysis = max(around, key=lambda a: span(a.function)[0])  # the innermost
    return _render(analysis, path, line, positions, span)


def _render(analysis: FunctionAnalysis, path: str, line: int, positions, span) -> str:
    fn = analysis.function
    start, end = span(fn)
    out = [f"{path}:{start}: async def {fn.name.value} (lines {start}-{end}), "
           f"framework: {analysis.framework or 'none imported (asyncio)'}"]
    sites = sorted(analysis.sites, key=lambda s: positions[s.node].start.line)
    out.append("")
    out.append("awaits:")
    where = locate(analysis)
    for site in sites:
        at = positions[site.node].start.line
        stage = ""
        if id(site.node) in where:
            _block, node = where[id(site.node)]
            stage = f"stage {node.level}" if node.site is not None else "keeps its place"
        why = f" ({site.barrier.describe()})" if site.barrier is not None else (
            f" ({site.query})" if site.query else "")
        out.append(f"  line {at}: `{site.label}` [{site.kind.value}] {stage}{why}")
    if not sites:
        out.append("  (none)")
    out.append("")
    out.append("groups (PAR101):")
    groups = analysis.groups
    for group in groups:
        lines = [str(positions[group.block.statements[i]].start.line) for i in group.stage1]
        out.append(
            f"  lines {', '.join(lines)} can start together "
            f"({group.awaits_in_segment} sequential awaits → {group.stages_in_segment} stages; "
            f"{'read-only' if group.read_only else 'not all read-only'})"
        )
    if not groups:
        out.append("  (none)")
    loops = [lp for lp in analysis.loops
             if span(lp.node)[0] <= line <= span(lp.node)[1] or span(lp.node)[0] == line]
    if loops:
        out.append("")
        out.append("loops (PAR102):")
        for loop in loops:
            at = span(loop.node)[0]
            if loop.independent:
                out.append(f"  line {at}: iterations are independent (reported)")
            else:
                reasons = "; ".join(r.describe() for r in loop.reasons)
                out.append(f"  line {at}: not reported: {reasons}")
    # Pairs: those with the await on LINE, else every pair in the function (bounded).
    on_line = [s for s in sites if positions[s.node].start.line == line]
    pairs = []
    for i, a in enumerate(sites):
        for b in sites[i + 1 :]:
            if on_line and a not in on_line and b not in on_line:
                continue
            pairs.append((a, b))
    out.append("")
    out.append("pairs not grouped:")
    shown = 0
    for a, b in pairs:
        reason = pair_reason(analysis, a.node, b.node, where, positions)
        if reason is None:
            continue
        if shown == MAX_PAIRS:
            out.append(f"  ... ({len(pairs) - MAX_PAIRS} more pairs)")
            break
        la, lb = positions[a.node].start.line, positions[b.node].start.line
        out.append(f"  line {la} `{a.label}` / line {lb} `{b.label}`: {reason.describe()}")
        shown += 1
    if shown == 0:
        out.append("  (none)")
    return "\n".join(out) + "\n"


@click.command()
@click.argument("location", metavar="FILE:LINE")
@common.config_options
def explain(location: str, **params: object) -> None:
    """Explain the dependency graph around FILE:LINE: groups, and why awaits are not grouped."""
    path, line = parse_location(location)
    invocation = common.build_invocation({**params, "paths": (path,)})
    decoded = read_source(path)
    if isinstance(decoded, Finding):
        raise UserError(decoded.message)
    click.echo(explain_source(decoded.source, path, line, invocation.config), nl=False)
