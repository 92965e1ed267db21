"""A fault-injecting HTTP(S) proxy in front of the test apiserver.

By default it passes every request through, streaming responses (watches
included). A test can make it answer the next N matching requests with an
error (429 with Retry-After, 500, 503, ...) and cut every open watch
connection::

    with FaultProxy(cluster.server, ca_path=cluster.ca_path) as proxy:
        kubeconfig = proxy.write_kubeconfig(tmp_path / "kubeconfig", token=cluster.token)
        proxy.inject(429, method="POST", path="/api/v1/namespaces/ns/pods", count=2, retry_after=1)
        proxy.inject_watch_error(410, path="/pods", after_events=1)   # 410 mid-stream
        proxy.drop_watches()
        proxy.requests           # [(method, path, status), ...] as seen by the proxy

``path`` is a regular expression searched in the request path (query
string excluded). The proxy listens on 127.0.0.1 only, with its own
self-signed certificate (``proxy.ca_path``) or, with ``tls=False``, plain HTTP.
Connection upgrades (exec, attach, port-forward) are not supported.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from . import certs
from .cluster import write_kubeconfig

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
REASONS = {
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "Timeout",
    409: "Conflict",
    410: "Expired",
    403: "Forbidden",
    404: "NotFound",
}


@dataclass
class Fault:
    status: int
    method: str | None = None
    path: str | None = None
    count: int = 1
    retry_after: int | None = None
    message: str | None = None
    watch: bool | None = None  # None: any; True: only watch requests; False: no watches
    hits: int = 0

    def matches(self, method: str, path: str, is_watch: bool) -> bool:
        if self.count <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path and not re.search(self.path, path):
            return False
        return self.watch is None or self.watch == is_watch


@dataclass
class WatchFault:
    """An ERROR event sent in a watch stream (after ``after_events`` real events), then the end."""

    code: int = 410
    path: str | None = None
    after_events: int = 0
    count: int = 1
    message: str | None = None
    hits: int = 0

    def event_line(self) -> bytes:
        reason = REASONS.get(self.code, "InternalError")
        message = self.message or (
            "too old resource version: 1 (2)" if self.code == 410 else f"injected by the test proxy: {reason}"
        )
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": self.code,
        }
        return json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"


@dataclass
class _Watch:
    downstream: socket.socket
    upstream: http.client.HTTPConnection
    path: str
    opened: float = field(default_factory=time.monotonic)


def _is_watch(query: str) -> bool:
    q = urllib.parse.parse_qs(query)
    return q.get("watch", ["false"])[0] in ("true", "1")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wicn-fault-proxy"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _proxy(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        is_watch = _is_watch(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None

        fault = proxy._take_fault(self.command, url.path, is_watch)
        if fault is not None:
            self._send_fault(fault)
            proxy._record(self.command, self.path, fault.status, injected=True)
            return

        watch_fault = proxy._take_watch_fault(url.path) if is_watch else None
        if watch_fault is not None and watch_fault.after_events == 0:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            line = watch_fault.event_line()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(line), line))
            proxy._record(self.command, self.path, 200, injected=True)
            return

        upstream = proxy._connect_upstream()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = proxy.upstream_netloc
        if body is not None:
            headers["Content-Length"] = str(len(body))
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            resp = upstream.getresponse()
        except OSError as exc:
            upstream.close()
            self._send_fault(Fault(502, message=f"proxy: upstream error: {exc}"))
            proxy._record(self.command, self.path, 502, injected=False)
            return
        proxy._record(self.command, self.path, resp.status, injected=False)

        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        declared = resp.getheader("Content-Length")
        no_body = self.command == "HEAD" or resp.status in (204, 304)
        if (declared is not None or no_body) and not is_watch:
            data = resp.read()
            self.send_header("Content-Length", declared if self.command == "HEAD" and declared else str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()
            return

        # Streaming: relay as chunked, chunk by chunk as they arrive.
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        watch = _Watch(self.connection, upstream, self.path) if is_watch else None
        if watch:
            proxy._add_watch(watch)
        events_left = watch_fault.after_events if watch_fault else None
        pending = b""
        try:
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                if events_left is not None:
                    # Pass whole events through, then the injected error.
                    pending += chunk
                    out = b""
                    while events_left > 0 and b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        out += line + b"\n"
                        events_left -= 1
                    if events_left == 0:
                        out += watch_fault.event_line()
                    if out:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(out), out))
                    if events_left == 0:
                        proxy._record(self.command, self.path, watch_fault.code, injected=True)
                        break
                    self.wfile.flush()
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        finally:
            if watch:
                proxy._remove_watch(watch)
            upstream.close()

    def _send_fault(self, fault: Fault) -> None:
        reason = REASONS.get(fault.status, "InternalError")
        message = fault.message or f"injected by the test proxy: {fault.status} {reason}"
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": fault.status,
        }
        if fault.retry_after is not None:
            status["details"] = {"retryAfterSeconds": fault.retry_after}
        data = json.dumps(status).encode()
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if fault.retry_after is not None:
            self.send_header("Retry-After", str(fault.retry_after))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    """A loopback proxy to ``upstream`` (e.g. ``https://127.0.0.1:6443``)."""

    def __init__(
        self, upstream: str, *, ca_path: str | Path | None = None, tls: bool = True, insecure_upstream: bool = False
    ):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_scheme = parsed.scheme
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.upstream_netloc = parsed.netloc
        self.upstream_ca = str(ca_path) if ca_path else None
        self._upstream_ctx = None
        if self.upstream_scheme == "https":
            ctx = ssl.create_default_context(cafile=self.upstream_ca)
            if insecure_upstream:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._upstream_ctx = ctx
        self.tls = tls
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._watch_faults: list[WatchFault] = []
        self._watches: list[_Watch] = []
        self.requests: list[tuple[str, str, int]] = []
        self.injected: list[tuple[str, str, int]] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="wicn-fault-proxy-")
        self.ca_path: Path | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> FaultProxy:
        server = _Server(("127.0.0.1", 0), _Handler)
        if self.tls:
            ca, leaf = certs.make_self_signed(Path(self._tmp.name), "fault-proxy")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(leaf.cert), str(leaf.key))
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
            self.ca_path = ca.cert
        server.proxy = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.drop_watches()
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        self._tmp.cleanup()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "proxy not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path: str | Path, *, token: str, namespace: str | None = None) -> Path:
        """A kubeconfig that reaches the apiserver through this proxy with ``token``."""
        return write_kubeconfig(
            Path(path), self.url, token=token, ca_path=self.ca_path, namespace=namespace, context="wicn-test-via-proxy"
        )

    # -- faults ----------------------------------------------------------------------

    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str | None = None,
        count: int = 1,
        retry_after: int | None = None,
        message: str | None = None,
        watch: bool | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests with ``status`` instead of forwarding."""
        fault = Fault(status, method, path, count, retry_after, message, watch)
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject_watch_error(
        self,
        code: int = 410,
        *,
        path: str | None = None,
        after_events: int = 0,
        count: int = 1,
        message: str | None = None,
    ) -> WatchFault:
        """End the next ``count`` matching watches with an ERROR event (``410 Expired`` by default).

        With ``after_events=0`` the watch gets only the error, as a watch
        started from a too old resourceVersion does; otherwise the first
        ``after_events`` real events pass through before it (an error in the
        middle of the stream).
        """
        fault = WatchFault(code, path, after_events, count, message)
        with self._lock:
            self._watch_faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget pending faults and the request log."""
        with self._lock:
            self._faults.clear()
            self._watch_faults.clear()
            self.requests.clear()
            self.injected.clear()

    def drop_watches(self, path: str | None = None) -> int:
        """Cut every open watch connection (whose path matches ``path``); returns how many."""
        with self._lock:
            victims = [w for w in self._watches if path is None or re.search(path, w.path)]
        for w in victims:
            # Shut the sockets down rather than closing them: close() would wait
            # for the relaying thread, blocked in a read, to let go of them.
            for sock in (w.downstream, getattr(w.upstream, "sock", None)):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
        return len(victims)

    def open_watches(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for w in self._watches if path is None or re.search(path, w.path))

    def wait_for_watch(self, path: str | None = None, timeout: float = 10.0) -> None:
        """Block until a watch (matching ``path``) is open through the proxy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open_watches(path):
                return
            time.sleep(0.02)
        raise TimeoutError(f"no watch matching {path!r} opened through the proxy")

    # -- internals -----------------------------------------------------------------------

    def _take_fault(self, method: str, path: str, is_watch: bool) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, is_watch):
                    fault.count -= 1
                    fault.hits += 1
                    return fault
        return None

    def _take_watch_fault(self, path: str) -> WatchFault | None:
        with self._lock:
            for fault in self._watch_faults:
                if fault.count > 0 and (not fault.path or re.search(fault.path, path)):
                    fault.count -= 1
                    fault.hits += 1
                    return fault
        return None

    def _record(self, method: str, path: str, status: int, *, injected: bool) -> None:
        with self._lock:
            self.requests.append((method, path, status))
            if injected:
                self.injected.append((method, path, status))

    def _connect_upstream(self) -> http.client.HTTPConnection:
        if self.upstream_scheme == "https":
            return http.client.HTTPSConnection(
                self.upstream_host, self.upstream_port, context=self._upstream_ctx, timeout=None
            )
        return http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=None)

    def _add_watch(self, watch: _Watch) -> None:
        with self._lock:
            self._watches.append(watch)

    def _remove_watch(self, watch: _Watch) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._watches.remove(watch)
