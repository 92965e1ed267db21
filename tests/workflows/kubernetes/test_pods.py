"""Pod building: template + pod_override + identity + mutation hook, checked against the newest schema."""

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
from kubernetes import client as k8s

from workflows.kubernetes.merge import POD_PATCH_RULES, MergeRule
from workflows.kubernetes.pods import (
    PodTemplateError,
    TryIdentity,
    build_worker_pod,
    identity_from_pod,
    label_value,
    load_pod_template,
    merge_pods,
    pod_name,
)

TEMPLATE_PATH = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes" / "base" / "pod-template.yaml"
SCHEMA_VERSION = kubernetes_validate.utils.latest_version()
IDENTITY = TryIdentity(
    dag_id="community_reminders",
    task_id="send_chat_reminders",
    run_id="scheduled__2026-11-25T09:00:00+00:00",
    task_instance_id=4211,
    try_number=2,
    scheduler_id="scheduler-a1b2",
)
COMMAND = ["python", "manage.py", "run_task", "4211", "--try", "2"]


def build(override=None, hook=None, identity=IDENTITY):
    return build_worker_pod(
        template=load_pod_template(TEMPLATE_PATH),
        identity=identity,
        namespace="wicn-jobs",
        image="registry.example.org/wicn:1.4.0",
        command=COMMAND,
        pod_override=override,
        mutation_hook=hook,
    )


def container(pod, name="base"):
    return next(c for c in pod["spec"]["containers"] if c["name"] == name)


def test_worker_pod_from_template_is_valid_against_newest_schema():
    pod = build()
    kubernetes_validate.validate(pod, SCHEMA_VERSION, strict=True)
    base = container(pod)
    assert base["image"] == "registry.example.org/wicn:1.4.0"
    assert base["command"] == COMMAND
    assert base["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["metadata"]["namespace"] == "wicn-jobs"


def test_worker_pod_carries_identity_in_labels_and_exact_values_in_annotations():
    pod = build()
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "wicn"
    assert labels["wicn/dag-id"] == "community_reminders"
    assert labels["wicn/try"] == "2"
    assert labels["wicn/scheduler-id"] == "scheduler-a1b2"
    # A run id holds ":" and "+", which labels refuse: the label is sanitised, the annotation exact.
    assert re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", labels["wicn/run-id"])
    assert pod["metadata"]["annotations"]["wicn/run-id"] == IDENTITY.run_id
    assert identity_from_pod(pod) == IDENTITY


def test_pod_name_is_a_dns_label_unique_per_try_and_stable():
    long_identity = TryIdentity(
        dag_id="A_Very_Long_DAG_Name_" * 5,
        task_id="task.with.dots_and_UNDERSCORES" * 3,
        run_id="manual__x",
        task_instance_id=987654321,
        try_number=11,
        scheduler_id="s",
    )
    name = pod_name(long_identity)
    assert len(name) <= 63
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
    assert pod_name(long_identity) == name
    next_try = TryIdentity(**{**long_identity.__dict__, "try_number": 12})
    assert pod_name(next_try) != name


def test_label_value_keeps_valid_values_and_keeps_sanitised_ones_apart():
    assert label_value("send_chat_reminders") == "send_chat_reminders"
    assert label_value("a b") != label_value("a_b")
    assert len(label_value("x" * 200)) <= 63


MERGE_CASES = [
    pytest.param(
        {"spec": {"containers": [{"name": "base", "env": [{"name": "PYTHONUNBUFFERED", "value": "0"}]}]}},
        lambda pod: (
            [e for e in container(pod)["env"] if e["name"] == "PYTHONUNBUFFERED"]
            == [{"name": "PYTHONUNBUFFERED", "value": "0"}]
            and any(e["name"] == "DJANGO_SETTINGS_MODULE" for e in container(pod)["env"])
        ),
        id="env-merged-by-name-override-wins-others-kept",
    ),
    pytest.param(
        {"spec": {"containers": [{"name": "base", "resources": {"limits": {"memory": "2Gi"}}}]}},
        lambda pod: (
            container(pod)["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "2Gi"}}
        ),
        id="resources-merged-key-by-key",
    ),
    pytest.param(
        {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "1"]}]}},
        # The API server puts a patch's entries first when they are new to the list: so does the merge.
        lambda pod: [c["name"] for c in pod["spec"]["containers"]] == ["sidecar", "base"],
        id="new-container-added-by-name-ahead-as-the-server-orders-it",
    ),
    pytest.param(
        {
            "spec": {
                "volumes": [{"name": "tmp", "configMap": {"name": "scratch"}}, {"name": "data", "emptyDir": {}}],
                "containers": [{"name": "base", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            }
        },
        lambda pod: (
            pod["spec"]["volumes"]
            == [{"name": "tmp", "configMap": {"name": "scratch"}}, {"name": "data", "emptyDir": {}}]
            and container(pod)["volumeMounts"]
            == [{"name": "data", "mountPath": "/data"}, {"name": "tmp", "mountPath": "/tmp"}]
        ),
        id="volume-source-replaced-by-name-and-mounts-added",
    ),
    pytest.param(
        {
            "spec": {
                "containers": [
                    {"name": "base", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp", "readOnly": True}]}
                ]
            }
        },
        lambda pod: container(pod)["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp", "readOnly": True}],
        id="volume-mount-merged-by-mount-path",
    ),
    pytest.param(
        {
            "metadata": {
                "labels": {"team": "mentorship", "app.kubernetes.io/component": "matcher"},
                "annotations": {"owner": "builders"},
            }
        },
        lambda pod: (
            pod["metadata"]["labels"]["team"] == "mentorship"
            and pod["metadata"]["labels"]["app.kubernetes.io/component"] == "matcher"
            and pod["metadata"]["labels"]["app.kubernetes.io/name"] == "wicn"
            and pod["metadata"]["annotations"]["owner"] == "builders"
        ),
        id="labels-and-annotations-merged-override-wins",
    ),
    pytest.param(
        {
            "spec": {
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
                "nodeSelector": {"pool": "batch"},
            }
        },
        lambda pod: (
            pod["spec"]["tolerations"]
            == [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]
            and pod["spec"]["nodeSelector"] == {"pool": "batch"}
        ),
        id="tolerations-and-node-selector",
    ),
    pytest.param(
        {
            "spec": {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                            ]
                        }
                    }
                }
            }
        },
        lambda pod: (
            pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
                "nodeSelectorTerms"
            ][0]["matchExpressions"][0]["values"]
            == ["a"]
        ),
        id="affinity",
    ),
    pytest.param(
        {"spec": {"containers": [{"name": "base", "image": "registry.example.org/wicn-ml:2.0"}]}},
        lambda pod: container(pod)["image"] == "registry.example.org/wicn-ml:2.0",
        id="override-image-wins-over-worker-image",
    ),
    pytest.param(
        {"spec": {"containers": [{"name": "base", "command": ["sh", "-c", "rm -rf /"]}]}},
        lambda pod: container(pod)["command"] == COMMAND,
        id="runner-command-cannot-be-overridden",
    ),
    pytest.param(
        {"metadata": {"name": "mine", "namespace": "elsewhere"}},
        lambda pod: pod["metadata"]["name"] == pod_name(IDENTITY) and pod["metadata"]["namespace"] == "wicn-jobs",
        id="name-and-namespace-set-by-executor",
    ),
]


