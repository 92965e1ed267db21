"""The Kubernetes executor: one pod per task try, watched, never polled.

A try becomes a pod built from the pod template, the task's `executor_config["pod_override"]`, its
identity labels and the runner's command, and the pod mutation hook (workflows.kubernetes.pods).
The scheduler loop never waits on the API server:

- `queue()` builds the pod and hands it to a launcher thread that creates pods in concurrent
  batches (workflows.kubernetes.launcher): 409 adopts the existing pod of the same try, 400/422/403
  fail the try with the API server's message, 429/5xx/network errors are retried with backoff and,
  when that runs out, retried again later, never using up a task retry.
- One watch per namespace (workflows.kubernetes.watcher), selecting this scheduler's pods by label,
  feeds pod statuses; it resumes after dropped connections, re-lists on 410 Gone and every
  WORKFLOWS_KUBERNETES_RESYNC_INTERVAL, and is restarted (and the restart logged) if its thread ever dies.
- `sync()` turns statuses into events (workflows.kubernetes.outcomes): Succeeded, Failed with the
  reason named (exit code, OOMKilled, Evicted, DeadlineExceeded), or stuck Pending (pending timeout,
  image pull and scheduling errors after a short grace) which deletes the pod. Before a finished pod
  is deleted, its log is copied into the try's log; a finisher thread does the log read and the
  delete. Each try costs the API server about three requests: create, log, delete.

When a scheduler starts, its executor deletes finished pods of schedulers that are gone (copying a
log no one copied), and `adopt()` re-labels the pods of orphaned tries to itself instead of
launching them again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from workflows.executors.base import (
    BaseExecutor,
    Event,
    Orphan,
    TryFinished,
    TryHandedBack,
    TryLog,
    TryRunning,
    Workload,
)
from workflows.kubernetes import records
from workflows.kubernetes.client import ApiCallCounter, CountingApiClient, make_api_client, raw, raw_call, raw_json
from workflows.kubernetes.conf import DeletePolicy, kubernetes_settings
from workflows.kubernetes.launcher import ADOPTED, CREATED, FORBIDDEN, RETRY_LATER, LaunchResult, PodLauncher
from workflows.kubernetes.outcomes import PodOutcome, PodProgress, pod_outcome
from workflows.kubernetes.pods import (
    BASE_CONTAINER,
    MANAGED_BY_LABEL,
    MutationHook,
    PodDict,
    TryIdentity,
    build_worker_pod,
    identity_from_pod,
    label_prefix,
    label_value,
    load_pod_template,
    managed_by,
)
from workflows.kubernetes.watcher import PodEvent, PodWatcher

logger = logging.getLogger(__name__)

TryKey = tuple[int, int]
#: How often pods that get no events (stuck Pending) are looked at again for their timeouts.
TIMEOUT_CHECK_SECONDS = 1.0
#: Bounds how long a retried creation waits before it is tried again after RETRY_LATER.
RELAUNCH_DELAY_SECONDS = 5.0
#: Threads reading logs and deleting finished pods.
FINISHER_THREADS = 4


def scheduler_label() -> str:
    """The label that names the scheduler a pod belongs to."""
    return f"{label_prefix()}scheduler-id"


def pod_log_header(pod_name: str) -> str:
    """The line that starts a pod's log copied into a try's log (also how a copy is recognised)."""
    return f"----- log of pod {pod_name}, container {BASE_CONTAINER} -----"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Tracked:
    """One try's pod, from queue() (or adoption) until the executor is done with it."""

    key: TryKey
    pod_name: str
    #: The pod as built, kept to create it again after RETRY_LATER; None for adopted pods.
    manifest: PodDict | None = None
    launched: bool = False
    finishing: bool = False
    #: Set by cancel() before the pod was created: it is deleted as soon as it exists.
    cancelled: str = ""
    #: The pod as last seen by the watch (or the adoption list).
    pod: dict[str, Any] | None = None


