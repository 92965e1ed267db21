"""A real kube-apiserver backed by a real etcd, on loopback, for tests.

Python API::

    cluster = start_cluster(state_dir)          # or find_running_cluster()
    cluster.kubeconfig_path, cluster.server, cluster.token, cluster.ca_path
    cluster.api_client()                        # kubernetes.client.ApiClient
    cluster.stop()

Command line (from the repository root)::

    python -m tests.support.kube.cluster start [--no-watch-cache]
    python -m tests.support.kube.cluster status
    python -m tests.support.kube.cluster env      # prints export KUBECONFIG=...
    python -m tests.support.kube.cluster stop

The binary comes from ``tests/support/kube/build.sh``; the state directory
(certificates, kubeconfig, pid files, logs) defaults to
``${WICN_KUBE_STATE:-~/.cache/wicn/kube/run}``. etcd keeps its data in a
temporary folder removed by ``stop``. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path

from . import certs

KUBE_VERSION = "1.20.2"
HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build.sh"
BUILD_COMMAND = "make test-cluster  (or: tests/support/kube/build.sh)"
ADMIN_USER = "wicn-admin"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
READY_TIMEOUT = 90.0


class ClusterError(RuntimeError):
    """The test cluster could not be started or reached."""


def cache_root() -> Path:
    return Path(os.environ.get("WICN_KUBE_CACHE") or Path.home() / ".cache" / "wicn" / "kube")


def default_state_dir() -> Path:
    return Path(os.environ.get("WICN_KUBE_STATE") or cache_root() / "run")


def apiserver_binary() -> Path:
    """Path of the kube-apiserver binary: ``$WICN_KUBE_APISERVER`` or the build cache."""
    explicit = os.environ.get("WICN_KUBE_APISERVER")
    if explicit:
        return Path(explicit)
    return cache_root() / KUBE_VERSION / "kube-apiserver"


def etcd_binary() -> Path | None:
    found = os.environ.get("WICN_ETCD") or shutil.which("etcd") or "/usr/bin/etcd"
    return Path(found) if Path(found).exists() else None


def missing_parts() -> list[str]:
    """What is missing to start a cluster (empty when everything is there)."""
    missing = []
    if not os.access(apiserver_binary(), os.X_OK):
        missing.append(f"kube-apiserver binary ({apiserver_binary()})")
    if etcd_binary() is None:
        missing.append("etcd (Debian package etcd-server)")
    return missing


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this process still answers kill(0).
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _terminate(pid: int | None, timeout: float = 10.0) -> None:
    if not _pid_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    token: str,
    ca_path: Path | None = None,
    insecure: bool = False,
    user: str = "wicn-admin",
    context: str = "wicn-test",
    namespace: str | None = None,
) -> Path:
    """Write a kubeconfig naming ``server``, its CA and a bearer token."""
    cluster: dict = {"server": server}
    if ca_path is not None:
        cluster["certificate-authority"] = str(ca_path)
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    ctx: dict = {"cluster": context, "user": user}
    if namespace:
        ctx["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(config, fh, indent=2)  # JSON is valid YAML
    os.replace(tmp, path)
    return path


@dataclass
class Cluster:
    """A running apiserver (+ etcd) and how to reach it."""

    state_dir: Path
    server: str
    token: str
    ca_path: Path
    kubeconfig_path: Path
    etcd_url: str = ""
    apiserver_pid: int | None = None
    etcd_pid: int | None = None
    etcd_data_dir: str = ""
    watch_cache: bool = True
    apiserver_args: list = field(default_factory=list)
    version: str = KUBE_VERSION
    # Whether this is the loopback test cluster (False for an external cluster
    # given by a kubeconfig, where no node agent may be run).
    is_test_cluster: bool = True
    _owned_procs: list = field(default_factory=list, repr=False, compare=False)

    # -- persistence ---------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    def save(self) -> None:
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data = {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self.state_file)
        (self.state_dir / "apiserver.pid").write_text(f"{self.apiserver_pid}\n")
        (self.state_dir / "etcd.pid").write_text(f"{self.etcd_pid}\n")

    @classmethod
    def load(cls, state_dir: Path) -> Cluster | None:
        try:
            data = json.loads((Path(state_dir) / "cluster.json").read_text())
        except (OSError, ValueError):
            return None
        for key in ("state_dir", "ca_path", "kubeconfig_path"):
            data[key] = Path(data[key])
        data.pop("_owned_procs", None)
        return cls(**data)

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Cluster:
        """Describe an external cluster (no lifecycle control) from a kubeconfig."""
        from kubernetes import client
        from kubernetes import config as kconfig

        client_cfg = client.Configuration()
        kconfig.load_kube_config(config_file=str(path), client_configuration=client_cfg)
        token = (client_cfg.api_key or {}).get("authorization", "")
        return cls(
            state_dir=Path(path).parent,
            server=client_cfg.host,
            token=token.removeprefix("Bearer "),
            ca_path=Path(getattr(client_cfg, "ssl_ca_cert", "") or ""),
            kubeconfig_path=Path(path),
            is_test_cluster=False,
        )

    # -- health ----------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def request(
        self, path: str, *, method: str = "GET", body: bytes | None = None, timeout: float = 5.0
    ) -> tuple[int, bytes]:
        """A raw authenticated request to the apiserver; returns (status, body)."""
        req = urllib.request.Request(self.server + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def is_ready(self) -> bool:
        """/readyz answers ok and the "default" namespace exists: the apiserver's bootstrap
        controller creates it only after /readyz first says ok, and tests use it at once."""
        try:
            status, body = self.request("/readyz", timeout=3)
            if status != 200 or body.strip() != b"ok":
                return False
            status, _ = self.request("/api/v1/namespaces/default", timeout=3)
        except (OSError, ssl.SSLError):
            return False
        return status == 200

    def processes_alive(self) -> bool:
        return _pid_alive(self.apiserver_pid) and _pid_alive(self.etcd_pid)

    # -- clients -----------------------------------------------------------------

    def client_configuration(self):
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.server
        cfg.ssl_ca_cert = str(self.ca_path)
        cfg.api_key = {"authorization": f"Bearer {self.token}"}
        return cfg

    def api_client(self):
        """A fresh ``kubernetes.client.ApiClient`` with admin rights."""
        from kubernetes import client

        return client.ApiClient(self.client_configuration())

    # -- etcd ------------------------------------------------------------------------

    def _etcd(self, path: str, payload: dict) -> dict:
        req = urllib.request.Request(
            self.etcd_url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")

    def etcd_revision(self) -> int:
        """The current etcd revision (what the apiserver uses as resourceVersion)."""
        reply = self._etcd("/v3/kv/range", {"key": "AA==", "limit": 1})  # key "\0"
        return int(reply["header"]["revision"])

    def compact_etcd(self, revision: int | None = None) -> int:
        """Compact etcd history up to ``revision`` (default: now); returns it.

        With ``watch_cache=False`` a later watch from an older resourceVersion
        gets a real 410 Gone from etcd through the apiserver.
        """
        if not self.etcd_url:
            raise ClusterError("this cluster's etcd is not reachable")
        revision = revision or self.etcd_revision()
        self._etcd("/v3/kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    # -- lifecycle ---------------------------------------------------------------

    def restart_apiserver(self, timeout: float = READY_TIMEOUT) -> None:
        """Restart kube-apiserver on the same port, keeping etcd and its data.

        Its watch cache starts afresh, so a watch from a resourceVersion
        older than the restart gets ``410 Gone`` -- as after an apiserver
        upgrade in a real cluster.
        """
        if not (self.is_test_cluster and self.apiserver_args):
            raise ClusterError("only a test cluster started by this module can be restarted")
        _terminate(self.apiserver_pid)
        log_path = self.state_dir / "apiserver.log"
        deadline = time.monotonic() + 10
        while True:  # the old process may hold the port for a moment
            proc = _spawn(self.apiserver_args, log_path)
            self.apiserver_pid = proc.pid
            self._owned_procs.append(proc)
            try:
                _wait(self.is_ready, timeout, "kube-apiserver", proc, log_path)
                break
            except ClusterError as exc:
                if "address already in use" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.save()

    def stop(self) -> None:
        """Stop the apiserver and etcd, and remove etcd's data."""
        if not self.is_test_cluster:
            return
        _terminate(self.apiserver_pid)
        _terminate(self.etcd_pid)
        for proc in self._owned_procs:
            with contextlib.suppress(Exception):
                proc.wait(timeout=1)
        self._owned_procs.clear()
        if self.etcd_data_dir:
            shutil.rmtree(self.etcd_data_dir, ignore_errors=True)
        for name in ("cluster.json", "apiserver.pid", "etcd.pid"):
            with contextlib.suppress(FileNotFoundError):
                (self.state_dir / name).unlink()

    def env(self) -> dict[str, str]:
        return {"KUBECONFIG": str(self.kubeconfig_path)}


