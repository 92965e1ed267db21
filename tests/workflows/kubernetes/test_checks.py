"""System checks of the Kubernetes executor's settings."""

from __future__ import annotations

import pytest
from django.core import checks

from workflows.kubernetes.checks import check_kubernetes_executor


@pytest.fixture
def kube_configured(settings, tmp_path):
    settings.WORKFLOWS_EXECUTORS = ["local", "kubernetes"]
    settings.WORKFLOWS_KUBERNETES_NAMESPACE = "wicn"
    settings.WORKFLOWS_KUBERNETES_CONFIG_FILE = ""
    return settings


def _ids(messages):
    return [(m.id, m.msg) for m in messages]


def test_checks_are_silent_when_the_kubernetes_executor_is_not_configured(settings):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    settings.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = "/nowhere.yaml"

    assert check_kubernetes_executor() == []


def test_checks_pass_for_the_shipped_template(kube_configured):
    assert check_kubernetes_executor() == []


def test_checks_are_registered_with_django(kube_configured):
    kube_configured.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = "/nowhere.yaml"

    assert "workflows.E101" in [m.id for m in checks.run_checks()]


def test_unreadable_template_is_e101(kube_configured, tmp_path):
    kube_configured.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = str(tmp_path / "missing.yaml")

    (message,) = check_kubernetes_executor()

    assert message.id == "workflows.E101"
    assert "cannot read the pod template" in message.msg
    assert "deploy/kubernetes/base/pod-template.yaml" in message.hint


def test_template_without_base_container_is_e101(kube_configured, tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: main\n      image: x\n")
    kube_configured.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = str(path)

    assert _ids(check_kubernetes_executor()) == [
        ("workflows.E101", f"the pod template {path} needs a container named 'base'")
    ]


@pytest.mark.parametrize(
    ("hook", "problem"),
    [
        ("tests.workflows.kubernetes.hooks.no_such_hook", "cannot be imported"),
        ("tests.workflows.kubernetes.hooks.SCRIPT_ANNOTATION", "is not callable"),
    ],
)
def test_unusable_mutation_hook_is_e102(kube_configured, hook, problem):
    kube_configured.WORKFLOWS_KUBERNETES_POD_MUTATION_HOOK = hook

    (message,) = check_kubernetes_executor()

    assert message.id == "workflows.E102"
    assert problem in message.msg


def test_unknown_delete_policy_is_e103_and_bad_numbers_are_e105(kube_configured):
    kube_configured.WORKFLOWS_KUBERNETES_DELETE_POLICY = "keep_some"
    kube_configured.WORKFLOWS_KUBERNETES_PARALLELISM = 0

    assert [m.id for m in check_kubernetes_executor()] == ["workflows.E103", "workflows.E105"]


def test_missing_kubeconfig_is_e104(kube_configured, tmp_path):
    kube_configured.WORKFLOWS_KUBERNETES_CONFIG_FILE = str(tmp_path / "kubeconfig")

    assert [m.id for m in check_kubernetes_executor()] == ["workflows.E104"]
