"""The test cluster's node agent: a small kubelet (and Job controller) stand-in.

It registers a Node, binds pending pods of the namespaces it watches to that
Node, runs each container's ``command`` + ``args`` as a local process (in the
agent's working directory, default the repository root, with ``python``
mapped to the agent's Python), reports pod phases and container statuses
through ``pods/status``, and serves container logs over HTTPS at
``/containerLogs/<namespace>/<pod>/<container>`` so that
``CoreV1Api.read_namespaced_pod_log`` works through the apiserver.

Tests choose other outcomes per pod with the annotation
``wicn.test/behaviour`` (or the agent's ``behaviour_for`` callback /
``set_behaviour``); several may be combined with commas:

``oomkilled[:delay]``
    the container is killed (SIGKILL) after ``delay`` seconds (default 0):
    terminated reason ``OOMKilled``, exit code 137, phase Failed.
``evicted[:delay]``
    the pod is evicted after ``delay`` seconds: phase Failed, reason
    ``Evicted`` and a message, container terminated with exit code 137.
``image-pull-error``
    waiting reason ``ErrImagePull``, then ``ImagePullBackOff``; stays Pending.
``create-container-config-error``
    waiting reason ``CreateContainerConfigError``; stays Pending.
``stuck-pending``
    never bound to the node.
``unschedulable``
    never bound; condition PodScheduled False, reason ``Unschedulable``.
``slow-start:<seconds>``
    bound at once but the containers start only after ``seconds``.

Only ``restartPolicy: Never`` semantics are played: a container that exits is
not restarted. Init containers run one after the other before the others.

The Job controller part handles batch/v1 Jobs in the same namespaces: it
creates pods from the template (``job-name``/``controller-uid`` labels,
controller owner reference), honours ``parallelism``, ``completions``,
``backoffLimit`` and ``activeDeadlineSeconds``, writes ``active``,
``succeeded``, ``failed``, ``startTime``, ``completionTime`` and the
``Complete``/``Failed`` conditions, and, as no garbage collector runs,
deletes a Job's pods when the Job is deleted.

Command line::

    python -m tests.support.kube.node_agent --kubeconfig PATH --namespace NS [--namespace NS2]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.server
import json
import logging
import os
import queue
import secrets
import shlex
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import certs

log = logging.getLogger("wicn.kube.node_agent")

REPO_ROOT = Path(__file__).resolve().parents[3]
BEHAVIOUR_ANNOTATION = "wicn.test/behaviour"
NODE_LABEL = "wicn.test/node-agent"
KNOWN_BEHAVIOURS = {
    "oomkilled",
    "evicted",
    "image-pull-error",
    "create-container-config-error",
    "stuck-pending",
    "unschedulable",
    "slow-start",
}
WATCH_TIMEOUT_SECONDS = 60
PYTHON_NAMES = {
    "python",
    "python3",
    "python3.11",
    "/usr/bin/python",
    "/usr/bin/python3",
    "/usr/local/bin/python",
    "/usr/local/bin/python3",
}


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_nano() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_behaviours(value: str | None) -> dict[str, str | None]:
    """``"slow-start:2,oomkilled"`` -> ``{"slow-start": "2", "oomkilled": None}``."""
    result: dict[str, str | None] = {}
    for raw in (value or "").split(","):
        item = raw.strip()
        if not item:
            continue
        name, _, arg = item.partition(":")
        name = name.strip().lower()
        if name not in KNOWN_BEHAVIOURS:
            raise ValueError(f"unknown node agent behaviour {name!r} (known: {sorted(KNOWN_BEHAVIOURS)})")
        result[name] = arg.strip() or None
    return result


def _seconds(arg: str | None, default: float) -> float:
    try:
        return float(arg) if arg not in (None, "") else default
    except ValueError:
        return default


def _api_error_status(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


# --- container logs -------------------------------------------------------------


class ContainerLog:
    """A container's output, one ``<RFC3339Nano timestamp> <line>`` per line."""

    def __init__(self, path: Path):
        self.path = path
        self.path.write_bytes(b"")
        self.done = threading.Event()
        self._cond = threading.Condition()

    def pump(self, stream) -> None:
        """Copy ``stream`` (bytes) into the log until EOF; runs in a thread."""
        try:
            with open(self.path, "ab") as out:
                for raw in iter(stream.readline, b""):
                    line = raw if raw.endswith(b"\n") else raw + b"\n"
                    out.write(now_nano().encode() + b" " + line)
                    out.flush()
                    with self._cond:
                        self._cond.notify_all()
        finally:
            stream.close()
            self.done.set()
            with self._cond:
                self._cond.notify_all()

    def wait_for_more(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)

    def text(self, timestamps: bool = False) -> str:
        return "".join(_strip(line, timestamps) for line in self.lines())

    def lines(self) -> list[str]:
        return self.path.read_text(errors="replace").splitlines(keepends=True)


def _strip(line: str, timestamps: bool) -> str:
    return line if timestamps else line.partition(" ")[2]


# --- pod runs -------------------------------------------------------------------------


