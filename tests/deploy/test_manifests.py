"""The Kubernetes base (`deploy/kubernetes/base`) and the production overlay as kustomize renders
them: every object valid for the newest Kubernetes versions, every container bounded and
unprivileged, no secret committed, and the worker pod template shipped byte for byte as the
executor reads it."""

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from tests.support.services import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "kubernetes" / "base"


PRODUCTION = ROOT / "deploy" / "kubernetes" / "overlays" / "production"


def render(folder: Path) -> list[dict]:
    if not shutil.which("kubectl"):
        skip_or_fail("kubectl (with kustomize) is not installed")
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return render(BASE)


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render(PRODUCTION)


def _pod_specs(objects: list[dict]) -> dict[str, dict]:
    specs = {}
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            specs[f"{obj['kind']}/{obj['metadata']['name']}"] = obj["spec"]["template"]["spec"]
    return specs


def _newest_versions(count: int = 3) -> list[str]:
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    minors: dict[tuple[int, ...], str] = {}
    for version in sorted(kubernetes_validate.utils.all_versions(), key=key):
        minors[key(version)[:2]] = version
    return [minors[minor] for minor in sorted(minors)[-count:]]


def test_every_object_is_valid_for_the_three_newest_kubernetes_versions(objects, production):
    for version in _newest_versions():
        for obj in objects + production:
            kubernetes_validate.validate(obj, version, strict=True)


def test_production_runs_the_registry_s_image_in_its_own_namespace_behind_tls(production):
    images = {
        container["image"]
        for spec in _pod_specs(production).values()
        for container in spec.get("initContainers", []) + spec["containers"]
    }
    settings = next(obj for obj in production if obj["kind"] == "ConfigMap" and "settings" in obj["metadata"]["name"])
    ingress = next(obj for obj in production if obj["kind"] == "Ingress")
    binding = next(obj for obj in production if obj["kind"] == "RoleBinding")

    assert images == {"registry.example.org/wicn:1.0.0"}
    assert settings["data"]["WORKER_IMAGE"] == "registry.example.org/wicn:1.0.0"
    assert {obj["metadata"].get("namespace") for obj in production if obj["kind"] != "Namespace"} == {"wicn"}
    assert binding["subjects"][0]["namespace"] == "wicn"
    assert ingress["spec"]["tls"] == [{"hosts": ["community.example.org"], "secretName": "wicn-tls"}]
    assert not [obj for obj in production if obj["kind"] == "Secret"]


def test_the_base_holds_the_platform_s_parts(objects):
    names = sorted(f"{obj['kind']}/{obj['metadata']['name']}" for obj in objects if obj["kind"] != "ConfigMap")

    assert names == [
        "Deployment/wicn-celery",
        "Deployment/wicn-scheduler",
        "Deployment/wicn-web",
        "HorizontalPodAutoscaler/wicn-celery",
        "Ingress/wicn-web",
        "Job/wicn-migrate",
        "NetworkPolicy/wicn-task-pods",
        "PodDisruptionBudget/wicn-celery",
        "PodDisruptionBudget/wicn-scheduler",
        "PodDisruptionBudget/wicn-web",
        "Role/wicn-worker",
        "RoleBinding/wicn-worker",
        "Service/wicn-web",
        "ServiceAccount/wicn-celery",
        "ServiceAccount/wicn-task",
        "ServiceAccount/wicn-web",
        "ServiceAccount/wicn-worker",
    ]
    assert not [obj for obj in objects if obj["kind"] == "Secret"]


def test_every_container_has_requests_limits_and_runs_unprivileged(objects):
    for where, spec in _pod_specs(objects).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            label = f"{where} {container['name']}"
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), label
            assert "memory" in resources["limits"], label
            context = container["securityContext"]
            assert (context["allowPrivilegeEscalation"], context["readOnlyRootFilesystem"]) == (False, True), label
            assert context["capabilities"]["drop"] == ["ALL"], label
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], label


def test_only_the_scheduler_gets_a_kubernetes_token(objects):
    tokens = {where: spec.get("automountServiceAccountToken") for where, spec in _pod_specs(objects).items()}
    accounts = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "ServiceAccount"}

    assert {where for where, mounted in tokens.items() if mounted} == {"Deployment/wicn-scheduler"}
    assert _pod_specs(objects)["Deployment/wicn-scheduler"]["serviceAccountName"] == "wicn-worker"
    assert all(account.get("automountServiceAccountToken") is False for account in accounts.values())
    binding = next(obj for obj in objects if obj["kind"] == "RoleBinding")
    assert [subject["name"] for subject in binding["subjects"]] == ["wicn-worker"]
    pod_template = yaml.safe_load((BASE / "pod-template.yaml").read_text())
    assert pod_template["spec"]["serviceAccountName"] == "wicn-task"


def test_web_is_probed_on_readyz_and_healthz_and_waits_for_the_migrations(objects):
    spec = _pod_specs(objects)["Deployment/wicn-web"]
    (web,) = spec["containers"]

    assert (web["readinessProbe"]["httpGet"]["path"], web["livenessProbe"]["httpGet"]["path"]) == (
        "/readyz",
        "/healthz",
    )
    assert "migrate --check" in " ".join(spec["initContainers"][0]["command"])


def test_the_worker_pod_template_is_shipped_byte_for_byte_where_the_scheduler_reads_it(objects):
    (config,) = [obj for obj in objects if obj["kind"] == "ConfigMap" and "pod-template" in obj["metadata"]["name"]]
    settings = next(obj for obj in objects if obj["kind"] == "ConfigMap" and "settings" in obj["metadata"]["name"])
    scheduler = _pod_specs(objects)["Deployment/wicn-scheduler"]
    (mount,) = [m for m in scheduler["containers"][0]["volumeMounts"] if m["name"] == "pod-template"]
    (volume,) = [v for v in scheduler["volumes"] if v["name"] == "pod-template"]

    assert config["data"]["pod-template.yaml"] == (BASE / "pod-template.yaml").read_text()
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    assert settings["data"]["POD_TEMPLATE_FILE"] == f"{mount['mountPath']}/pod-template.yaml"