def find_running_cluster(state_dir: Path | None = None) -> Cluster | None:
    """The cluster recorded in ``state_dir`` if its processes run and it is ready."""
    cluster = Cluster.load(Path(state_dir or default_state_dir()))
    if cluster is None or not cluster.processes_alive():
        return None
    return cluster if cluster.is_ready() else None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClusterError(f"{what} exited with code {proc.returncode}:\n{_tail(log)}")
        if predicate():
            return
        time.sleep(0.1)
    raise ClusterError(f"{what} not ready after {timeout:.0f} s:\n{_tail(log)}")


def _prepare_pki(state_dir: Path) -> dict[str, Path]:
    pki = state_dir / "pki"
    ca_cert = pki / "ca.crt"
    paths = {
        "ca": ca_cert,
        "serving_cert": pki / "apiserver.crt",
        "serving_key": pki / "apiserver.key",
        "sa_key": pki / "sa.key",
        "sa_pub": pki / "sa.pub",
    }
    if all(p.exists() for p in paths.values()) and (pki / "ca.key").exists():
        return paths
    ca = certs.make_ca(pki)
    certs.make_leaf(
        ca,
        pki,
        "apiserver",
        common_name="kube-apiserver",
        names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
        ips=("127.0.0.1", "10.0.0.1"),
    )
    certs.make_rsa_keypair(paths["sa_key"], paths["sa_pub"])
    return paths


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen:
    log_fh = open(log, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the starting process (CLI start)
            close_fds=True,
        )
    finally:
        log_fh.close()


