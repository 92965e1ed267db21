"""PodWatcher against the real apiserver: resumes, re-lists on a real 410 Gone, never repeats itself."""

from __future__ import annotations

import threading
import time

import pytest
from kubernetes import client

from tests.support.kube.waiting import wait_for
from workflows.kubernetes.watcher import PodEvent, PodWatcher

pytestmark = [pytest.mark.kube]

SELECTOR = "app.kubernetes.io/managed-by=wicn"


def _pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "wicn"}},
        "spec": {"containers": [{"name": "base", "image": "wicn-worker:test"}]},
    }


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, event: PodEvent) -> None:
        with self.lock:
            self.events.append((event.kind, event.name))

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            taken, self.events = self.events, []
        return taken


def _watcher(core: client.CoreV1Api, namespace: str, sink: Sink) -> PodWatcher:
    return PodWatcher(api=core, namespace=namespace, label_selector=SELECTOR, sink=sink, watch_timeout_seconds=5)


def test_watcher_reports_each_change_once_across_a_short_watch_timeout(kube_api, kube_namespace):
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_pod(kube_namespace, _pod("first"))
    sink = Sink()
    watcher = _watcher(core, kube_namespace, sink)
    watcher.watch_timeout_seconds = 1
    watcher.start()
    try:
        wait_for(watcher.synced.is_set, what="first list")
        time.sleep(2.5)  # at least two watch requests end and are renewed from the last resourceVersion
        core.create_namespaced_pod(kube_namespace, _pod("second"))
        core.delete_namespaced_pod("first", kube_namespace, grace_period_seconds=0)
        wait_for(lambda: ("DELETED", "first") in sink.events, what="deletion seen")
    finally:
        watcher.stop()

    events = sink.take()
    assert watcher.stats.watches >= 3
    # The API server marks a pod for deletion (MODIFIED) before it removes it (DELETED).
    assert [e for e in events if e != ("MODIFIED", "first")] == [
        ("SYNCED", "first"),
        ("ADDED", "second"),
        ("DELETED", "first"),
    ]
    assert len(events) == len(set(events))


def test_real_410_gone_after_compaction_relists_reporting_vanished_and_new_pods_once(kube_cluster_factory):
    cluster = kube_cluster_factory(watch_cache=False)
    api = cluster.api_client()
    core = client.CoreV1Api(api)
    namespace = "gone"
    core.create_namespace({"metadata": {"name": namespace}})
    for name in ("stays", "vanishes"):
        core.create_namespaced_pod(namespace, _pod(name))
    sink = Sink()
    watcher = _watcher(core, namespace, sink)
    watcher.start()
    wait_for(watcher.synced.is_set, what="first list")
    watcher.stop()
    assert sorted(sink.take()) == [("SYNCED", "stays"), ("SYNCED", "vanishes")]

    # While the watcher is away the pods change and etcd forgets the history it would resume from.
    core.delete_namespaced_pod("vanishes", namespace, grace_period_seconds=0)
    core.create_namespaced_pod(namespace, _pod("new"))
    cluster.compact_etcd()
    watcher.start()
    try:
        wait_for(lambda: watcher.stats.expired >= 1 and watcher.stats.lists >= 2, what="410 Gone and a new list")
        core.create_namespaced_pod(namespace, _pod("after"))
        wait_for(lambda: ("ADDED", "after") in sink.events, what="watch resumed after the list")
    finally:
        watcher.stop()
        api.close()

    assert sink.take() == [("DELETED", "vanishes"), ("SYNCED", "new"), ("ADDED", "after")]