@pytest.mark.parametrize(("override", "expectation"), MERGE_CASES)
def test_pod_override_merging(override, expectation):
    pod = build(override)
    assert expectation(pod)
    kubernetes_validate.validate(pod, SCHEMA_VERSION, strict=True)


def test_pod_override_as_v1pod_is_merged_like_a_dict():
    override = k8s.V1Pod(
        spec=k8s.V1PodSpec(
            containers=[
                k8s.V1Container(
                    name="base",
                    env=[k8s.V1EnvVar(name="FEATURE", value="on")],
                    resources=k8s.V1ResourceRequirements(limits={"cpu": "2"}),
                )
            ]
        )
    )
    pod = build(override)
    base = container(pod)
    assert {"name": "FEATURE", "value": "on"} in base["env"]
    assert base["resources"]["limits"] == {"memory": "512Mi", "cpu": "2"}
    kubernetes_validate.validate(pod, SCHEMA_VERSION, strict=True)


def test_mutation_hook_sees_the_merged_pod_and_may_change_it():
    seen = {}

    def hook(pod):
        seen["labels"] = dict(pod["metadata"]["labels"])
        pod["metadata"]["labels"]["cost-centre"] = "community"

    pod = build({"metadata": {"labels": {"team": "podcast"}}}, hook=hook)
    assert seen["labels"]["team"] == "podcast"
    assert pod["metadata"]["labels"]["cost-centre"] == "community"


def test_mutation_hook_returning_something_else_is_refused():
    with pytest.raises(PodTemplateError, match="returned str"):
        build(hook=lambda pod: "oops")


def test_merge_does_not_change_its_inputs():
    template = load_pod_template(TEMPLATE_PATH)
    before = repr(template)
    merge_pods(template, {"spec": {"containers": [{"name": "base", "env": [{"name": "X", "value": "1"}]}]}})
    assert repr(template) == before