def start_cluster(
    state_dir: Path | None = None,
    watch_cache: bool = True,
    *,
    timeout: float = READY_TIMEOUT,
    extra_apiserver_args: list[str] | None = None,
) -> Cluster:
    """Start etcd and kube-apiserver on free loopback ports; wait for /readyz.

    Any cluster previously recorded in ``state_dir`` is stopped first.
    """
    missing = missing_parts()
    if missing:
        raise ClusterError(
            "cannot start the test cluster, missing: " + "; ".join(missing) + f". Build it with: {BUILD_COMMAND}"
        )
    state_dir = Path(state_dir or default_state_dir())
    state_dir.mkdir(parents=True, exist_ok=True)
    previous = Cluster.load(state_dir)
    if previous is not None:
        previous.stop()

    pki = _prepare_pki(state_dir)
    token_file = state_dir / "tokens.csv"
    if token_file.exists():
        token = token_file.read_text().split(",", 1)[0]
    else:
        token = secrets.token_hex(24)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f'{token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')

    last_error: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between probe and bind
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        data_dir = tempfile.mkdtemp(prefix="wicn-etcd-")
        etcd_log = state_dir / "etcd.log"
        api_log = state_dir / "apiserver.log"
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        etcd = _spawn(
            [
                str(etcd_binary()),
                "--name=wicn-test",
                f"--data-dir={data_dir}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=wicn-test=http://127.0.0.1:{peer_port}",
                "--initial-cluster-state=new",
                "--logger=zap",
                "--log-outputs=stderr",
                "--log-level=warn",
                "--snapshot-count=10000",
                "--quota-backend-bytes=1073741824",
            ],
            etcd_log,
        )
        cluster = Cluster(
            state_dir=state_dir,
            server=f"https://127.0.0.1:{api_port}",
            token=token,
            ca_path=pki["ca"],
            kubeconfig_path=state_dir / "kubeconfig",
            etcd_url=etcd_url,
            etcd_pid=etcd.pid,
            etcd_data_dir=data_dir,
            watch_cache=watch_cache,
            _owned_procs=[etcd],
        )
        try:
            _wait(lambda url=etcd_url: _etcd_healthy(url), 20, "etcd", etcd, etcd_log)
            cluster.apiserver_args = [
                str(apiserver_binary()),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                f"--secure-port={api_port}",
                "--insecure-port=0",
                "--advertise-address=127.0.0.1",
                "--endpoint-reconciler-type=none",
                f"--tls-cert-file={pki['serving_cert']}",
                f"--tls-private-key-file={pki['serving_key']}",
                f"--client-ca-file={pki['ca']}",
                f"--token-auth-file={token_file}",
                "--authorization-mode=Node,RBAC",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki['sa_pub']}",
                f"--service-account-signing-key-file={pki['sa_key']}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--disable-admission-plugins=ServiceAccount",
                "--enable-garbage-collector=false",
                "--kubelet-preferred-address-types=InternalIP",
                "--allow-privileged=true",
                "--profiling=false",
                f"--watch-cache={'true' if watch_cache else 'false'}",
                "--v=1",
                *(extra_apiserver_args or []),
            ]
            api = _spawn(cluster.apiserver_args, api_log)
            cluster.apiserver_pid = api.pid
            cluster._owned_procs.append(api)
            _wait(cluster.is_ready, timeout, "kube-apiserver", api, api_log)
        except Exception as exc:
            cluster.stop()
            last_error = exc
            if "address already in use" in str(exc):
                continue
            raise
        try:
            write_kubeconfig(cluster.kubeconfig_path, cluster.server, token=token, ca_path=pki["ca"])
            cluster.save()
        except BaseException:
            cluster.stop()
            raise
        return cluster
    raise ClusterError(f"could not start the test cluster: {last_error}")