@dataclass
class ContainerRun:
    name: str
    image: str
    init: bool = False
    process: subprocess.Popen | None = None
    log: ContainerLog | None = None
    state: dict = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    started_at: str | None = None
    ready: bool = False

    def status(self) -> dict:
        cid = f"wicn://{self.process.pid}" if self.process else ""
        status = {
            "name": self.name,
            "image": self.image,
            "imageID": f"wicn-test://{self.image}" if self.process else "",
            "ready": self.ready,
            "restartCount": 0,
            "started": bool(self.state.get("running")),
            "state": self.state,
            "lastState": {},
        }
        if cid:
            status["containerID"] = cid
        return status


class PodRun:
    """The life of one pod on the agent's node (runs in its own thread)."""

    def __init__(self, agent: NodeAgent, pod: dict):
        self.agent = agent
        self.pod = pod
        meta = pod["metadata"]
        self.namespace = meta["namespace"]
        self.name = meta["name"]
        self.uid = meta["uid"]
        self.key = (self.namespace, self.name)
        spec = pod["spec"]
        self.init_containers = [
            ContainerRun(c["name"], c.get("image", ""), init=True) for c in spec.get("initContainers") or []
        ]
        self.containers = [ContainerRun(c["name"], c.get("image", "")) for c in spec["containers"]]
        self.behaviours = agent.behaviours_of(pod)
        self.deleted = threading.Event()
        self.finished = threading.Event()
        self.phase = "Pending"
        self.start_time = now()
        self.thread = threading.Thread(target=self._run, name=f"pod-{self.name}", daemon=True)

    # -- status -------------------------------------------------------------------

    def _conditions(self, ready: bool, initialized: bool, reason: str | None = None) -> list[dict]:
        t = now()

        def cond(kind: str, ok: bool, why: str | None = None) -> dict:
            c = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": t}
            if why and not ok:
                c["reason"] = why
            return c

        return [
            cond("Initialized", initialized, "ContainersNotInitialized"),
            cond("Ready", ready, reason or "ContainersNotReady"),
            cond("ContainersReady", ready, reason or "ContainersNotReady"),
            cond("PodScheduled", True),
        ]

    def report(self, *, reason: str | None = None, message: str | None = None, cond_reason: str | None = None) -> None:
        if self.deleted.is_set() and self.phase not in ("Succeeded", "Failed"):
            return
        initialized = all("terminated" in c.state for c in self.init_containers)
        ready = self.phase == "Running" and all(c.ready for c in self.containers)
        status = {
            "phase": self.phase,
            "conditions": self._conditions(ready, initialized, cond_reason),
            "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1",
            "podIPs": [{"ip": "127.0.0.1"}],
            "startTime": self.start_time,
            "qosClass": "BestEffort",
            "containerStatuses": [c.status() for c in self.containers],
            "reason": reason,
            "message": message,
        }
        if self.init_containers:
            status["initContainerStatuses"] = [c.status() for c in self.init_containers]
        self.agent.patch_pod_status(self.namespace, self.name, status)

    # -- main --------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._lifecycle()
        except Exception:
            log.exception("pod %s/%s: node agent error", self.namespace, self.name)
        finally:
            self.finished.set()
            self.agent._pod_finished(self)

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the pod is deleted; returns False when it was."""
        return not self.deleted.wait(seconds)

    def _lifecycle(self) -> None:
        b = self.behaviours
        self.report()
        if "slow-start" in b and not self._sleep(_seconds(b["slow-start"], 5.0)):
            return
        if "image-pull-error" in b:
            for c in self.containers:
                c.state = {
                    "waiting": {
                        "reason": "ErrImagePull",
                        "message": (
                            f'rpc error: code = Unknown desc = failed to pull and unpack image "{c.image}": not found'
                        ),
                    }
                }
            self.report()
            if not self._sleep(self.agent.image_pull_backoff_delay):
                return
            for c in self.containers:
                c.state = {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{c.image}"'}}
            self.report()
            self.deleted.wait()
            return
        if "create-container-config-error" in b:
            for c in self.containers:
                c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "missing" not found'}}
            self.report()
            self.deleted.wait()
            return

        spec = self.pod["spec"]
        # Init containers, one after the other.
        for run, cspec in zip(self.init_containers, spec.get("initContainers") or [], strict=False):
            code = self._start(run, cspec)
            if code is None:
                return
            self.report(cond_reason="PodInitializing")
            code = self._wait(run)
            if self.deleted.is_set():
                return
            if code != 0:
                self.phase = "Failed"
                for c in self.containers:
                    c.state = {"waiting": {"reason": "PodInitializing"}}
                self.report()
                return

        # Main containers, all at once.
        for run, cspec in zip(self.containers, spec["containers"], strict=False):
            if self._start(run, cspec) is None:
                return
        if self.deleted.is_set():
            return
        self.phase = "Running"
        self.report()

        kill_at = None
        kill_kind = None
        for kind in ("oomkilled", "evicted"):
            if kind in b:
                kill_at = time.monotonic() + _seconds(b[kind], 0.0)
                kill_kind = kind
                break

        pending = [c for c in self.containers if c.process is not None]
        while pending:
            if self.deleted.is_set():
                return
            if kill_at is not None and time.monotonic() >= kill_at:
                self._kill_for(kill_kind)
                return
            for c in list(pending):
                code = c.process.poll()
                if code is not None:
                    c.log.done.wait(5)
                    self._terminated(c, code)
                    pending.remove(c)
                    if pending:
                        self.report()
            if pending:
                self.deleted.wait(0.05)
        codes = [c.state["terminated"]["exitCode"] for c in self.containers if "terminated" in c.state]
        self.phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"
        self.report(cond_reason="PodCompleted")

    def _terminated(self, c: ContainerRun, code: int, reason: str | None = None) -> None:
        if code < 0:
            code = 128 - code
        c.ready = False
        c.state = {
            "terminated": {
                "exitCode": code,
                "reason": reason or ("Completed" if code == 0 else "Error"),
                "startedAt": c.started_at,
                "finishedAt": now(),
                "containerID": f"wicn://{c.process.pid}" if c.process else "",
            }
        }

    def _kill_for(self, kind: str) -> None:
        for c in self.containers:
            if c.process is not None and c.process.poll() is None:
                _kill_group(c.process, signal.SIGKILL)
        for c in self.containers:
            if c.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    c.process.wait(5)
                if c.log:
                    c.log.done.wait(5)
            if "terminated" in c.state:
                continue
            if kind == "oomkilled":
                self._terminated(c, 137, reason="OOMKilled")
            else:
                self._terminated(c, 137, reason="Error")
        self.phase = "Failed"
        if kind == "evicted":
            name = self.containers[0].name
            self.report(
                reason="Evicted",
                message=(
                    "The node was low on resource: memory. Container "
                    f"{name} was using 1048576Ki, which exceeds its request of 0. "
                ),
                cond_reason="PodCompleted",
            )
        else:
            self.report(cond_reason="PodCompleted")

    def _start(self, run: ContainerRun, cspec: dict) -> int | None:
        """Start ``run``'s process; returns 0, or None if the pod went away or it cannot start."""
        argv = list(cspec.get("command") or []) + list(cspec.get("args") or [])
        if not argv:
            argv = list(self.agent.entrypoint_for(run.image) or [])
        if not argv:
            run.state = {
                "waiting": {
                    "reason": "RunContainerError",
                    "message": (
                        f"the test node has no entrypoint for image {run.image!r}: give the container a command"
                    ),
                }
            }
            self.report()
            self.deleted.wait()
            return None
        try:
            env = self.agent.container_env(self.pod, cspec)
        except LookupError as exc:
            run.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}}
            self.report()
            self.deleted.wait()
            return None
        argv = self.agent.map_command(argv, env)
        run.log = ContainerLog(self.agent.log_path(self.namespace, self.name, run.name))
        try:
            run.process = subprocess.Popen(
                argv,
                cwd=str(self.agent.workdir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            run.log.done.set()
            run.state = {
                "terminated": {
                    "exitCode": 128,
                    "reason": "StartError",
                    "message": str(exc),
                    "startedAt": now(),
                    "finishedAt": now(),
                }
            }
            self.phase = "Failed"
            self.report()
            return None
        threading.Thread(
            target=run.log.pump, args=(run.process.stdout,), daemon=True, name=f"log-{self.name}-{run.name}"
        ).start()
        run.started_at = now()
        run.state = {"running": {"startedAt": run.started_at}}
        run.ready = True
        log.info("pod %s/%s container %s: started %s", self.namespace, self.name, run.name, shlex.join(argv))
        return 0

    def _wait(self, run: ContainerRun) -> int | None:
        while not self.deleted.is_set():
            code = run.process.poll()
            if code is not None:
                run.log.done.wait(5)
                self._terminated(run, code)
                return run.state["terminated"]["exitCode"]
            self.deleted.wait(0.05)
        return None

    # -- deletion ------------------------------------------------------------------

    def kill(self, grace_seconds: float) -> None:
        """Stop every process: SIGTERM, then SIGKILL after ``grace_seconds``."""
        self.deleted.set()
        procs = [
            c.process
            for c in self.init_containers + self.containers
            if c.process is not None and c.process.poll() is None
        ]
        for proc in procs:
            _kill_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for proc in procs:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                proc.wait(remaining)
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


# --- the log server ---------------------------------------------------------------------


class _LogHandler(http.server.BaseHTTPRequestHandler):
    server_version = "wicn-node-agent"
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        log.debug("log server: " + fmt, *args)

    def do_GET(self) -> None:
        agent: NodeAgent = self.server.agent  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if parts[:1] == ["healthz"]:
            self._send(200, b"ok")
            return
        if len(parts) != 4 or parts[0] != "containerLogs":
            self._send(404, b"not found")
            return
        _, namespace, pod, container = parts
        clog = agent.container_log(namespace, pod, container)
        if clog is None:
            self._send(404, f"no log for {namespace}/{pod}/{container}".encode())
            return
        q = urllib.parse.parse_qs(url.query)
        follow = q.get("follow", ["false"])[0] == "true"
        timestamps = q.get("timestamps", ["false"])[0] == "true"
        tail = int(q["tailLines"][0]) if "tailLines" in q else None
        limit = int(q["limitBytes"][0]) if "limitBytes" in q else None
        since = None
        if "sinceSeconds" in q:
            since = (
                datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=int(q["sinceSeconds"][0]))
            ).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif "sinceTime" in q:
            since = q["sinceTime"][0]

        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0

        def emit(lines: Iterable[str]) -> bool:
            nonlocal sent
            for line in lines:
                if since and line.partition(" ")[0] < since:
                    continue
                data = _strip(line, timestamps).encode()
                if limit is not None and sent + len(data) > limit:
                    data = data[: limit - sent]
                self.wfile.write(data)
                sent += len(data)
                if limit is not None and sent >= limit:
                    return False
            self.wfile.flush()
            return True

        try:
            lines = clog.lines()
            first = lines[-tail:] if tail is not None and tail >= 0 else lines
            if tail == 0:
                first = []
            more = emit(first)
            seen = len(lines)
            while follow and more and not agent.stopped.is_set():
                finished = clog.done.is_set()
                lines = clog.lines()
                if len(lines) > seen:
                    more = emit(lines[seen:])
                    seen = len(lines)
                elif finished:
                    break
                else:
                    clog.wait_for_more(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _LogServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --- the agent ---------------------------------------------------------------------------


class NodeAgent:
    """A node of the test cluster, run in threads of the calling process.

    ``namespaces``: the namespaces whose pods and Jobs it handles (None: all).
    ``workdir``: where container processes run (default: the repository root).
    ``python``: the interpreter that runs a container command ``python ...``.
    ``env``: base environment of every container (default: this process's).
    ``behaviour_for``: optional callback ``pod dict -> "behaviour[,behaviour]" | None``
    consulted before the pod's ``wicn.test/behaviour`` annotation.
    ``entrypoints``: image name prefix -> argv used when a container has no command.
    """

    def __init__(
        self,
        api_client=None,
        *,
        kubeconfig: str | os.PathLike | None = None,
        namespaces: Iterable[str] | None = ("default",),
        node_name: str | None = None,
        workdir: str | os.PathLike | None = None,
        python: str | None = None,
        env: dict[str, str] | None = None,
        behaviour_for: Callable[[dict], str | None] | None = None,
        entrypoints: dict[str, list[str]] | None = None,
        jobs: bool = True,
        log_dir: str | os.PathLike | None = None,
        image_pull_backoff_delay: float = 1.0,
    ):
        from kubernetes import client

        if api_client is None:
            from kubernetes import config as kconfig

            cfg = client.Configuration()
            kconfig.load_kube_config(config_file=str(kubeconfig) if kubeconfig else None, client_configuration=cfg)
            api_client = client.ApiClient(cfg)
        self.api_client = api_client
        self.core = client.CoreV1Api(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.namespaces = list(namespaces) if namespaces is not None else None
        self.node_name = node_name or f"wicn-test-node-{secrets.token_hex(3)}"
        self.workdir = Path(workdir or REPO_ROOT)
        self.python = python or sys.executable
        self.base_env = dict(os.environ if env is None else env)
        self.behaviour_for = behaviour_for
        self._behaviour_rules: list[tuple[Callable[[dict], bool], str]] = []
        self.entrypoints = dict(entrypoints or {})
        self.jobs_enabled = jobs
        self.image_pull_backoff_delay = image_pull_backoff_delay
        self._tmp = None
        if log_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wicn-node-agent-")
            log_dir = self._tmp.name
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)

        self.stopped = threading.Event()
        self._lock = threading.RLock()
        self._runs: dict[tuple[str, str], PodRun] = {}
        self._by_uid: dict[str, PodRun] = {}
        self._handled: set[str] = set()  # pod uids already bound/marked/started
        self._threads: list[threading.Thread] = []
        self._responses: set = set()
        self._job_queue: queue.Queue = queue.Queue()
        self._server: _LogServer | None = None
        self.port: int | None = None

    # -- configuration used by tests -------------------------------------------------------

    def set_behaviour(self, match: str | Callable[[dict], bool], behaviour: str) -> None:
        """Give pods named ``match`` (or for which ``match(pod)`` is true) a behaviour."""
        parse_behaviours(behaviour)  # validate early
        if isinstance(match, str):
            name = match

            def by_name(pod: dict) -> bool:
                return pod["metadata"]["name"] == name

            predicate = by_name
        else:
            predicate = match
        with self._lock:
            self._behaviour_rules.append((predicate, behaviour))

    def behaviours_of(self, pod: dict) -> dict[str, str | None]:
        if self.behaviour_for is not None:
            chosen = self.behaviour_for(pod)
            if chosen:
                return parse_behaviours(chosen)
        with self._lock:
            rules = list(self._behaviour_rules)
        for predicate, behaviour in reversed(rules):
            if predicate(pod):
                return parse_behaviours(behaviour)
        annotations = pod["metadata"].get("annotations") or {}
        try:
            return parse_behaviours(annotations.get(BEHAVIOUR_ANNOTATION))
        except ValueError:
            log.warning("pod %s: bad %s annotation", pod["metadata"]["name"], BEHAVIOUR_ANNOTATION)
            return {}

    def entrypoint_for(self, image: str) -> list[str] | None:
        best = None
        for prefix, argv in self.entrypoints.items():
            if image.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, argv)
        return best[1] if best else None

    def map_command(self, argv: list[str], env: dict[str, str]) -> list[str]:
        first = argv[0]
        if first in PYTHON_NAMES or os.path.basename(first) in {"python", "python3"}:
            return [self.python, *argv[1:]]
        return argv

    def container_env(self, pod: dict, cspec: dict) -> dict[str, str]:
        env = dict(self.base_env)
        meta = pod["metadata"]
        env["HOSTNAME"] = meta["name"]
        for src in cspec.get("envFrom") or []:
            prefix = src.get("prefix", "")
            if "configMapRef" in src:
                data = self._config_data("configmap", meta["namespace"], src["configMapRef"])
            elif "secretRef" in src:
                data = self._config_data("secret", meta["namespace"], src["secretRef"])
            else:
                data = {}
            env.update({prefix + k: v for k, v in data.items()})
        for item in cspec.get("env") or []:
            name = item["name"]
            if "valueFrom" not in item:
                env[name] = _expand(item.get("value", ""), env)
                continue
            vf = item["valueFrom"]
            if "fieldRef" in vf:
                env[name] = _field_ref(pod, vf["fieldRef"]["fieldPath"], self.node_name)
            elif "configMapKeyRef" in vf or "secretKeyRef" in vf:
                kind = "configmap" if "configMapKeyRef" in vf else "secret"
                ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef")
                data = self._config_data(kind, meta["namespace"], ref)
                if ref["key"] in data:
                    env[name] = data[ref["key"]]
                elif not ref.get("optional"):
                    raise LookupError(f"couldn't find key {ref['key']} in {kind} {meta['namespace']}/{ref['name']}")
            # resourceFieldRef: not played
        return env

    def _config_data(self, kind: str, namespace: str, ref: dict) -> dict[str, str]:
        import base64

        try:
            if kind == "configmap":
                obj = self._get_json(self.core.read_namespaced_config_map, ref["name"], namespace)
                return dict(obj.get("data") or {})
            obj = self._get_json(self.core.read_namespaced_secret, ref["name"], namespace)
            return {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
        except Exception as exc:
            if _api_error_status(exc) == 404 and ref.get("optional"):
                return {}
            if _api_error_status(exc) == 404:
                raise LookupError(f'{kind} "{ref["name"]}" not found') from exc
            raise

    @staticmethod
    def _get_json(method, *args, **kwargs) -> dict:
        resp = method(*args, _preload_content=False, **kwargs)
        return json.loads(resp.data)

    def log_path(self, namespace: str, pod: str, container: str) -> Path:
        return self.log_dir / f"{namespace}_{pod}_{container}.log"

    def container_log(self, namespace: str, pod: str, container: str) -> ContainerLog | None:
        with self._lock:
            run = self._runs.get((namespace, pod))
        if run is None:
            return None
        for c in run.init_containers + run.containers:
            if c.name == container:
                return c.log
        return None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> NodeAgent:
        self._start_log_server()
        self._register_node()
        self._spawn(self._heartbeat_loop, "node-heartbeat")
        for ns in self.namespaces if self.namespaces is not None else [None]:
            self._spawn(lambda ns=ns: self._watch_loop("pods", ns, self._on_pod_event), f"watch-pods-{ns}")
            if self.jobs_enabled:
                self._spawn(lambda ns=ns: self._watch_loop("jobs", ns, self._on_job_event), f"watch-jobs-{ns}")
        if self.jobs_enabled:
            self._spawn(self._job_worker, "job-controller")
        log.info("node agent %s serving logs on 127.0.0.1:%s", self.node_name, self.port)
        return self

    def stop(self, delete_node: bool = True) -> None:
        """Kill every container process, stop the threads, delete the Node."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        with self._lock:
            runs = list(self._runs.values())
            responses = list(self._responses)
        for resp in responses:
            with contextlib.suppress(Exception):
                resp.shutdown()
        for run in runs:
            run.kill(0)
        self._job_queue.put(None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for t in self._threads:
            t.join(5)
        if delete_node:
            with contextlib.suppress(Exception):
                self.core.delete_node(self.node_name, _preload_content=False)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> NodeAgent:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    # -- node ---------------------------------------------------------------------------------

    def _start_log_server(self) -> None:
        pki = self.log_dir / "pki"
        _ca, leaf = certs.make_self_signed(pki, "node-agent")
        server = _LogServer(("127.0.0.1", 0), _LogHandler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(leaf.cert), str(leaf.key))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        server.agent = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._spawn(server.serve_forever, "log-server")

    def _node_status(self) -> dict:
        t = now()
        return {
            "capacity": {"cpu": "8", "memory": "16Gi", "pods": "250", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "8", "memory": "16Gi", "pods": "250", "ephemeral-storage": "100Gi"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "wicn test node agent is posting ready status",
                    "lastHeartbeatTime": t,
                    "lastTransitionTime": t,
                },
            ],
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": self.node_name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
            "nodeInfo": {
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": os.uname().release,
                "osImage": "wicn test node",
                "containerRuntimeVersion": "wicn://0.1",
                "kubeletVersion": "v1.20.2",
                "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }

    def _register_node(self) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node_name,
                "labels": {
                    "kubernetes.io/hostname": self.node_name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    NODE_LABEL: "true",
                },
            },
            "spec": {},
        }
        try:
            self.core.create_node(body, _preload_content=False)
        except Exception as exc:
            if _api_error_status(exc) != 409:
                raise
        self.core.patch_node_status(
            self.node_name,
            {"status": self._node_status()},
            _content_type="application/merge-patch+json",
            _preload_content=False,
        )

    def _heartbeat_loop(self) -> None:
        while not self.stopped.wait(20):
            with contextlib.suppress(Exception):
                self.core.patch_node_status(
                    self.node_name,
                    {"status": self._node_status()},
                    _content_type="application/merge-patch+json",
                    _preload_content=False,
                )

    # -- watches ----------------------------------------------------------------------------------

    def _list_watch_funcs(self, kind: str, namespace: str | None):
        if kind == "pods":
            if namespace is None:
                return self.core.list_pod_for_all_namespaces, {}
            return self.core.list_namespaced_pod, {"namespace": namespace}
        if namespace is None:
            return self.batch.list_job_for_all_namespaces, {}
        return self.batch.list_namespaced_job, {"namespace": namespace}

    def _watch_loop(self, kind: str, namespace: str | None, handler) -> None:
        """List, then watch from the list's resourceVersion; relist on 410 Gone."""
        func, kwargs = self._list_watch_funcs(kind, namespace)
        rv = None
        while not self.stopped.is_set():
            try:
                if rv is None:
                    listing = json.loads(func(**kwargs, _preload_content=False).data)
                    rv = listing["metadata"]["resourceVersion"]
                    for item in listing.get("items") or []:
                        handler("ADDED", item)
                resp = func(
                    **kwargs,
                    watch=True,
                    resource_version=rv,
                    allow_watch_bookmarks=True,
                    timeout_seconds=WATCH_TIMEOUT_SECONDS,
                    _preload_content=False,
                    _request_timeout=(10, WATCH_TIMEOUT_SECONDS + 30),
                )
                with self._lock:
                    self._responses.add(resp)
                try:
                    for line in resp:
                        if self.stopped.is_set():
                            break
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        obj = event.get("object") or {}
                        if event["type"] == "ERROR":
                            if obj.get("code") == 410:
                                rv = None
                            break
                        rv = obj.get("metadata", {}).get("resourceVersion", rv)
                        if event["type"] != "BOOKMARK":
                            handler(event["type"], obj)
                finally:
                    with self._lock:
                        self._responses.discard(resp)
                    with contextlib.suppress(Exception):
                        resp.release_conn()
            except Exception as exc:  # noqa: BLE001 - keep watching
                if self.stopped.is_set():
                    return
                if _api_error_status(exc) == 410:
                    rv = None
                    continue
                log.warning("%s watch (%s) error: %s", kind, namespace, exc)
                self.stopped.wait(0.5)

    # -- pods ------------------------------------------------------------------------------------

    def _on_pod_event(self, kind: str, pod: dict) -> None:
        meta = pod["metadata"]
        spec = pod.get("spec") or {}
        uid = meta["uid"]
        key = (meta["namespace"], meta["name"])
        owner_job = _controller_job(pod)
        if owner_job and self.jobs_enabled:
            self._job_queue.put((meta["namespace"], owner_job))

        if kind == "DELETED":
            with self._lock:
                run = self._by_uid.pop(uid, None)
                if run is not None and self._runs.get(key) is run:
                    del self._runs[key]
            if run is not None:
                threading.Thread(target=run.kill, args=(0,), daemon=True).start()
            return

        node = spec.get("nodeName")
        if meta.get("deletionTimestamp"):
            if node == self.node_name:
                self._delete_bound_pod(pod)
            return
        if not node:
            self._schedule(pod)
        elif node == self.node_name:
            self._run_pod(pod)

    def _schedule(self, pod: dict) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        with self._lock:
            if uid in self._handled:
                return
            self._handled.add(uid)
        behaviours = self.behaviours_of(pod)
        if "stuck-pending" in behaviours:
            return
        if "unschedulable" in behaviours:
            t = now()
            self.patch_pod_status(
                meta["namespace"],
                meta["name"],
                {
                    "phase": "Pending",
                    "conditions": [
                        {
                            "type": "PodScheduled",
                            "status": "False",
                            "reason": "Unschedulable",
                            "message": "0/1 nodes are available: 1 Insufficient cpu.",
                            "lastProbeTime": None,
                            "lastTransitionTime": t,
                        }
                    ],
                },
            )
            return
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "uid": uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.node_name},
        }
        try:
            self.core.create_namespaced_binding(meta["namespace"], binding, _preload_content=False)
        except Exception as exc:  # noqa: BLE001 - retried on the next event
            log.warning("pod %s/%s: binding failed: %s", meta["namespace"], meta["name"], exc)
            with self._lock:
                self._handled.discard(uid)
            return
        # The MODIFIED event with spec.nodeName set starts the pod; start it now
        # to save a round trip (the uid guard makes that idempotent).
        pod = json.loads(json.dumps(pod))
        pod["spec"]["nodeName"] = self.node_name
        self._run_pod(pod)

    def _run_pod(self, pod: dict) -> None:
        meta = pod["metadata"]
        status = pod.get("status") or {}
        with self._lock:
            if meta["uid"] in self._by_uid or self.stopped.is_set():
                return
            if status.get("phase") in ("Succeeded", "Failed"):
                return  # finished before this agent started
            if status.get("containerStatuses") and f"run:{meta['uid']}" not in self._handled:
                # Started by an earlier agent for this node: it is lost.
                self._handled.add(f"run:{meta['uid']}")
            run = PodRun(self, pod)
            self._runs[run.key] = run
            self._by_uid[run.uid] = run
            self._handled.add(meta["uid"])
        run.thread.start()

    def _delete_bound_pod(self, pod: dict) -> None:
        """Graceful deletion: stop the containers, then confirm with grace period 0."""
        meta = pod["metadata"]
        with self._lock:
            run = self._by_uid.get(meta["uid"])
            if run is not None and run.deleted.is_set():
                return  # already being deleted
        grace = float(meta.get("deletionGracePeriodSeconds") or 0)

        def finish() -> None:
            if run is not None:
                run.kill(min(grace, 30.0))
            try:
                self.core.delete_namespaced_pod(
                    meta["name"],
                    meta["namespace"],
                    body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
                    grace_period_seconds=0,
                    _preload_content=False,
                )
            except Exception as exc:  # noqa: BLE001
                if _api_error_status(exc) not in (404, 409):
                    log.warning("pod %s/%s: final delete failed: %s", meta["namespace"], meta["name"], exc)

        if run is not None:
            run.deleted.set()
        threading.Thread(target=finish, daemon=True, name=f"delete-{meta['name']}").start()

    def patch_pod_status(self, namespace: str, name: str, status: dict) -> None:
        try:
            self.core.patch_namespaced_pod_status(
                name,
                namespace,
                {"status": status},
                _content_type="application/merge-patch+json",
                _preload_content=False,
            )
        except Exception as exc:  # noqa: BLE001
            if _api_error_status(exc) != 404:
                log.warning("pod %s/%s: status update failed: %s", namespace, name, exc)

    def _pod_finished(self, run: PodRun) -> None:
        owner = _controller_job(run.pod)
        if owner and self.jobs_enabled:
            self._job_queue.put((run.namespace, owner))

    # -- jobs --------------------------------------------------------------------------------------

    def _on_job_event(self, kind: str, job: dict) -> None:
        meta = job["metadata"]
        if kind == "DELETED":
            self._job_queue.put(("deleted", meta["namespace"], meta["name"], meta["uid"]))
            return
        self._job_queue.put((meta["namespace"], meta["name"]))

    def _job_worker(self) -> None:
        deadlines: dict[tuple[str, str], float] = {}
        while not self.stopped.is_set():
            timeout = None
            if deadlines:
                timeout = max(0.0, min(deadlines.values()) - time.monotonic())
            try:
                item = self._job_queue.get(timeout=timeout)
            except queue.Empty:
                due = [k for k, t in deadlines.items() if t <= time.monotonic()]
                for k in due:
                    deadlines.pop(k, None)
                    self._job_queue.put(k)
                continue
            if item is None:
                return
            pending = {item}
            while True:  # coalesce a burst of events
                try:
                    extra = self._job_queue.get_nowait()
                except queue.Empty:
                    break
                if extra is None:
                    return
                pending.add(extra)
            for key in sorted(pending, key=str):
                try:
                    if key[0] == "deleted":
                        self._job_deleted(*key[1:])
                        continue
                    wake = self._reconcile_job(*key)
                    if wake is not None:
                        deadlines[key] = time.monotonic() + wake
                    else:
                        deadlines.pop(key, None)
                except Exception as exc:  # noqa: BLE001
                    if _api_error_status(exc) != 404:
                        log.warning("job %s: reconcile failed: %s", key, exc)

    def _job_pods(self, namespace: str, uid: str) -> list[dict]:
        listing = json.loads(
            self.core.list_namespaced_pod(
                namespace, label_selector=f"controller-uid={uid}", _preload_content=False
            ).data
        )
        return listing.get("items") or []

    def _job_deleted(self, namespace: str, name: str, uid: str) -> None:
        for pod in self._job_pods(namespace, uid):
            with contextlib.suppress(Exception):
                self.core.delete_namespaced_pod(pod["metadata"]["name"], namespace, _preload_content=False)

    def _reconcile_job(self, namespace: str, name: str) -> float | None:
        """Bring one Job's pods and status in line; returns seconds until its deadline."""
        job = self._get_json(self.batch.read_namespaced_job, name, namespace)
        meta, spec = job["metadata"], job["spec"]
        status = job.get("status") or {}
        conditions = status.get("conditions") or []
        if meta.get("deletionTimestamp"):
            return None
        if any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions):
            return None
        uid = meta["uid"]
        pods = self._job_pods(namespace, uid)
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        active = [
            p
            for p in pods
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")
        ]
        parallelism = spec.get("parallelism", 1)
        completions = spec.get("completions")
        backoff_limit = spec.get("backoffLimit", 6)
        deadline = spec.get("activeDeadlineSeconds")
        start_time = status.get("startTime") or now()
        t = now()

        finished = None  # (type, reason, message)
        if failed > backoff_limit:
            finished = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        elif deadline is not None and _age_seconds(start_time) >= deadline:
            finished = ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
        elif (completions is not None and succeeded >= completions) or (
            completions is None and succeeded > 0 and not active
        ):
            finished = ("Complete", None, None)

        if finished and finished[0] == "Failed":
            for pod in active:
                with contextlib.suppress(Exception):
                    self.core.delete_namespaced_pod(pod["metadata"]["name"], namespace, _preload_content=False)
            active = []
        elif not finished:
            if completions is None:
                want = parallelism if succeeded == 0 else 0
            else:
                want = min(parallelism, completions - succeeded)
            for _ in range(max(0, want - len(active))):
                active.append(self._create_job_pod(job))

        new_status: dict = {
            "startTime": start_time,
            "active": len(active) or None,
            "succeeded": succeeded or None,
            "failed": failed or None,
        }
        if finished:
            cond = {"type": finished[0], "status": "True", "lastProbeTime": t, "lastTransitionTime": t}
            if finished[1]:
                cond["reason"], cond["message"] = finished[1], finished[2]
            new_status["conditions"] = [*conditions, cond]
            if finished[0] == "Complete":
                new_status["completionTime"] = t
        if any(status.get(k) != v for k, v in new_status.items()):
            self.batch.patch_namespaced_job_status(
                name,
                namespace,
                {"status": new_status},
                _content_type="application/merge-patch+json",
                _preload_content=False,
            )
        if finished or deadline is None:
            return None
        return max(0.1, deadline - _age_seconds(start_time))

    def _create_job_pod(self, job: dict) -> dict:
        meta = job["metadata"]
        template = json.loads(json.dumps(job["spec"]["template"]))
        pod_meta = template.get("metadata") or {}
        labels = dict(pod_meta.get("labels") or {})
        labels.setdefault("controller-uid", meta["uid"])
        labels.setdefault("job-name", meta["name"])
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": pod_meta.get("annotations") or {},
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template["spec"],
        }
        resp = self.core.create_namespaced_pod(meta["namespace"], body, _preload_content=False)
        return json.loads(resp.data)

    # -- helpers for tests ----------------------------------------------------------------------------

    def wait_for_pod_run(self, namespace: str, name: str, timeout: float = 30.0) -> PodRun:
        """The agent's record of a pod, once it has taken it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                run = self._runs.get((namespace, name))
            if run is not None:
                return run
            time.sleep(0.05)
        raise TimeoutError(f"node agent never took pod {namespace}/{name}")

    def pod_output(self, namespace: str, name: str, container: str | None = None) -> str:
        """The captured output of a container (the first one by default)."""
        with self._lock:
            run = self._runs.get((namespace, name))
        if run is None:
            raise KeyError(f"{namespace}/{name}")
        for c in run.containers + run.init_containers:
            if (container is None or c.name == container) and c.log is not None:
                return c.log.text()
        return ""


def _age_seconds(timestamp: str) -> float:
    started = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    return (datetime.datetime.now(datetime.UTC) - started).total_seconds()


def _controller_job(obj: dict) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "Job":
            return ref["name"]
    return None


def _field_ref(pod: dict, path: str, node_name: str) -> str:
    meta = pod["metadata"]
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": node_name,
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", ""),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
        "status.podIPs": "127.0.0.1",
    }
    if path in simple:
        return simple[path]
    for prefix, key in (("metadata.labels", "labels"), ("metadata.annotations", "annotations")):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return (meta.get(key) or {}).get(path[len(prefix) + 2 : -2], "")
    return ""


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion (``$$`` escapes)."""
    out, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("$(", i) and ")" in value[i:]:
            end = value.index(")", i)
            name = value[i + 2 : end]
            out.append(env.get(name, value[i : end + 1]))
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