class KubernetesExecutor(BaseExecutor):
    #: Pods outlive the scheduler that launched them: a new scheduler re-labels and keeps watching them.
    supports_adoption = True

    def __init__(self, *, api_client: CountingApiClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Every API request this executor made, by (verb, resource).
        self.api_calls = api_client.counter if api_client is not None else ApiCallCounter()
        self._given_client = api_client
        self.api_client: CountingApiClient | None = None
        self.core: CoreV1Api | None = None
        self.namespace = ""
        #: The value of the <instance name>/scheduler-id label on this executor's pods.
        self.scheduler_label = label_value(
            str(self.scheduler_id) if self.scheduler_id is not None else f"pid{os.getpid()}-{secrets.token_hex(3)}"
        )
        self.template: PodDict = {}
        self.mutation_hook: MutationHook | None = None
        self.watcher: PodWatcher | None = None
        #: How many times a dead watcher thread was replaced.
        self.watcher_restarts = 0
        self.launcher: PodLauncher | None = None
        # Touched only by the scheduler's thread (queue, sync, adopt, cancel, end):
        self._tracked: dict[TryKey, _Tracked] = {}
        self._by_name: dict[str, TryKey] = {}
        self._relaunch: list[tuple[float, TryKey]] = []
        self._finishing: dict[Future[list[Event]], tuple[TryKey | None, float]] = {}
        #: Seconds from a pod seen ended (or cancelled) to its outcome reported, for the last tries.
        self.finish_latencies: deque[float] = deque(maxlen=10_000)
        self._done_names: set[str] = set()
        self._last_timeout_check = 0.0
        self._ending = False
        # Handed between threads:
        self._to_launch: queue.Queue[tuple[TryKey, PodDict] | None] = queue.Queue()
        self._launched: queue.SimpleQueue[LaunchResult] = queue.SimpleQueue()
        self._pod_events: queue.SimpleQueue[PodEvent] = queue.SimpleQueue()
        self._cancelled_names: set[str] = set()
        self._cancel_lock = threading.Lock()
        self._finishers: ThreadPoolExecutor | None = None
        self._launch_thread: threading.Thread | None = None
        self._startup_pods: list[dict[str, Any]] | None = None

    # configuration and start ---------------------------------------------------------------------

    @property
    def queued_timeout(self) -> float | None:
        return kubernetes_settings.QUEUED_TIMEOUT

    def start(self) -> None:
        settings = kubernetes_settings
        self.namespace = settings.NAMESPACE
        if not self.namespace:
            raise ImproperlyConfigured(
                "the kubernetes executor needs WORKFLOWS_KUBERNETES_NAMESPACE (see workflows.E001)"
            )
        self.template = load_pod_template(settings.POD_TEMPLATE_FILE)
        hook_path = settings.POD_MUTATION_HOOK
        self.mutation_hook = import_string(hook_path) if hook_path else None
        batch = settings.POD_CREATION_BATCH_SIZE
        self.api_client = self._given_client or make_api_client(
            counter=self.api_calls,
            config_file=settings.CONFIG_FILE,
            context=settings.CONTEXT,
            pool_size=batch + FINISHER_THREADS + 4,
        )
        self.core = CoreV1Api(self.api_client)
        self.launcher = PodLauncher(api=self.core, namespace=self.namespace, batch_size=batch)
        self._finishers = ThreadPoolExecutor(max_workers=FINISHER_THREADS, thread_name_prefix="pod-finisher")
        self._launch_thread = threading.Thread(target=self._launch_loop, name="pod-launcher-loop", daemon=True)
        self._launch_thread.start()
        self._clean_up_after_gone_schedulers()
        self._start_watcher()
        logger.info(
            "kubernetes executor %s: namespace %s, pods labelled %s=%s",
            self.name,
            self.namespace,
            scheduler_label(),
            self.scheduler_label,
        )

    def _start_watcher(self) -> None:
        assert self.core is not None
        selector = f"{MANAGED_BY_LABEL}={managed_by()},{scheduler_label()}={self.scheduler_label}"
        self.watcher = PodWatcher(
            api=self.core,
            namespace=self.namespace,
            label_selector=selector,
            sink=self._on_pod_event,
            resync_seconds=kubernetes_settings.RESYNC_INTERVAL,
            watch_timeout_seconds=kubernetes_settings.WATCH_TIMEOUT,
        )
        self.watcher.start()

    def _on_pod_event(self, event: PodEvent) -> None:
        # Called in the watcher's thread: hand over and wake the scheduler.
        self._pod_events.put(event)
        self.wake()

    def idle(self) -> bool:
        """Whether no pod is being launched, watched or finished (nothing is left to report)."""
        return not self._tracked and not self._finishing

    def slots_available(self) -> int | None:
        return max(kubernetes_settings.PARALLELISM - len(self._tracked), 0)

    # queueing and launching ---------------------------------------------------------------------

    def queue(self, workload: Workload) -> None:
        if self._ending:
            raise RuntimeError("the kubernetes executor is shutting down")
        identity = TryIdentity(
            dag_id=workload.dag_id,
            task_id=workload.task_id,
            run_id=workload.run_id,
            task_instance_id=workload.task_instance_id,
            try_number=workload.try_number,
            scheduler_id=self.scheduler_label,
        )
        # A bad pod_override or a failing hook raises here, and the scheduler fails the try with it.
        pod = build_worker_pod(
            template=self.template,
            identity=identity,
            namespace=self.namespace,
            image=kubernetes_settings.WORKER_IMAGE,
            command=workload.command,
            pod_override=workload.executor_config.get("pod_override"),
            mutation_hook=self.mutation_hook,
        )
        self._track(_Tracked(key=workload.key, pod_name=pod["metadata"]["name"], manifest=pod))
        self._to_launch.put((workload.key, pod))

    def _track(self, tracked: _Tracked) -> None:
        self._tracked[tracked.key] = tracked
        self._by_name[tracked.pod_name] = tracked.key

    def _untrack(self, key: TryKey) -> None:
        tracked = self._tracked.pop(key, None)
        if tracked is not None:
            self._by_name.pop(tracked.pod_name, None)

    def _launch_loop(self) -> None:
        """Create queued pods in concurrent batches; results go back to sync() through a queue."""
        assert self.launcher is not None
        batch_size = self.launcher.batch_size
        stop = False
        while not stop:
            item = self._to_launch.get()
            if item is None:
                return
            batch: list[tuple[Hashable, PodDict]] = [item]
            while len(batch) < batch_size:
                try:
                    more = self._to_launch.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            with self._cancel_lock:
                batch = [(key, pod) for key, pod in batch if pod["metadata"]["name"] not in self._cancelled_names]
            try:
                results = self.launcher.launch(batch)
            except Exception as exc:  # the loop must outlive any error; the pods are retried
                logger.exception("launching %d pod(s) failed", len(batch))
                reason = f"{type(exc).__name__}: {exc}"
                results = [LaunchResult(key, pod["metadata"]["name"], RETRY_LATER, reason) for key, pod in batch]
            for result in results:
                self._launched.put(result)
            self.wake()

    def _apply_launch_results(self, events: list[Event]) -> None:
        while True:
            try:
                result = self._launched.get_nowait()
            except queue.Empty:
                return
            key: TryKey = result.key  # type: ignore[assignment]
            tracked = self._tracked.get(key)
            if tracked is None or tracked.pod_name != result.pod_name:
                if result.launched:  # cancelled meanwhile: the pod must not run on
                    self._submit(None, self._delete_pod, result.pod_name)
                continue
            if result.status in {CREATED, ADOPTED}:
                tracked.launched = True
                events.append(TryRunning(key[0], key[1], external_id=result.pod_name))
                if result.status == ADOPTED:
                    # The pod of this very try exists (an earlier create whose answer was lost, or a
                    # scheduler that died): make it this scheduler's, so that the watch sees it.
                    logger.info("pod %s exists already; adopting it", result.pod_name)
                    self._submit(None, self._relabel, result.pod_name)
                if tracked.cancelled:
                    self._finish(tracked, PodOutcome(PodProgress.FAILED, tracked.cancelled))
                elif tracked.pod is not None:
                    self._evaluate(tracked, _now())
            elif result.status == RETRY_LATER:
                self._relaunch.append((time.monotonic() + RELAUNCH_DELAY_SECONDS, key))
            else:
                refused = "not allowed to create" if result.status == FORBIDDEN else "the API server refused"
                self._untrack(key)
                events.append(
                    TryFinished(key[0], key[1], "failed", reason=f"{refused} pod {result.pod_name}: {result.message}")
                )

    def _submit_relaunches(self) -> None:
        if not self._relaunch or self._ending:
            return
        now = time.monotonic()
        due = [key for when, key in self._relaunch if when <= now]
        self._relaunch = [(when, key) for when, key in self._relaunch if when > now]
        for key in due:
            tracked = self._tracked.get(key)
            if tracked is not None and tracked.manifest is not None and not tracked.launched:
                self._to_launch.put((key, tracked.manifest))

    # events -------------------------------------------------------------------------------------

    def sync(self) -> list[Event]:
        events: list[Event] = []
        self._keep_watcher_alive()
        self._apply_launch_results(events)
        self._apply_pod_events()
        if time.monotonic() - self._last_timeout_check >= TIMEOUT_CHECK_SECONDS:
            self._last_timeout_check = time.monotonic()
            now = _now()
            for tracked in list(self._tracked.values()):
                self._evaluate(tracked, now)
        self._submit_relaunches()
        self._collect_finished(events)
        return events

    def _keep_watcher_alive(self) -> None:
        if self._ending or self.watcher is None or self.watcher.is_alive():
            return
        self.watcher_restarts += 1
        logger.error(
            "the pod watcher of namespace %s died; starting a new one (restart %d)",
            self.namespace,
            self.watcher_restarts,
        )
        self._start_watcher()

    def _apply_pod_events(self) -> None:
        now = _now()
        while True:
            try:
                event = self._pod_events.get_nowait()
            except queue.Empty:
                return
            name = event.name
            key = self._by_name.get(name)
            tracked = self._tracked.get(key) if key is not None else None
            if tracked is None:
                if event.kind == "DELETED":
                    self._done_names.discard(name)
                elif name not in self._done_names:
                    logger.debug("pod %s is labelled for this scheduler but not tracked; ignored", name)
                continue
            if event.kind == "DELETED":
                self._on_deleted(tracked, event.pod)
                continue
            tracked.pod = event.pod
            self._evaluate(tracked, now)

    def _on_deleted(self, tracked: _Tracked, pod: dict[str, Any]) -> None:
        if tracked.finishing or not tracked.launched:
            return
        last = tracked.pod or pod
        outcome = pod_outcome(last, now=_now(), pending_timeout=timedelta.max, fatal_wait_grace=timedelta.max)
        if outcome.progress in {PodProgress.SUCCEEDED, PodProgress.FAILED}:
            self._finish(tracked, outcome, pod_exists=False)
            return
        phase = (last.get("status") or {}).get("phase") or "Pending"
        reason = f"the pod {tracked.pod_name} was deleted while {phase} (by someone else, or its node went away)"
        self._finish(tracked, PodOutcome(PodProgress.FAILED, reason), pod_exists=False)

    def _evaluate(self, tracked: _Tracked, now: datetime) -> None:
        if not tracked.launched or tracked.finishing or tracked.pod is None:
            return
        outcome = pod_outcome(
            tracked.pod,
            now=now,
            pending_timeout=timedelta(seconds=kubernetes_settings.PENDING_TIMEOUT),
            fatal_wait_grace=timedelta(seconds=kubernetes_settings.FATAL_WAIT_GRACE),
        )
        if outcome.finished:
            self._finish(tracked, outcome)

    # finishing: log copy, delete, outcome ---------------------------------------------------------

    def _finish(self, tracked: _Tracked, outcome: PodOutcome, *, pod_exists: bool = True) -> None:
        tracked.finishing = True
        policy = kubernetes_settings.DELETE_POLICY
        keep = policy == DeletePolicy.KEEP_ALL or (
            policy == DeletePolicy.KEEP_FAILED and outcome.progress == PodProgress.FAILED
        )
        # A stuck pod is always deleted: left alone it might start later and hold resources for a
        # try that is already over.
        delete = pod_exists and (outcome.progress == PodProgress.STUCK or bool(tracked.cancelled) or not keep)
        read_log = pod_exists and _container_ran(tracked.pod)
        # A cancelled pod's container may have started after the last status this executor saw (the
        # watch lags); the pod itself is asked before deciding there is no log to keep.
        ask_pod = pod_exists and not read_log and bool(tracked.cancelled)
        self._submit(tracked.key, self._finish_pod, tracked.key, tracked.pod_name, outcome, read_log, delete, ask_pod)

    def _finish_pod(
        self, key: TryKey, name: str, outcome: PodOutcome, read_log: bool, delete: bool, ask_pod: bool = False
    ) -> list[Event]:
        """In a finisher thread: copy the log, then delete the pod, then report the outcome."""
        events: list[Event] = []
        if ask_pod:
            read_log = self._container_ran_now(name)
        if read_log:
            events.append(TryLog(key[0], key[1], self._read_log(name)))
        elif outcome.progress == PodProgress.STUCK:
            events.append(TryLog(key[0], key[1], f"\n{pod_log_header(name)}\n(no container ran: {outcome.reason})\n"))
        if delete:
            self._delete_pod(name)
        if outcome.progress == PodProgress.SUCCEEDED:
            events.append(TryFinished(key[0], key[1], "success", reason=outcome.reason, exit_code=outcome.exit_code))
        else:
            events.append(TryFinished(key[0], key[1], "failed", reason=outcome.reason, exit_code=outcome.exit_code))
        return events

    def _read_log(self, name: str) -> str:
        assert self.core is not None
        header = pod_log_header(name)
        try:
            response = raw(
                self.core.read_namespaced_pod_log,
                name,
                self.namespace,
                container=BASE_CONTAINER,
                limit_bytes=kubernetes_settings.LOG_MAX_BYTES,
                _request_timeout=(10, 60),
            )
            try:
                text = response.data.decode("utf-8", "replace")
            finally:
                response.release_conn()
        except Exception as exc:  # noqa: BLE001 - a missing log must not keep the outcome from being recorded
            logger.warning("reading the log of pod %s failed: %s", name, exc)
            text = f"(the pod's log could not be read: {_describe_error(exc)})\n"
        if text and not text.endswith("\n"):
            text += "\n"
        return f"\n{header}\n{text}"

    def _container_ran_now(self, name: str) -> bool:
        assert self.core is not None
        try:
            return _container_ran(
                raw_json(self.core.read_namespaced_pod, name, self.namespace, _request_timeout=(10, 30))
            )
        except Exception as exc:  # noqa: BLE001 - then the log is tried anyway: losing it is worse than a failed read
            logger.warning("reading pod %s before deleting it failed: %s", name, _describe_error(exc))
            return True

    def _delete_pod(self, name: str) -> list[Event]:
        assert self.core is not None
        try:
            raw_call(self.core.delete_namespaced_pod, name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                logger.warning("deleting pod %s failed: %s", name, _describe_error(exc))
        except Exception as exc:  # noqa: BLE001 - a pod left behind is cleaned up at the next start
            logger.warning("deleting pod %s failed: %s", name, _describe_error(exc))
        return []

    def _relabel(self, name: str) -> list[Event]:
        assert self.core is not None
        body = {
            "metadata": {
                "labels": {scheduler_label(): self.scheduler_label},
                "annotations": {scheduler_label(): self.scheduler_label},
            }
        }
        raw_call(
            self.core.patch_namespaced_pod, name, self.namespace, body, _content_type="application/merge-patch+json"
        )
        return []

    def _submit(self, key: TryKey | None, function: Any, *args: Any) -> None:
        assert self._finishers is not None
        future: Future[list[Event]] = self._finishers.submit(function, *args)
        self._finishing[future] = (key, time.monotonic())
        future.add_done_callback(lambda _: self.wake())

    def _collect_finished(self, events: list[Event]) -> None:
        for future in [f for f in self._finishing if f.done()]:
            key, submitted = self._finishing.pop(future)
            try:
                events.extend(future.result())
            except Exception:
                logger.exception("finishing work for %s failed", key)
            if key is not None:
                self.finish_latencies.append(time.monotonic() - submitted)
                tracked = self._tracked.get(key)
                if tracked is not None:
                    self._done_names.add(tracked.pod_name)
                self._untrack(key)

    # cancel, adoption, clean-up -------------------------------------------------------------------

    def cancel(self, task_instance_id: int, try_number: int, *, reason: str) -> None:
        tracked = self._tracked.get((task_instance_id, try_number))
        if tracked is None or tracked.finishing:
            return
        if not tracked.launched:
            tracked.cancelled = reason
            with self._cancel_lock:
                self._cancelled_names.add(tracked.pod_name)
            return
        tracked.cancelled = reason
        self._finish(tracked, PodOutcome(PodProgress.FAILED, f"cancelled: {reason}"))

    def adopt(self, orphans: Sequence[Orphan]) -> list[Orphan]:
        """Re-label the pods of orphaned tries to this scheduler and track them; return the rest."""
        if not orphans:
            return []
        pods = self._startup_pods if self._startup_pods is not None else self._list_managed_pods()
        self._startup_pods = None
        by_name = {pod["metadata"]["name"]: pod for pod in pods}
        by_key: dict[TryKey, dict[str, Any]] = {}
        for pod in pods:
            identity = identity_from_pod(pod)
            if identity is not None:
                by_key[(identity.task_instance_id, identity.try_number)] = pod
        not_adopted: list[Orphan] = []
        for orphan in orphans:
            found = by_name.get(orphan.external_id) or by_key.get(orphan.workload.key)
            if found is None or (found.get("metadata") or {}).get("deletionTimestamp"):
                not_adopted.append(orphan)
                continue
            name = found["metadata"]["name"]
            try:
                self._relabel(name)
            except ApiException as exc:
                logger.warning("could not adopt pod %s: %s", name, _describe_error(exc))
                not_adopted.append(orphan)
                continue
            self._track(_Tracked(key=orphan.workload.key, pod_name=name, launched=True, pod=found))
        adopted = len(orphans) - len(not_adopted)
        if adopted:
            logger.info("adopted %d pod(s) of schedulers that are gone", adopted)
        return not_adopted

    def _list_managed_pods(self) -> list[dict[str, Any]]:
        assert self.core is not None
        body = raw_json(
            self.core.list_namespaced_pod, self.namespace, label_selector=f"{MANAGED_BY_LABEL}={managed_by()}"
        )
        return list(body.get("items") or [])

    def _clean_up_after_gone_schedulers(self) -> None:
        """Delete pods of gone schedulers whose try is over, copying a log no one copied.

        Pods whose try is still queued or running are left for `adopt()`, which the scheduler calls next.
        """
        pods = self._list_managed_pods()
        self._startup_pods = pods
        owners = {((pod["metadata"].get("labels") or {}).get(scheduler_label()) or "") for pod in pods}
        owners.discard(self.scheduler_label)
        gone = records.gone_scheduler_ids(owners)
        candidates: list[tuple[TryKey, dict[str, Any]]] = []
        for pod in pods:
            owner = (pod["metadata"].get("labels") or {}).get(scheduler_label()) or ""
            identity = identity_from_pod(pod)
            if owner in gone and identity is not None and not (pod["metadata"].get("deletionTimestamp")):
                candidates.append(((identity.task_instance_id, identity.try_number), pod))
        unfinished = records.unfinished_tries(key for key, _ in candidates)
        policy = kubernetes_settings.DELETE_POLICY
        cleaned = 0
        for key, pod in candidates:
            if key in unfinished:
                continue
            name = pod["metadata"]["name"]
            outcome = pod_outcome(pod, now=_now(), pending_timeout=timedelta.max, fatal_wait_grace=timedelta.max)
            if outcome.finished and (
                policy == DeletePolicy.KEEP_ALL
                or (policy == DeletePolicy.KEEP_FAILED and outcome.progress == PodProgress.FAILED)
            ):
                continue
            copy_log = _container_ran(pod) and not records.try_log_contains(key, pod_log_header(name))
            self._submit(None, self._clean_up_pod, key, name, copy_log)
            cleaned += 1
        if cleaned:
            logger.info("deleting %d pod(s) left by schedulers that are gone, their tries being over", cleaned)

    def _clean_up_pod(self, key: TryKey, name: str, copy_log: bool) -> list[Event]:
        events: list[Event] = [TryLog(key[0], key[1], self._read_log(name))] if copy_log else []
        self._delete_pod(name)
        return events

    # shutdown -------------------------------------------------------------------------------------

    def end(self, *, grace: float = 30.0) -> list[Event]:
        """Stop launching and watching. Pods already created keep running for the next scheduler to adopt;
        tries whose pod was never created are handed back."""
        if self._ending:
            return []
        self._ending = True
        deadline = time.monotonic() + grace
        events = self._stop_launching(deadline)
        while self._finishing and time.monotonic() < deadline:
            self._apply_pod_events()
            self._collect_finished(events)
            time.sleep(0.02)
        self._collect_finished(events)
        if self.watcher is not None:
            self.watcher.stop()
        if self._finishers is not None:
            self._finishers.shutdown(wait=False, cancel_futures=True)
        running = sum(1 for t in self._tracked.values() if t.launched and not t.finishing)
        if running:
            logger.info("%d pod(s) left running for the next scheduler to adopt", running)
        if self.api_client is not None and self._given_client is None:
            with contextlib.suppress(Exception):
                self.api_client.close()  # type: ignore[no-untyped-call]
        return events

    def _stop_launching(self, deadline: float) -> list[Event]:
        """Let the batch being created finish; hand back the tries whose pod was never sent."""
        events: list[Event] = []
        never_sent: list[TryKey] = []
        while True:
            try:
                item = self._to_launch.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                never_sent.append(item[0])
        self._to_launch.put(None)
        if self._launch_thread is not None:
            self._launch_thread.join(max(deadline - time.monotonic(), 0.1))
        if self.launcher is not None:
            self.launcher.close()
        self._apply_launch_results(events)
        never_sent.extend(key for _, key in self._relaunch)
        self._relaunch = []
        for key in never_sent:
            tracked = self._tracked.get(key)
            if tracked is not None and not tracked.launched:
                self._untrack(key)
                events.append(TryHandedBack(key[0], key[1], reason="the scheduler stopped before its pod was created"))
        return events


def _container_ran(pod: dict[str, Any] | None) -> bool:
    """Whether the pod's `base` container started (only then has it a log to read)."""
    if not pod:
        return False
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") != BASE_CONTAINER:
            continue
        state = status.get("state") or {}
        last = status.get("lastState") or {}
        return bool(state.get("running") or state.get("terminated") or last.get("terminated"))
    return False


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        from workflows.kubernetes.launcher import api_error_message

        return f"{exc.status}: {api_error_message(exc)}"
    return f"{type(exc).__name__}: {exc}"