def test_template_without_base_container_is_refused(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: main\n      image: x\n")
    with pytest.raises(PodTemplateError, match="needs a container named 'base'"):
        load_pod_template(path)


def test_override_of_wrong_type_is_refused():
    with pytest.raises(PodTemplateError, match="V1Pod or a dict"):
        build(override=["not", "a", "pod"])


def schema_patch_rules(version):
    """The list fields under a Pod that the official schema of `version` marks for a strategic merge."""
    schema_dir = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}-local"
    definitions = json.loads((schema_dir / "_definitions.json").read_text())["$defs"]

    def referenced(field):
        ref = field.get("$ref") or (field.get("items") or {}).get("$ref")
        return ref.rsplit("/", 1)[-1] if ref else None

    rules = {}

    def walk(name, path, seen):
        for field_name, field in definitions[name].get("properties", {}).items():
            strategies = (field.get("x-kubernetes-patch-strategy") or "").split(",")
            if "merge" in strategies:
                rules[(*path, field_name)] = MergeRule(
                    field.get("x-kubernetes-patch-merge-key"), retain_keys="retainKeys" in strategies
                )
            child = referenced(field)
            if child and child not in seen:
                walk(child, (*path, field_name), seen | {child})

    walk("io.k8s.api.core.v1.Pod", (), set())
    return {path: rule for path, rule in rules.items() if path[0] != "status"}


def test_patch_rules_are_those_the_newest_schema_declares():
    assert schema_patch_rules(SCHEMA_VERSION) == POD_PATCH_RULES


def template_with(**spec):
    template = load_pod_template(TEMPLATE_PATH)
    template["spec"].update(spec)
    return template


def test_tolerations_in_override_replace_the_templates():
    template = template_with(tolerations=[{"key": "dedicated", "operator": "Exists"}])
    merged = merge_pods(template, {"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}})
    assert merged["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_env_from_in_override_replaces_the_templates():
    merged = merge_pods(
        load_pod_template(TEMPLATE_PATH),
        {"spec": {"containers": [{"name": "base", "envFrom": [{"configMapRef": {"name": "flags"}}]}]}},
    )
    assert container(merged)["envFrom"] == [{"configMapRef": {"name": "flags"}}]


def test_topology_spread_constraints_merge_by_topology_key():
    zone = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}
    template = template_with(topologySpreadConstraints=[zone])
    merged = merge_pods(
        template,
        {"spec": {"topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 3}]}},
    )
    assert merged["spec"]["topologySpreadConstraints"] == [{**zone, "maxSkew": 3}]


def test_null_in_override_deletes_the_field():
    merged = merge_pods(
        load_pod_template(TEMPLATE_PATH),
        {"spec": {"securityContext": {"seccompProfile": None}, "containers": [{"name": "base", "resources": None}]}},
    )
    assert "seccompProfile" not in merged["spec"]["securityContext"]
    assert "resources" not in container(merged)


def test_merged_list_keeps_the_patch_order_with_template_entries_in_their_places():
    env = [{"name": name, "value": "t"} for name in ("A", "B", "C", "D")]
    template = load_pod_template(TEMPLATE_PATH)
    container(template)["env"] = env
    patch_env = [{"name": "D", "value": "p"}, {"name": "NEW", "value": "p"}, {"name": "A", "value": "p"}]
    merged = merge_pods(template, {"spec": {"containers": [{"name": "base", "env": patch_env}]}})
    assert [(e["name"], e["value"]) for e in container(merged)["env"]] == [
        ("B", "t"),
        ("C", "t"),
        ("D", "p"),
        ("NEW", "p"),
        ("A", "p"),
    ]


def test_patch_delete_directive_removes_an_entry():
    merged = merge_pods(
        load_pod_template(TEMPLATE_PATH),
        {"spec": {"containers": [{"name": "base", "env": [{"name": "PYTHONUNBUFFERED", "$patch": "delete"}]}]}},
    )
    assert "PYTHONUNBUFFERED" not in [e["name"] for e in container(merged)["env"]]


def test_unsupported_directive_is_refused_with_a_message():
    override = {"spec": {"$setElementOrder/containers": [{"name": "base"}]}}
    with pytest.raises(PodTemplateError, match=r"'\$setElementOrder/containers' at spec is not supported"):
        merge_pods(load_pod_template(TEMPLATE_PATH), override)


def test_merged_list_entry_without_its_key_is_refused():
    override = {"spec": {"containers": [{"name": "base", "env": [{"value": "1"}]}]}}
    with pytest.raises(PodTemplateError, match=r"spec.containers.env needs 'name'"):
        merge_pods(load_pod_template(TEMPLATE_PATH), override)


def test_patch_replace_directive_replaces_a_list_or_a_mapping_whole():
    merged = merge_pods(
        load_pod_template(TEMPLATE_PATH),
        {
            "spec": {
                "securityContext": {"$patch": "replace", "runAsNonRoot": True},
                "containers": [{"name": "base", "env": [{"$patch": "replace"}, {"name": "ONLY", "value": "1"}]}],
            }
        },
    )
    assert merged["spec"]["securityContext"] == {"runAsNonRoot": True}
    assert container(merged)["env"] == [{"name": "ONLY", "value": "1"}]
