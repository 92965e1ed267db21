"""One watch over the project's pods in a namespace that survives whatever the API server does.

- It resumes from the last resourceVersion it saw when a connection drops or a watch times out.
- On 410 Gone (at the start of a watch or in the middle of its stream) it lists the pods again and
  watches from the list's resourceVersion; pods that vanished meanwhile are reported as deleted,
  pods that did not change are not reported twice.
- It lists again every `resync_seconds` even when the watch looks healthy, so that an event missed
  for any reason cannot leave a try queued for ever.
- Transient API errors (429, 5xx) and network errors are retried with a capped backoff; nothing
  but `stop()` ends the loop, and an unexpected error is logged and retried, never swallowed.

Events carry pods as API dicts (a watch event's raw object), never deserialised models.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from workflows.backoff import exponential_backoff
from workflows.kubernetes.client import raw, raw_json, retry_after_seconds

logger = logging.getLogger(__name__)

HTTP_GONE = 410


@dataclass(frozen=True)
class PodEvent:
    """A change to one pod: ADDED, MODIFIED, DELETED; or SYNCED when a re-list found it changed."""

    kind: str
    pod: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])


class WatchExpiredError(Exception):
    """The API server no longer has the history the watch asked for (410 Gone)."""


@dataclass
class WatcherStats:
    lists: int = 0
    watches: int = 0
    events: int = 0
    expired: int = 0
    reconnects: int = 0


class PodWatcher:
    def __init__(
        self,
        *,
        api: CoreV1Api,
        namespace: str,
        label_selector: str,
        sink: Callable[[PodEvent], None],
        resync_seconds: float = 300.0,
        watch_timeout_seconds: int = 60,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.label_selector = label_selector
        self.sink = sink
        self.resync_seconds = resync_seconds
        self.watch_timeout_seconds = watch_timeout_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.resource_version: str | None = None
        self.stats = WatcherStats()
        self._known: dict[str, str] = {}
        self._last_pod: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: Any = None
        self._last_list = 0.0
        self.synced = threading.Event()

    # Lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"pod-watcher-{self.namespace}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown()
            except Exception:  # the connection may already be gone; stopping goes on
                logger.debug("closing the watch connection failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def request_resync(self) -> None:
        """Make the next loop list the pods again (used after adoption or a suspected miss)."""
        self._last_list = 0.0

    # The loop ------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if self.resource_version is None or time.monotonic() - self._last_list >= self.resync_seconds:
                    self._relist()
                self._watch_once()
                failures = 0
            except WatchExpiredError:
                self.stats.expired += 1
                logger.info("pod watch in %s expired (410 Gone); listing pods again", self.namespace)
                self.resource_version = None
            except ApiException as exc:
                failures += 1
                if exc.status == HTTP_GONE:
                    self.stats.expired += 1
                    logger.info("pod watch in %s expired (410 Gone); listing pods again", self.namespace)
                    self.resource_version = None
                    continue
                logger.warning("pod watch in %s: API error %s %s; retrying", self.namespace, exc.status, exc.reason)
                self._backoff(failures, retry_after=retry_after_seconds(exc))
            except Exception as exc:  # noqa: BLE001 - a dropped connection must never end the watch
                if self._stop.is_set():
                    break
                failures += 1
                self.stats.reconnects += 1
                logger.warning(
                    "pod watch in %s lost its connection (%s: %s); resuming from resourceVersion %s",
                    self.namespace,
                    type(exc).__name__,
                    exc,
                    self.resource_version,
                )
                self._backoff(failures)

    def _backoff(self, failures: int, retry_after: float | None = None) -> None:
        if retry_after is None:
            delay = exponential_backoff(min(failures, 8), base=0.2, cap=self.max_backoff_seconds)
        else:
            delay = retry_after
        self._stop.wait(delay * (0.8 + 0.4 * random.random()))  # noqa: S311 - jitter, not security

    def _relist(self) -> None:
        body = raw_json(self.api.list_namespaced_pod, self.namespace, label_selector=self.label_selector)
        self.stats.lists += 1
        self._last_list = time.monotonic()
        current = {item["metadata"]["name"]: item for item in body.get("items") or []}
        for name in list(self._known):
            if name not in current:
                self._known.pop(name, None)
                last = self._last_pod.pop(name, {"metadata": {"name": name, "namespace": self.namespace}})
                self._emit(PodEvent("DELETED", last))
        for name, pod in current.items():
            if self._known.get(name) != pod["metadata"].get("resourceVersion"):
                self._remember(pod)
                self._emit(PodEvent("SYNCED", pod))
        self.resource_version = body["metadata"]["resourceVersion"]
        self.synced.set()

    def _watch_once(self) -> None:
        self.stats.watches += 1
        response = raw(
            self.api.list_namespaced_pod,
            self.namespace,
            label_selector=self.label_selector,
            watch=True,
            allow_watch_bookmarks=True,
            resource_version=self.resource_version,
            timeout_seconds=self.watch_timeout_seconds,
            _request_timeout=(10, self.watch_timeout_seconds + 30),
        )
        self._response = response
        try:
            for event in self._events(response):
                if self._stop.is_set():
                    return
                self._handle(event)
                if self.resync_seconds and time.monotonic() - self._last_list >= self.resync_seconds:
                    return
        finally:
            self._response = None
            response.close()
            response.release_conn()

    @staticmethod
    def _events(response: Any) -> Iterator[dict[str, Any]]:
        for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
            if line and not line.isspace():
                yield json.loads(line)

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == HTTP_GONE:
                raise WatchExpiredError(obj.get("message", "too old resource version"))
            raise ApiException(status=obj.get("code", 500), reason=f"{obj.get('reason')}: {obj.get('message')}")
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if version:
                self.resource_version = version
            return
        name = obj["metadata"]["name"]
        if version:
            self.resource_version = version
        if kind == "DELETED":
            self._known.pop(name, None)
            self._last_pod.pop(name, None)
            self._emit(PodEvent("DELETED", obj))
            return
        if self._known.get(name) == version:
            return
        self._remember(obj)
        self._emit(PodEvent(str(kind), obj))

    def _remember(self, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        self._known[name] = pod["metadata"].get("resourceVersion", "")
        self._last_pod[name] = pod

    def _emit(self, event: PodEvent) -> None:
        self.stats.events += 1
        try:
            self.sink(event)
        except Exception:
            logger.exception("handling the pod event for %s failed", event.name)