# --- command line ---------------------------------------------------------------------------------


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.kube.node_agent",
        description="Run the test cluster's node agent (kubelet stand-in).",
    )
    parser.add_argument(
        "--kubeconfig",
        default=os.environ.get("KUBECONFIG"),
        help="kubeconfig of the test cluster (default: $KUBECONFIG, else the running test cluster)",
    )
    parser.add_argument(
        "--namespace", "-n", action="append", help="namespace to serve (repeatable; default: all namespaces)"
    )
    parser.add_argument("--node-name", default=None)
    parser.add_argument("--workdir", default=str(REPO_ROOT), help="where container processes run")
    parser.add_argument("--python", default=sys.executable, help="interpreter for container commands 'python ...'")
    parser.add_argument("--no-jobs", action="store_true", help="do not play the Job controller")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    kubeconfig = args.kubeconfig
    if not kubeconfig:
        from .cluster import find_running_cluster

        cluster = find_running_cluster()
        if cluster is None:
            print("error: no --kubeconfig and no running test cluster", file=sys.stderr)
            return 1
        kubeconfig = str(cluster.kubeconfig_path)
    agent = NodeAgent(
        kubeconfig=kubeconfig,
        namespaces=args.namespace,
        node_name=args.node_name,
        workdir=args.workdir,
        python=args.python,
        jobs=not args.no_jobs,
    )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    agent.start()
    print(f"node {agent.node_name} ready (logs on https://127.0.0.1:{agent.port})", file=sys.stderr)
    done.wait()
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
