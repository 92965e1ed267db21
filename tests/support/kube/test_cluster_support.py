"""The Kubernetes test cluster support itself, against the real apiserver."""

from __future__ import annotations

import json
import threading
import time

import pytest

from .fixtures import validate_manifest
from .waiting import wait_for, wait_for_pod

pytestmark = [pytest.mark.kube]


def _pod(name: str, code: str, *, annotations: dict | None = None, env: list | None = None) -> dict:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "base", "image": "wicn-worker:test", "command": ["python", "-c", code], "env": env or []}
            ],
        },
    }
    validate_manifest(pod)
    return pod


def _core(api_client):
    from kubernetes import client

    return client.CoreV1Api(api_client)


def _terminated(pod) -> dict:
    return pod.status.container_statuses[0].state.terminated


def test_pod_runs_on_node_agent_and_its_log_is_read_through_apiserver(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    env = [
        {"name": "GREETING", "value": "hi"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    core.create_namespaced_pod(
        kube_namespace, _pod("hello", "import os; print(os.environ['GREETING'], os.environ['POD_NAME'])", env=env)
    )

    pod = wait_for_pod(core, kube_namespace, "hello", phases={"Succeeded", "Failed"})

    assert pod.status.phase == "Succeeded"
    assert pod.spec.node_name == node_agent.node_name
    term = _terminated(pod)
    assert (term.exit_code, term.reason) == (0, "Completed")
    assert term.started_at is not None
    assert term.finished_at is not None
    assert core.read_namespaced_pod_log("hello", kube_namespace, container="base") == "hi hello\n"


def test_log_options_tail_and_timestamps_reach_the_node_agent(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    core.create_namespaced_pod(kube_namespace, _pod("lines", "for i in range(5): print('line', i)"))
    wait_for_pod(core, kube_namespace, "lines", phases={"Succeeded"})

    tail = core.read_namespaced_pod_log("lines", kube_namespace, tail_lines=2)
    stamped = core.read_namespaced_pod_log("lines", kube_namespace, tail_lines=1, timestamps=True)

    assert tail == "line 3\nline 4\n"
    stamp, _, text = stamped.partition(" ")
    assert text == "line 4\n"
    assert stamp.endswith("Z")


def test_follow_streams_log_until_container_exits(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    code = "import time\nfor i in range(3):\n    print('tick', i, flush=True); time.sleep(0.3)"
    core.create_namespaced_pod(kube_namespace, _pod("ticker", code))
    wait_for_pod(core, kube_namespace, "ticker", phases={"Running", "Succeeded"})

    resp = core.read_namespaced_pod_log("ticker", kube_namespace, follow=True, _preload_content=False)

    assert resp.data.decode() == "tick 0\ntick 1\ntick 2\n"


def test_failing_command_reports_error_and_exit_code(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    core.create_namespaced_pod(kube_namespace, _pod("boom", "import sys; print('bad'); sys.exit(3)"))

    pod = wait_for_pod(core, kube_namespace, "boom", phases={"Succeeded", "Failed"})

    assert pod.status.phase == "Failed"
    assert (_terminated(pod).exit_code, _terminated(pod).reason) == (3, "Error")


def test_oomkilled_behaviour_reports_reason_and_exit_code_137(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    core.create_namespaced_pod(
        kube_namespace,
        _pod(
            "greedy",
            "import time; print('allocating', flush=True); time.sleep(60)",
            annotations={"wicn.test/behaviour": "oomkilled:0.5"},
        ),
    )

    pod = wait_for_pod(core, kube_namespace, "greedy", phases={"Succeeded", "Failed"})

    assert pod.status.phase == "Failed"
    assert (_terminated(pod).exit_code, _terminated(pod).reason) == (137, "OOMKilled")
    assert core.read_namespaced_pod_log("greedy", kube_namespace) == "allocating\n"


def test_image_pull_error_behaviour_waits_with_backoff_reason(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    node_agent.set_behaviour("nopull", "image-pull-error")
    core.create_namespaced_pod(kube_namespace, _pod("nopull", "print('never')"))

    def backing_off():
        pod = core.read_namespaced_pod("nopull", kube_namespace)
        statuses = pod.status.container_statuses or []
        waiting = statuses and statuses[0].state.waiting
        return pod if waiting and waiting.reason == "ImagePullBackOff" else None

    pod = wait_for(backing_off, timeout=15, what="ImagePullBackOff")
    assert pod.status.phase == "Pending"


def test_unschedulable_and_evicted_behaviours(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    core.create_namespaced_pod(
        kube_namespace, _pod("nowhere", "print('never')", annotations={"wicn.test/behaviour": "unschedulable"})
    )
    core.create_namespaced_pod(
        kube_namespace,
        _pod("evictee", "import time; time.sleep(60)", annotations={"wicn.test/behaviour": "evicted:0.2"}),
    )

    def unschedulable():
        pod = core.read_namespaced_pod("nowhere", kube_namespace)
        conds = {c.type: c for c in pod.status.conditions or []}
        cond = conds.get("PodScheduled")
        return pod if cond and cond.reason == "Unschedulable" else None

    pod = wait_for(unschedulable, timeout=15, what="Unschedulable condition")
    evicted = wait_for_pod(core, kube_namespace, "evictee", phases={"Failed"})

    assert (pod.spec.node_name, pod.status.phase) == (None, "Pending")
    assert (evicted.status.phase, evicted.status.reason) == ("Failed", "Evicted")
    assert "low on resource" in evicted.status.message


def test_deleting_running_pod_kills_its_process(kube_api, kube_namespace, node_agent, tmp_path):
    core = _core(kube_api)
    marker = tmp_path / "still-running"
    code = f"import time, pathlib\nwhile True:\n    pathlib.Path({str(marker)!r}).touch(); time.sleep(0.1)"
    core.create_namespaced_pod(kube_namespace, _pod("sleeper", code))
    wait_for_pod(core, kube_namespace, "sleeper", phases={"Running"})
    run = node_agent.wait_for_pod_run(kube_namespace, "sleeper")
    process = run.containers[0].process

    core.delete_namespaced_pod("sleeper", kube_namespace, grace_period_seconds=5)

    def gone():
        return not any(p.metadata.name == "sleeper" for p in core.list_namespaced_pod(kube_namespace).items)

    wait_for(gone, timeout=15, what="pod deletion")
    assert process.poll() is not None


def test_job_controller_completes_and_fails_jobs(kube_api, kube_namespace, node_agent):
    from kubernetes import client

    batch = client.BatchV1Api(kube_api)

    def job(name: str, code: str, **spec) -> dict:
        body = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {
                **spec,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {"name": "main", "image": "wicn-worker:test", "command": ["python", "-c", code]}
                        ],
                    }
                },
            },
        }
        validate_manifest(body)
        return body

    batch.create_namespaced_job(kube_namespace, job("twice", "print('ok')", completions=2, parallelism=1))
    batch.create_namespaced_job(kube_namespace, job("broken", "raise SystemExit(1)", backoffLimit=1))

    def finished(name):
        def check():
            j = batch.read_namespaced_job_status(name, kube_namespace)
            conds = [c for c in j.status.conditions or [] if c.status == "True"]
            return j if conds else None

        return check

    twice = wait_for(finished("twice"), timeout=30, what="job twice finished")
    broken = wait_for(finished("broken"), timeout=30, what="job broken finished")

    assert [c.type for c in twice.status.conditions] == ["Complete"]
    assert (twice.status.succeeded, twice.status.failed, twice.status.active) == (2, None, None)
    assert [(c.type, c.reason) for c in broken.status.conditions] == [("Failed", "BackoffLimitExceeded")]
    assert broken.status.failed == 2
    pods = _core(kube_api).list_namespaced_pod(kube_namespace, label_selector="job-name=twice").items
    assert len(pods) == 2
    assert all(p.metadata.owner_references[0].name == "twice" for p in pods)


def _watch_config_maps_from(core, namespace: str, resource_version: str):
    from kubernetes import client, watch

    with pytest.raises(client.ApiException) as caught:
        for _event in watch.Watch().stream(
            core.list_namespaced_config_map, namespace, resource_version=resource_version, timeout_seconds=5
        ):
            pass
    return caught.value


def _config_maps(core, namespace: str, count: int) -> None:
    for _i in range(count):
        core.create_namespaced_config_map(namespace, {"metadata": {"generateName": "c-"}, "data": {}})


@pytest.mark.slow
def test_watch_from_before_apiserver_restart_gets_410(kube_cluster_factory):
    cluster = kube_cluster_factory()
    api = cluster.api_client()
    core = _core(api)
    old = core.list_namespaced_config_map("default").metadata.resource_version
    _config_maps(core, "default", 3)

    cluster.restart_apiserver()
    gone = _watch_config_maps_from(core, "default", old)
    api.close()

    assert gone.status == 410


@pytest.mark.slow
def test_etcd_compaction_gives_410_without_watch_cache(kube_cluster_factory):
    cluster = kube_cluster_factory(watch_cache=False)
    api = cluster.api_client()
    core = _core(api)
    old = core.list_namespaced_config_map("default").metadata.resource_version
    _config_maps(core, "default", 3)

    cluster.compact_etcd()
    gone = _watch_config_maps_from(core, "default", old)
    api.close()

    assert gone.status == 410


def test_proxy_ends_watch_with_410_after_real_events(kube_cluster, kube_api, kube_namespace, fault_proxy):
    from kubernetes import client, config

    _config_maps(_core(kube_api), kube_namespace, 2)
    fault_proxy.inject_watch_error(410, path="/configmaps", after_events=1)
    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    core = client.CoreV1Api(api)

    resp = core.list_namespaced_config_map(kube_namespace, watch=True, timeout_seconds=5, _preload_content=False)
    events = [json.loads(line) for line in resp.data.splitlines()]
    api.close()

    assert [e["type"] for e in events] == ["ADDED", "ERROR"]
    assert (events[1]["object"]["code"], events[1]["object"]["reason"]) == (410, "Expired")


def test_proxy_injects_429_with_retry_after_on_pod_creation(kube_cluster, kube_namespace, fault_proxy):
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    core = client.CoreV1Api(api)
    fault_proxy.inject(429, method="POST", path=f"/namespaces/{kube_namespace}/pods$", count=1, retry_after=2)

    with pytest.raises(client.ApiException) as caught:
        core.create_namespaced_pod(kube_namespace, _pod("later", "print(1)"))
    created = core.create_namespaced_pod(kube_namespace, _pod("later", "print(1)"))
    api.close()

    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "2"
    assert json.loads(caught.value.body)["reason"] == "TooManyRequests"
    assert created.metadata.name == "later"
    assert [s for m, _p, s in fault_proxy.requests if m == "POST"] == [429, 201]


def test_urllib3_retries_idempotent_429_with_retry_after_by_itself(kube_cluster, kube_namespace, fault_proxy):
    # The official client's urllib3 pool retries GET (not POST) on 429/503
    # carrying Retry-After, honouring the delay: callers never see that error.
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    fault_proxy.inject(429, method="GET", path=f"/namespaces/{kube_namespace}/pods$", count=1, retry_after=1)
    started = time.monotonic()

    listed = client.CoreV1Api(api).list_namespaced_pod(kube_namespace)
    api.close()

    assert listed.items == []
    assert [s for _m, _p, s in fault_proxy.requests] == [429, 200]
    assert time.monotonic() - started >= 1


def test_proxy_injects_500(kube_cluster, kube_namespace, fault_proxy):
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    fault_proxy.inject(500, path="/pods/missing$", count=1)

    with pytest.raises(client.ApiException) as caught:
        client.CoreV1Api(api).read_namespaced_pod("missing", kube_namespace)
    with pytest.raises(client.ApiException) as real:
        client.CoreV1Api(api).read_namespaced_pod("missing", kube_namespace)
    api.close()

    assert (caught.value.status, real.value.status) == (500, 404)


def test_proxy_streams_watch_events_and_drops_watches_on_demand(kube_cluster, kube_api, kube_namespace, fault_proxy):
    from kubernetes import client, config, watch

    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    core = client.CoreV1Api(api)
    seen, ended = [], threading.Event()

    def watch_config_maps():
        try:
            for event in watch.Watch().stream(core.list_namespaced_config_map, kube_namespace, timeout_seconds=30):
                seen.append(event["object"].metadata.name)
        except Exception as exc:  # noqa: BLE001 - the drop may surface as an error
            seen.append(type(exc).__name__)
        finally:
            ended.set()

    thread = threading.Thread(target=watch_config_maps, daemon=True)
    thread.start()
    fault_proxy.wait_for_watch(path="configmaps")
    _core(kube_api).create_namespaced_config_map(kube_namespace, {"metadata": {"name": "first"}})
    wait_for(lambda: "first" in seen, timeout=10, what="watch event through the proxy")
    started = time.monotonic()

    dropped = fault_proxy.drop_watches()

    assert ended.wait(10)
    assert dropped == 1
    assert seen[0] == "first"
    assert time.monotonic() - started < 10
    api.close()


def test_worker_token_may_manage_pods_but_not_read_secrets(kube_cluster, kube_namespace, worker_kubeconfig):
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(worker_kubeconfig))
    core = client.CoreV1Api(api)

    pods = core.list_namespaced_pod(kube_namespace)
    created = core.create_namespaced_pod(kube_namespace, _pod("by-worker", "print(1)"))
    with pytest.raises(client.ApiException) as secrets:
        core.list_namespaced_secret(kube_namespace)
    with pytest.raises(client.ApiException) as elsewhere:
        core.list_namespaced_pod("default")
    api.close()

    assert pods.items == []
    assert created.metadata.name == "by-worker"
    assert secrets.value.status == 403
    assert elsewhere.value.status == 403


def test_validate_manifest_rejects_unknown_fields():
    pod = _pod("ok", "print(1)")
    pod["spec"]["containers"][0]["imagePullPolcy"] = "Always"

    with pytest.raises(AssertionError, match="imagePullPolcy"):
        validate_manifest(pod)


def test_pod_from_project_template_runs_manage_py_in_repository(kube_api, kube_namespace, node_agent):
    import yaml

    from .node_agent import REPO_ROOT

    pod = yaml.safe_load((REPO_ROOT / "deploy" / "kubernetes" / "base" / "pod-template.yaml").read_text())
    pod["metadata"]["name"] = "template"
    base = pod["spec"]["containers"][0]
    base["command"] = ["python", "manage.py", "--version"]
    base["env"].append({"name": "PROBE", "value": "$(WICN_POD_NAME)-probe"})
    validate_manifest(pod)
    core = _core(kube_api)
    core.create_namespaced_pod(kube_namespace, pod)

    done = wait_for_pod(core, kube_namespace, "template", phases={"Succeeded", "Failed"})

    assert done.status.phase == "Succeeded", core.read_namespaced_pod_log("template", kube_namespace)
    assert core.read_namespaced_pod_log("template", kube_namespace).strip()[0].isdigit()


def test_many_pods_run_concurrently(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    names = [f"many-{i}" for i in range(12)]
    for name in names:
        core.create_namespaced_pod(kube_namespace, _pod(name, f"print({name!r})"))

    pods = [wait_for_pod(core, kube_namespace, name, phases={"Succeeded", "Failed"}) for name in names]

    assert {p.status.phase for p in pods} == {"Succeeded"}
    assert [core.read_namespaced_pod_log(n, kube_namespace) for n in names] == [f"{n}\n" for n in names]


def test_deleting_job_deletes_its_pods(kube_api, kube_namespace, node_agent):
    from kubernetes import client

    batch = client.BatchV1Api(kube_api)
    core = _core(kube_api)
    batch.create_namespaced_job(
        kube_namespace,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "long"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "main",
                                "image": "wicn-worker:test",
                                "command": ["python", "-c", "import time; time.sleep(60)"],
                            }
                        ],
                    }
                }
            },
        },
    )
    wait_for(
        lambda: core.list_namespaced_pod(kube_namespace, label_selector="job-name=long").items,
        timeout=15,
        what="job pod",
    )

    batch.delete_namespaced_job("long", kube_namespace, propagation_policy="Background")

    wait_for(
        lambda: not core.list_namespaced_pod(kube_namespace, label_selector="job-name=long").items,
        timeout=20,
        what="job pods deleted",
    )


