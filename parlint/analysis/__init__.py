"""The dependency and effect model of async code, as libcst metadata providers.

Modules (each fact unit-tested under tests/analysis/):

- `names`: import/alias table (`ImportTable`, `import_table`), `qualified_name`, `dotted_name`,
  `receiver_root`, `access_path`, `method_name`: the stable naming API other rules import.
- `facts`: reads, writes, awaits, calls and exits of a statement (`statement_facts`), with
  nested scopes, comprehensions, walrus, del, star targets, global/nonlocal, mutation through
  methods (`items.append(x)` writes `items`); `overlaps(path_a, path_b)`.
- `effects`: what a call does by name (`CallKind`: read-only / effectful / unknown,
  `kind_of_name`) and the configurable receiver and ordered-call patterns (`EffectPatterns`).
- `options`: the analysis configuration keys (`serial-receivers`, `concurrent-safe-receivers`,
  `ordered-calls` and their `extend-` forms).
- `summaries`: module facts (`ModuleContext`): receiver types from annotations and
  constructors, and per-function `Summary` (self attributes and globals read/written, serial
  resources, effects) to a fixpoint over same-module calls, each computed when first asked for.
- `dependence`: `analyse_function(fn, ctx) -> FunctionAnalysis` with `AwaitSite`s,
  `BlockAnalysis` (statements with stages and barriers), `AwaitGroup`s (PAR101) and
  `LoopAnalysis` (PAR102); every "no" is a `Reason`; `pair_reason` explains a pair.
- `project`: the other modules of the file's project (`Project`), found from its path and read
  with `ast` only when a question needs them (does an imported coroutine ever suspend? does
  an awaited call only ever yield None to the project's own scheduler?); every
  file consulted is recorded for the cache (`FileResult.dependencies`).
- `provider`: `AsyncFunctionProvider`, the lazy libcst metadata provider rules depend on
  (`FunctionDef` -> `FunctionAnalysis`), `analyse_module` outside a wrapper, `is_test_path`.
- `walk`: `children(node)`, the syntactic children of a node by a plain field walk (libcst's
  `node.children` rebuilds every node it passes); every walker of the analysis uses it.
  `tests/analysis/test_cost.py` counts the analysis's work: linear in a function's length.
"""
