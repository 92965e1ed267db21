"""Creating pods in concurrent batches, and telling a refused pod from a busy API server.

- 201: created. 409 Conflict: a pod of that name exists already — pod names are deterministic per
  try, so it is this try's pod from an earlier attempt whose answer was lost: adopt it.
- 400/422: the pod is invalid; retrying cannot help, so the try fails with the API's own message.
- 403: not allowed (RBAC); fails the try with the message, naming the missing permission.
- 429 and 5xx, and network errors: retried with backoff, honouring Retry-After; when the attempts
  run out the pod is handed back to be launched later. None of this uses up a task retry.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from workflows.backoff import exponential_backoff
from workflows.kubernetes.client import raw_call, retry_after_seconds

logger = logging.getLogger(__name__)

CREATED = "created"
ADOPTED = "adopted"
INVALID = "invalid"
FORBIDDEN = "forbidden"
RETRY_LATER = "retry_later"

_TRANSIENT = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class LaunchResult:
    key: Hashable
    pod_name: str
    status: str
    message: str = ""
    attempts: int = 1

    @property
    def launched(self) -> bool:
        return self.status in {CREATED, ADOPTED}


def api_error_message(exc: ApiException) -> str:
    """The API server's own explanation (a Status object's message), else the HTTP reason."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if body:
        try:
            status = json.loads(body)
        except ValueError:
            return str(body)[:1000]
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"])
    return f"{exc.status} {exc.reason}"


class PodLauncher:
    def __init__(
        self,
        *,
        api: CoreV1Api,
        namespace: str,
        batch_size: int = 10,
        max_attempts: int = 6,
        max_backoff_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.batch_size = max(1, batch_size)
        self.max_attempts = max(1, max_attempts)
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.api_calls = 0
        self._pool = ThreadPoolExecutor(max_workers=self.batch_size, thread_name_prefix="pod-launcher")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def launch(self, pods: Sequence[tuple[Hashable, dict[str, Any]]]) -> list[LaunchResult]:
        """Create the pods, up to `batch_size` at once; the results come back in the order given."""
        return list(self._pool.map(lambda item: self._create(*item), pods))

    def _create(self, key: Hashable, pod: dict[str, Any]) -> LaunchResult:
        name = pod["metadata"]["name"]
        attempt = 0
        while True:
            attempt += 1
            self.api_calls += 1
            try:
                raw_call(self.api.create_namespaced_pod, self.namespace, pod)
            except ApiException as exc:
                if exc.status == 409:
                    return LaunchResult(key, name, ADOPTED, "a pod of this try existed already", attempt)
                if exc.status in {400, 422}:
                    return LaunchResult(key, name, INVALID, api_error_message(exc), attempt)
                if exc.status in {401, 403}:
                    return LaunchResult(key, name, FORBIDDEN, api_error_message(exc), attempt)
                if exc.status not in _TRANSIENT:
                    return LaunchResult(key, name, INVALID, api_error_message(exc), attempt)
                delay = retry_after_seconds(exc)
                reason = f"{exc.status} {api_error_message(exc)}"
            except Exception as exc:  # noqa: BLE001 - a network error is as transient as a 503
                delay = None
                reason = f"{type(exc).__name__}: {exc}"
            else:
                return LaunchResult(key, name, CREATED, "", attempt)
            if attempt >= self.max_attempts:
                logger.warning("creating pod %s failed %d times (%s); will try again later", name, attempt, reason)
                return LaunchResult(key, name, RETRY_LATER, reason, attempt)
            jitter = 0.5 + random.random()  # noqa: S311 - spreads retries, not security
            backoff = exponential_backoff(attempt, base=0.1, cap=self.max_backoff_seconds) * jitter
            wait = delay if delay is not None else backoff
            logger.info("creating pod %s: %s; retrying in %.1f s", name, reason, wait)
            self.sleep(wait)