def test_rbac_folder_holds_valid_service_account_role_and_binding():
    from .rbac import load_manifests

    objects = load_manifests()
    for obj in objects:
        validate_manifest(obj)

    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("ServiceAccount", "wicn-worker"),
        ("Role", "wicn-worker"),
        ("RoleBinding", "wicn-worker"),
        ("ServiceAccount", "wicn-task"),
    ]


def test_behaviours_chosen_by_callback_slow_start_stuck_pending_config_error(kube_api, kube_namespace, node_agent):
    core = _core(kube_api)
    chosen = {"slow": "slow-start:1.5", "stuck": "stuck-pending", "noconfig": "create-container-config-error"}
    node_agent.behaviour_for = lambda pod: chosen.get(pod["metadata"]["name"])
    started = time.monotonic()
    for name in chosen:
        core.create_namespaced_pod(kube_namespace, _pod(name, "print('ran')"))

    slow = wait_for_pod(core, kube_namespace, "slow", phases={"Succeeded", "Failed"})
    elapsed = time.monotonic() - started
    stuck = core.read_namespaced_pod("stuck", kube_namespace)
    noconfig = core.read_namespaced_pod("noconfig", kube_namespace)

    assert slow.status.phase == "Succeeded"
    assert elapsed >= 1.5
    assert (stuck.spec.node_name, stuck.status.phase) == (None, "Pending")
    assert noconfig.status.phase == "Pending"
    assert noconfig.status.container_statuses[0].state.waiting.reason == "CreateContainerConfigError"


