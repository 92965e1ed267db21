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
  KUBERNETES_RESYNC_INTERVAL, and is restarted (and the restart logged) if its thread ever dies.
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
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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
from workflows.kubernetes.client import ApiCallCounter, CountingApiClient, make_api_client
from workflows.kubernetes.conf import DeletePolicy, kubernetes_settings
from workflows.kubernetes.launcher import ADOPTED, CREATED, FORBIDDEN, RETRY_LATER, LaunchResult, PodLauncher
from workflows.kubernetes.outcomes import PodOutcome, PodProgress, pod_outcome
from workflows.kubernetes.pods import (
    BASE_CONTAINER,
    LABEL_PREFIX,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    MutationHook,
    PodDict,
    TryIdentity,
    build_worker_pod,
    identity_from_pod,
    label_value,
    load_pod_template,
)
from workflows.kubernetes.watcher import PodEvent, PodWatcher

logger = logging.getLogger(__name__)

TryKey = tuple[int, int]
SCHEDULER_LABEL = f"{LABEL_PREFIX}scheduler-id"
#: How often pods that get no events (stuck Pending) are looked at again for their timeouts.
TIMEOUT_CHECK_SECONDS = 1.0
#: Bounds how long a retried creation waits before it is tried again after RETRY_LATER.
RELAUNCH_DELAY_SECONDS = 5.0
#: Threads reading logs and deleting finished pods.
FINISHER_THREADS = 4


def pod_log_header(pod_name: str) -> str:
    """The line that starts a pod's log copied into a try's log (also how a copy is recognised)."""
    return f"----- log of pod {pod_name}, container {BASE_CONTAINER} -----"


