"""Rewrite builders shared by the rules: pure functions over libcst nodes returning a FixSpec.

Rules decide *whether* a finding is fixable and how *safe* the fix is; the builders here decide
*how* the code is rewritten. A builder returns `None` when it does not handle the shape; the rule
then attaches a display-only fix with the suggested code in its message.

- `gather.group_fix` (PAR101): a group of independent awaits becomes one `gather`.
- `loops.loop_fix` (PAR102): a loop/comprehension becomes a bounded, order-preserving gather
  (asyncio), or a nursery / task group with a CapacityLimiter (trio / anyio).
- `bound.bound_fix` (PAR201): an unbounded fan-out gets a semaphore; `bound.taskgroup_suggestion`
  and `bound.checked_results_suggestion` are the display-only suggestions of PAR301/PAR302.
"""
