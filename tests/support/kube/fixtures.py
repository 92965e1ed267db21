"""pytest fixtures for tests against the Kubernetes test cluster.

Import them from a ``conftest.py``::

    from tests.support.kube.fixtures import *  # noqa: F403

Fixtures:

``kube_cluster`` (session)
    A :class:`~tests.support.kube.cluster.Cluster`: the one already running in
    the state dir (``python -m tests.support.kube.cluster start``), else one
    started for the session when the apiserver binary is cached, else the test
    is skipped with the command that builds it -- or fails when ``CI=true``.
    ``WICN_KUBE_KUBECONFIG=<path>`` points the tests at another cluster
    instead (then the node-agent fixtures skip).
``kube_cluster_factory`` (function)
    ``kube_cluster_factory(watch_cache=True)`` starts a private cluster for
    this test (about 5 s), stopped afterwards: for tests that restart the
    apiserver (``cluster.restart_apiserver()``) or compact etcd
    (``cluster.compact_etcd()`` with ``watch_cache=False``).
``kube_api`` (function)
    An admin ``kubernetes.client.ApiClient`` for the cluster.
``kube_namespace`` (function)
    The name of a fresh namespace for this test (deleted afterwards; without
    a namespace controller it stays Terminating, names are never reused).
``node_agent`` (function)
    A started :class:`~tests.support.kube.node_agent.NodeAgent` serving
    ``kube_namespace`` (runs pods and Jobs there).
``node_agent_factory`` (function)
    ``node_agent_factory(**kwargs)`` starts a ``NodeAgent`` with your options
    (``env=``, ``behaviour_for=``, ``python=``, ``workdir=``, ``namespaces=``,
    default ``[kube_namespace]``); all are stopped afterwards.
``fault_proxy`` (function)
    A started :class:`~tests.support.kube.proxy.FaultProxy` in front of the
    apiserver; ``fault_proxy.kubeconfig`` reaches the cluster through it.
``worker_kubeconfig`` (function)
    Path of a kubeconfig whose identity is the ``wicn-worker`` service account
    of ``kube_namespace``, with only the Role in deploy/kubernetes/rbac/.

Helper: :func:`validate_manifest` checks an object against the newest
Kubernetes schema that ``kubernetes-validate`` ships.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from . import cluster as cluster_mod
from .node_agent import NodeAgent
from .proxy import FaultProxy

__all__ = [
    "fault_proxy",
    "kube_api",
    "kube_cluster",
    "kube_cluster_factory",
    "kube_namespace",
    "node_agent",
    "node_agent_factory",
    "require_kube_cluster",
    "validate_manifest",
    "worker_kubeconfig",
]


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_kube_cluster(watch_cache: bool = True) -> cluster_mod.Cluster:
    """The cluster for a test session, or skip (fail on CI) explaining how to get one.

    The caller owns a cluster it receives with ``_started_here`` set and
    stops it (the fixture does).
    """
    external = os.environ.get("WICN_KUBE_KUBECONFIG")
    if external:
        return cluster_mod.Cluster.from_kubeconfig(Path(external))
    running = cluster_mod.find_running_cluster()
    if running is not None and running.watch_cache == watch_cache:
        return running
    missing = cluster_mod.missing_parts()
    if missing:
        reason = (
            "Kubernetes test cluster unavailable (missing: "
            + "; ".join(missing)
            + f"). Build it once with: {cluster_mod.BUILD_COMMAND}"
        )
        if _ci():
            pytest.fail(reason + " [CI=true: not skipping]", pytrace=False)
        pytest.skip(reason)
    state_dir = Path(tempfile.mkdtemp(prefix="wicn-kube-session-"))
    try:
        started = cluster_mod.start_cluster(state_dir, watch_cache=watch_cache)
    except cluster_mod.ClusterError as exc:
        if _ci():
            pytest.fail(f"Kubernetes test cluster failed to start: {exc}", pytrace=False)
        pytest.skip(f"Kubernetes test cluster failed to start: {exc}")
    started._started_here = True  # type: ignore[attr-defined]
    return started


@pytest.fixture(scope="session")
def kube_cluster():
    cluster = require_kube_cluster()
    yield cluster
    if getattr(cluster, "_started_here", False):
        cluster.stop()
        shutil.rmtree(cluster.state_dir, ignore_errors=True)


@pytest.fixture
def kube_cluster_factory(kube_cluster, tmp_path_factory):
    if not kube_cluster.is_test_cluster:
        pytest.skip("private clusters need the loopback test cluster binaries")
    started: list[cluster_mod.Cluster] = []

    def start(watch_cache: bool = True) -> cluster_mod.Cluster:
        state_dir = tmp_path_factory.mktemp("kube-private")
        cluster = cluster_mod.start_cluster(state_dir, watch_cache=watch_cache)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def kube_api(kube_cluster):
    api_client = kube_cluster.api_client()
    yield api_client
    api_client.close()


@pytest.fixture
def kube_namespace(kube_cluster, request):
    from kubernetes import client

    api_client = kube_cluster.api_client()
    core = client.CoreV1Api(api_client)
    base = "".join(ch if ch.isalnum() else "-" for ch in request.node.name.lower())
    base = "-".join(part for part in base.split("-") if part)[:40].strip("-") or "test"
    name = f"t-{base}-{secrets.token_hex(3)}"
    core.create_namespace(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"wicn.test/namespace": "true"}},
        },
        _preload_content=False,
    )
    yield name
    try:
        core.delete_namespace(name, _preload_content=False)
    except client.ApiException:
        pass
    finally:
        api_client.close()


@pytest.fixture
def node_agent(kube_cluster, kube_namespace):
    if not kube_cluster.is_test_cluster:
        pytest.skip("the node agent only runs against the loopback test cluster")
    api_client = kube_cluster.api_client()
    agent = NodeAgent(api_client, namespaces=[kube_namespace])
    agent.start()
    yield agent
    agent.stop()
    api_client.close()


@pytest.fixture
def node_agent_factory(kube_cluster, kube_namespace):
    if not kube_cluster.is_test_cluster:
        pytest.skip("the node agent only runs against the loopback test cluster")
    agents: list[NodeAgent] = []

    def start(**kwargs) -> NodeAgent:
        kwargs.setdefault("namespaces", [kube_namespace])
        agent = NodeAgent(kube_cluster.api_client(), **kwargs)
        agents.append(agent)
        return agent.start()

    yield start
    for agent in agents:
        agent.stop()
        agent.api_client.close()


@pytest.fixture
def fault_proxy(kube_cluster, tmp_path):
    with FaultProxy(kube_cluster.server, ca_path=kube_cluster.ca_path) as proxy:
        proxy.kubeconfig = proxy.write_kubeconfig(
            tmp_path / "kubeconfig-via-proxy",  # type: ignore[attr-defined]
            token=kube_cluster.token,
        )
        yield proxy


@pytest.fixture
def worker_kubeconfig(kube_cluster, kube_namespace, tmp_path) -> Path:
    from .rbac import worker_kubeconfig as make

    return make(kube_cluster, kube_namespace, tmp_path / "kubeconfig-worker")


def _plain(obj):
    """A JSON-ready dict (camelCase keys) from a dict or a client model object."""
    if isinstance(obj, dict):
        return obj
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(obj)


def validate_manifest(obj, version: str | None = None) -> None:
    """Assert ``obj`` is valid for the newest Kubernetes schema (strict: no unknown fields)."""
    import kubernetes_validate

    data = _plain(obj)
    version = version or kubernetes_validate.latest_version()
    try:
        kubernetes_validate.validate(data, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or getattr(exc, "path", []))
        name = (data.get("metadata") or {}).get("name") or (data.get("metadata") or {}).get("generateName")
        raise AssertionError(
            f"{data.get('kind')} {name!r} is not valid for Kubernetes {version}: "
            f"{getattr(exc, 'message', exc)} (at {where or '/'})"
        ) from None
