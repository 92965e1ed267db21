"""The pure graph rules: readiness by trigger rule, cycles, order. No database."""

import pytest

from workflows import graph
from workflows.graph import Decision, TriggerRule

S, F, UF, SK, R, N = graph.SUCCESS, graph.FAILED, graph.UPSTREAM_FAILED, graph.SKIPPED, graph.RUNNING, graph.NONE


@pytest.mark.parametrize(
    ("rule", "states", "expected"),
    [
        (TriggerRule.ALL_SUCCESS, [S, S], Decision.RUN),
        (TriggerRule.ALL_SUCCESS, [S, R], Decision.WAIT),
        (TriggerRule.ALL_SUCCESS, [F, R], Decision.UPSTREAM_FAILED),
        (TriggerRule.ALL_SUCCESS, [UF, S], Decision.UPSTREAM_FAILED),
        (TriggerRule.ALL_SUCCESS, [SK, S], Decision.SKIP),
        (TriggerRule.ALL_DONE, [S, F, SK], Decision.RUN),
        (TriggerRule.ALL_DONE, [S, R], Decision.WAIT),
        (TriggerRule.ALL_FAILED, [F, UF], Decision.RUN),
        (TriggerRule.ALL_FAILED, [F, R], Decision.WAIT),
        (TriggerRule.ALL_FAILED, [F, S], Decision.SKIP),
        (TriggerRule.ALL_FAILED, [SK, F], Decision.SKIP),
        (TriggerRule.ONE_SUCCESS, [S, R], Decision.RUN),
        (TriggerRule.ONE_SUCCESS, [F, R], Decision.WAIT),
        (TriggerRule.ONE_SUCCESS, [F, SK], Decision.UPSTREAM_FAILED),
        (TriggerRule.ONE_SUCCESS, [SK, SK], Decision.SKIP),
        (TriggerRule.ONE_FAILED, [F, R], Decision.RUN),
        (TriggerRule.ONE_FAILED, [UF], Decision.RUN),
        (TriggerRule.ONE_FAILED, [S, R], Decision.WAIT),
        (TriggerRule.ONE_FAILED, [S, SK], Decision.SKIP),
        (TriggerRule.NONE_FAILED, [S, SK], Decision.RUN),
        (TriggerRule.NONE_FAILED, [S, R], Decision.WAIT),
        (TriggerRule.NONE_FAILED, [F, R], Decision.UPSTREAM_FAILED),
    ],
)
def test_decide_trigger_rule_gives_airflow_decision(rule, states, expected):
    assert graph.decide(rule, states) == expected


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_decide_without_upstream_runs_at_once(rule):
    assert graph.decide(rule, []) == Decision.RUN


def test_decide_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="sometimes"):
        graph.decide("sometimes", [S])


def test_find_cycle_names_the_cycle_path():
    downstream = {"extract": {"transform"}, "transform": {"load"}, "load": {"transform"}}
    assert graph.find_cycle(downstream) == ["transform", "load", "transform"]


def test_find_cycle_self_loop():
    assert graph.find_cycle({"a": {"a"}}) == ["a", "a"]


def test_find_cycle_none_in_a_diamond():
    assert graph.find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None


def test_find_cycle_deep_chain_does_not_hit_recursion_limit():
    downstream = {f"t{i}": {f"t{i + 1}"} for i in range(5000)} | {"t5000": set()}
    assert graph.find_cycle(downstream) is None


def test_topological_order_puts_upstream_first():
    assert graph.topological_order({"c": set(), "a": {"b"}, "b": {"c"}}) == ["a", "b", "c"]


def test_topological_order_with_cycle_raises_naming_it():
    with pytest.raises(ValueError, match="a -> b -> a"):
        graph.topological_order({"a": {"b"}, "b": {"a"}})


def test_descendants_follow_the_graph_transitively():
    assert graph.descendants({"a": {"b"}, "b": {"c"}, "c": set(), "x": {"c"}}, ["a"]) == {"b", "c"}


def test_decide_all_propagates_upstream_failed_down_a_chain():
    upstream = {"a": set(), "b": {"a"}, "c": {"b"}, "cleanup": {"c"}}
    rules = {"a": "all_success", "b": "all_success", "c": "all_success", "cleanup": "all_done"}
    changes = graph.decide_all(states={"a": F, "b": N, "c": N, "cleanup": N}, upstream=upstream, rules=rules)
    assert changes == {"b": Decision.UPSTREAM_FAILED, "c": Decision.UPSTREAM_FAILED, "cleanup": Decision.RUN}


def test_decide_all_schedules_only_ready_roots():
    upstream = {"a": set(), "b": set(), "c": {"a", "b"}}
    rules = dict.fromkeys(upstream, "all_success")
    changes = graph.decide_all(states={"a": N, "b": S, "c": N}, upstream=upstream, rules=rules)
    assert changes == {"a": Decision.RUN}
