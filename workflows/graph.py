"""The DAG as a graph: cycle detection, ordering and readiness by trigger rules.

Pure Python on purpose (no Django import): the scheduler, the runner's mini scheduler and the
authoring API share these rules, and they are unit-tested without a database.
States are plain strings with Apache Airflow's names; `workflows.enums` mirrors them for the models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

NONE = "none"
SCHEDULED = "scheduled"
QUEUED = "queued"
RUNNING = "running"
SUCCESS = "success"
FAILED = "failed"
UP_FOR_RETRY = "up_for_retry"
UPSTREAM_FAILED = "upstream_failed"
SKIPPED = "skipped"
DEFERRED = "deferred"

#: States a task instance never leaves without someone clearing it.
FINISHED = frozenset({SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED})
#: States in which the task has not yet been decided on.
UNDECIDED = frozenset({NONE})


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_DONE = "all_done"
    ALL_FAILED = "all_failed"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    NONE_FAILED = "none_failed"


class Decision(StrEnum):
    """What the scheduler does with an undecided task given its upstream states."""

    WAIT = "wait"
    RUN = SCHEDULED
    UPSTREAM_FAILED = UPSTREAM_FAILED
    SKIP = SKIPPED


@dataclass(frozen=True)
class _Counts:
    total: int
    success: int
    failed: int  # failed or upstream_failed
    skipped: int

    @property
    def all_done(self) -> bool:
        return self.success + self.failed + self.skipped == self.total


def _all_success(c: _Counts) -> Decision:
    if c.failed:
        return Decision.UPSTREAM_FAILED
    if c.skipped:
        return Decision.SKIP
    return Decision.RUN if c.success == c.total else Decision.WAIT


def _all_done(c: _Counts) -> Decision:
    return Decision.RUN if c.all_done else Decision.WAIT


def _all_failed(c: _Counts) -> Decision:
    if c.success or c.skipped:
        return Decision.SKIP
    return Decision.RUN if c.failed == c.total else Decision.WAIT


def _one_success(c: _Counts) -> Decision:
    if c.success:
        return Decision.RUN
    if not c.all_done:
        return Decision.WAIT
    return Decision.SKIP if c.skipped == c.total else Decision.UPSTREAM_FAILED


def _one_failed(c: _Counts) -> Decision:
    if c.failed:
        return Decision.RUN
    return Decision.SKIP if c.all_done else Decision.WAIT


def _none_failed(c: _Counts) -> Decision:
    if c.failed:
        return Decision.UPSTREAM_FAILED
    return Decision.RUN if c.all_done else Decision.WAIT


_RULES = {
    TriggerRule.ALL_SUCCESS: _all_success,
    TriggerRule.ALL_DONE: _all_done,
    TriggerRule.ALL_FAILED: _all_failed,
    TriggerRule.ONE_SUCCESS: _one_success,
    TriggerRule.ONE_FAILED: _one_failed,
    TriggerRule.NONE_FAILED: _none_failed,
}


def decide(rule: TriggerRule | str, upstream_states: Iterable[str]) -> Decision:
    """Apply a trigger rule to the states of a task's direct upstream tasks.

    A task without upstream tasks runs at once. Decisions that can be taken before every
    upstream task has finished are taken early (as Airflow does), so that a failure travels
    down the graph without waiting for unrelated branches.
    """
    states = list(upstream_states)
    if not states:
        return Decision.RUN
    count = Counter(states)
    counts = _Counts(
        total=len(states),
        success=count[SUCCESS],
        failed=count[FAILED] + count[UPSTREAM_FAILED],
        skipped=count[SKIPPED],
    )
    return _RULES[TriggerRule(rule)](counts)


def find_cycle(downstream: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle as a path that starts and ends on the same node, or None.

    `downstream` maps each node to the nodes that depend on it.
    """
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = dict.fromkeys(downstream, white)
    for start in sorted(downstream):
        if colour[start] != white:
            continue
        # Iterative depth-first search: DAGs of thousands of tasks must not hit the recursion limit.
        path: list[str] = [start]
        stack = [iter(sorted(downstream.get(start, ())))]
        colour[start] = grey
        while stack:
            child = next(stack[-1], None)
            if child is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(child, white)
            if state == grey:
                return [*path[path.index(child) :], child]
            if state == white:
                colour[child] = grey
                path.append(child)
                stack.append(iter(sorted(downstream.get(child, ()))))
    return None


def topological_order(downstream: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes ordered so that each comes after all its upstream nodes (ties by name)."""
    indegree: dict[str, int] = dict.fromkeys(downstream, 0)
    for children in downstream.values():
        for child in children:
            indegree[child] = indegree.get(child, 0) + 1
    ready = sorted(node for node, degree in indegree.items() if degree == 0)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in sorted(downstream.get(node, ())):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    if len(order) != len(indegree):
        raise ValueError(f"the graph has a cycle: {' -> '.join(find_cycle(downstream) or [])}")
    return order


def descendants(downstream: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """Every node reachable from `roots` (the roots not included unless reachable again)."""
    seen: set[str] = set()
    todo = [child for root in roots for child in downstream.get(root, ())]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(downstream.get(node, ()))
    return seen


def upstream_map(downstream: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Invert a downstream map: node -> its direct upstream nodes."""
    upstream: dict[str, set[str]] = {node: set() for node in downstream}
    for node, children in downstream.items():
        for child in children:
            upstream.setdefault(child, set()).add(node)
    return upstream


def decide_all(
    *,
    states: Mapping[str, str],
    upstream: Mapping[str, Iterable[str]],
    rules: Mapping[str, str],
) -> dict[str, Decision]:
    """Decide every undecided task of one run, letting decisions travel down the graph.

    Returns only the tasks whose state changes (never WAIT). An upstream_failed or skipped
    decision is itself a finished state, so it can settle tasks further down in the same pass.
    """
    current = dict(states)
    changes: dict[str, Decision] = {}
    progressed = True
    while progressed:
        progressed = False
        for task_id, state in current.items():
            if state not in UNDECIDED or task_id in changes:
                continue
            decision = decide(rules[task_id], (current[up] for up in upstream.get(task_id, ())))
            if decision is Decision.WAIT:
                continue
            changes[task_id] = decision
            current[task_id] = decision.value
            if decision is not Decision.RUN:
                progressed = True
    return changes
