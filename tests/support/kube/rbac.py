"""The worker's RBAC (from ``deploy/kubernetes/rbac/``) applied to a test namespace.

The Role lives in one place, ``deploy/kubernetes/rbac/worker-role.yaml``;
this module reads the folder's kustomization, applies the ServiceAccount,
Role and RoleBinding to a namespace, and mints a real service-account token
with the TokenRequest API so that a test can act with exactly those rights.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .cluster import Cluster, write_kubeconfig

REPO_ROOT = Path(__file__).resolve().parents[3]
RBAC_DIR = REPO_ROOT / "deploy" / "kubernetes" / "rbac"
SERVICE_ACCOUNT = "wicn-worker"


def load_manifests(directory: Path = RBAC_DIR) -> list[dict]:
    """The objects of the RBAC folder, in its kustomization's order."""
    kustomization = directory / "kustomization.yaml"
    if kustomization.exists():
        files = [directory / name for name in yaml.safe_load(kustomization.read_text())["resources"]]
    else:
        files = sorted(directory.glob("*.yaml"))
    objects = []
    for path in files:
        objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return objects


def worker_role(directory: Path = RBAC_DIR) -> dict:
    """The worker Role as a dict."""
    return next(o for o in load_manifests(directory) if o["kind"] == "Role")


def _in_namespace(obj: dict, namespace: str) -> dict:
    obj = json.loads(json.dumps(obj))
    obj.setdefault("metadata", {})["namespace"] = namespace
    for subject in obj.get("subjects") or []:
        if subject.get("kind") == "ServiceAccount":
            subject["namespace"] = namespace
    return obj


def apply_worker_rbac(api_client, namespace: str, directory: Path = RBAC_DIR) -> list[dict]:
    """Create (or replace) the folder's objects in ``namespace``; returns them."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    methods = {
        "ServiceAccount": (core.create_namespaced_service_account, core.replace_namespaced_service_account),
        "Role": (rbac.create_namespaced_role, rbac.replace_namespaced_role),
        "RoleBinding": (rbac.create_namespaced_role_binding, rbac.replace_namespaced_role_binding),
    }
    applied = []
    for manifest in load_manifests(directory):
        obj = _in_namespace(manifest, namespace)
        create, replace = methods[obj["kind"]]
        try:
            create(namespace, obj, _preload_content=False)
        except client.ApiException as exc:
            if exc.status != 409:
                raise
            replace(obj["metadata"]["name"], namespace, obj, _preload_content=False)
        applied.append(obj)
    return applied


def mint_token(
    api_client,
    namespace: str,
    service_account: str = SERVICE_ACCOUNT,
    *,
    expiration_seconds: int = 3600,
    audiences: list[str] | None = None,
) -> str:
    """A real, signed service-account token from the TokenRequest API."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    spec: dict = {"expirationSeconds": expiration_seconds}
    if audiences:
        spec["audiences"] = audiences
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    resp = core.create_namespaced_service_account_token(service_account, namespace, body, _preload_content=False)
    return json.loads(resp.data)["status"]["token"]


def worker_kubeconfig(cluster: Cluster, namespace: str, path: Path) -> Path:
    """Apply the worker RBAC to ``namespace`` and write a kubeconfig for its token."""
    api_client = cluster.api_client()
    try:
        apply_worker_rbac(api_client, namespace)
        token = mint_token(api_client, namespace)
    finally:
        api_client.close()
    return write_kubeconfig(
        Path(path),
        cluster.server,
        token=token,
        ca_path=cluster.ca_path,
        user=f"system:serviceaccount:{namespace}:{SERVICE_ACCOUNT}",
        namespace=namespace,
        context="wicn-worker",
    )