def test_job_over_active_deadline_fails_and_its_pod_is_deleted(kube_api, kube_namespace, node_agent):
    from kubernetes import client

    batch = client.BatchV1Api(kube_api)
    core = _core(kube_api)
    batch.create_namespaced_job(
        kube_namespace,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "slowpoke"},
            "spec": {
                "activeDeadlineSeconds": 2,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {"name": "main", "image": "w", "command": ["python", "-c", "import time; time.sleep(60)"]}
                        ],
                    }
                },
            },
        },
    )

    def failed():
        job = batch.read_namespaced_job_status("slowpoke", kube_namespace)
        return job if job.status.conditions else None

    job = wait_for(failed, timeout=20, what="job deadline")
    wait_for(
        lambda: not core.list_namespaced_pod(kube_namespace, label_selector="job-name=slowpoke").items,
        timeout=20,
        what="deadline pod deleted",
    )

    assert [(c.type, c.reason) for c in job.status.conditions] == [("Failed", "DeadlineExceeded")]
    assert job.status.active is None


def test_node_agent_factory_gives_containers_the_chosen_environment(kube_api, kube_namespace, node_agent_factory):
    node_agent_factory(env={"DATABASE_URL": "postgres://example/test_wicn"})
    core = _core(kube_api)
    core.create_namespaced_pod(
        kube_namespace, _pod("envprobe", "import os; print(os.environ.get('DATABASE_URL'), 'HOME' in os.environ)")
    )

    wait_for_pod(core, kube_namespace, "envprobe", phases={"Succeeded"})

    assert core.read_namespaced_pod_log("envprobe", kube_namespace) == "postgres://example/test_wicn False\n"
