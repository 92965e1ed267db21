"""The Kubernetes API client of the executor: configured from a kubeconfig or in-cluster, and counted.

Every request goes through `CountingApiClient`, which records it as the (verb, resource) pair that
RBAC would check, e.g. ("create", "pods"), ("watch", "pods"), ("get", "pods/log"). The counts
prove the executor's budget of API calls per task (no per-pod polling) and tell exactly which
verbs its Role needs.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from workflows.backoff import parse_retry_after

Verb = tuple[str, str]


class ApiCallCounter:
    """Thread-safe counts of API requests by (verb, resource)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Verb] = Counter()

    def record(self, verb: Verb) -> None:
        with self._lock:
            self._counts[verb] += 1

    def snapshot(self) -> Counter[Verb]:
        with self._lock:
            return Counter(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def verbs(self) -> set[Verb]:
        """The (verb, resource) pairs used so far."""
        with self._lock:
            return set(self._counts)


def classify_request(method: str, url: str) -> Verb:
    """The RBAC verb and resource of a request: `GET .../pods?watch=true` is ("watch", "pods")."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    # /api/v1/... or /apis/<group>/<version>/...
    rest = segments[2:] if segments[:1] == ["api"] else segments[3:]
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    resource = rest[0] if rest else ""
    named = len(rest) >= 2
    if len(rest) >= 3:
        resource = f"{resource}/{rest[2]}"
    query = parse_qs(parts.query)
    method = method.upper()
    watching = query.get("watch", [""])[0].lower() in {"true", "1"}
    if method == "GET":
        verb = "watch" if watching else ("get" if named else "list")
    else:
        verb = {
            "POST": "create",
            "PUT": "update",
            "PATCH": "patch",
            "DELETE": "delete" if named else "deletecollection",
        }.get(method, method.lower())
    return (verb, resource)


class CountingApiClient(client.ApiClient):
    """An ApiClient that records every request in an `ApiCallCounter`."""

    def __init__(self, configuration: client.Configuration, counter: ApiCallCounter) -> None:
        super().__init__(configuration)
        self.counter = counter

    def call_api(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.counter.record(classify_request(method, url))
        return super().call_api(method, url, *args, **kwargs)


def load_configuration(*, config_file: str = "", context: str = "", pool_size: int = 32) -> client.Configuration:
    """Client configuration from `config_file` (a kubeconfig) or, without one, the in-cluster account."""
    configuration = client.Configuration()
    if config_file:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(Path(config_file).expanduser()),
            context=context or None,
            client_configuration=configuration,
        )
    else:
        try:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except ConfigException as exc:
            raise ConfigException(
                f"no kubeconfig given (WORKFLOWS_KUBERNETES_CONFIG_FILE) and not running in a cluster: {exc}"
            ) from exc
    # Concurrent pod creation, log reads and the watch each hold a connection; urllib3 would
    # otherwise open and drop extra ones with a warning.
    configuration.connection_pool_maxsize = max(pool_size, 4)
    return configuration


def make_api_client(
    *, counter: ApiCallCounter, config_file: str = "", context: str = "", pool_size: int = 32
) -> CountingApiClient:
    configuration = load_configuration(config_file=config_file, context=context, pool_size=pool_size)
    return CountingApiClient(configuration, counter)


def raw(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a client method for its raw urllib3 response (`_preload_content=False`).

    The executor reads pods as plain JSON rather than paying to deserialise V1Pod models; the
    client's type hints promise models, so this says plainly that what comes back is a response.
    """
    return method(*args, _preload_content=False, **kwargs)


def raw_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """`raw()` for a request whose answer is not needed: the body is read, then the connection given back.

    A connection given back with its body unread would hand that body to the next request on it,
    which then fails to parse its own answer.
    """
    response = raw(method, *args, **kwargs)
    try:
        response.drain_conn()
    finally:
        response.release_conn()


def raw_json(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`raw()`, decoded as JSON, with the connection given back to the pool."""
    response = raw(method, *args, **kwargs)
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


def retry_after_seconds(exc: ApiException) -> float | None:
    """The wait an API server's error answer asks for in its Retry-After header, if any."""
    headers = exc.headers or {}
    return parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