def _etcd_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as resp:
            return json.loads(resp.read()).get("health") == "true"
    except (OSError, ValueError):
        return False


def ensure_cluster(state_dir: Path | None = None, watch_cache: bool = True) -> Cluster:
    """The running cluster in ``state_dir``, or a freshly started one."""
    running = find_running_cluster(state_dir)
    if running is not None and running.watch_cache == watch_cache:
        return running
    return start_cluster(state_dir, watch_cache=watch_cache)


# --- command line ------------------------------------------------------------------


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.kube.cluster",
        description="Run the loopback Kubernetes test cluster (kube-apiserver + etcd).",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="state directory (default: $WICN_KUBE_STATE or ~/.cache/wicn/kube/run)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start (or reuse) the cluster and print its kubeconfig path")
    start.add_argument(
        "--no-watch-cache",
        action="store_true",
        help="run the apiserver with --watch-cache=false (etcd compaction gives 410)",
    )
    start.add_argument("--restart", action="store_true", help="stop a running cluster first")
    sub.add_parser("stop", help="stop the cluster")
    sub.add_parser("status", help="exit 0 when the cluster is ready")
    sub.add_parser("env", help="print shell exports for the running cluster")
    args = parser.parse_args(argv)
    state_dir = args.state_dir or default_state_dir()

    if args.command == "start":
        watch_cache = not args.no_watch_cache
        running = None if args.restart else find_running_cluster(state_dir)
        if running is not None and running.watch_cache == watch_cache:
            print(f"already running: {running.server}", file=sys.stderr)
            cluster = running
        else:
            started = time.monotonic()
            try:
                cluster = start_cluster(state_dir, watch_cache=watch_cache)
            except ClusterError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"started {cluster.server} in {time.monotonic() - started:.1f} s", file=sys.stderr)
        print(cluster.kubeconfig_path)
        return 0
    if args.command == "stop":
        cluster = Cluster.load(state_dir)
        if cluster is None:
            print("not running", file=sys.stderr)
            return 0
        cluster.stop()
        print("stopped", file=sys.stderr)
        return 0
    cluster = find_running_cluster(state_dir)
    if args.command == "status":
        if cluster is None:
            print("not running", file=sys.stderr)
            return 1
        print(
            f"ready: {cluster.server} (apiserver pid {cluster.apiserver_pid}, "
            f"etcd pid {cluster.etcd_pid}, watch cache {'on' if cluster.watch_cache else 'off'})"
        )
        print(f"kubeconfig: {cluster.kubeconfig_path}")
        return 0
    if args.command == "env":
        if cluster is None:
            print("not running", file=sys.stderr)
            return 1
        print(f"export KUBECONFIG={cluster.kubeconfig_path}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(_main())
