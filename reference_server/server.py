"""The threaded HTTP server and `start_server` for in-process use (tests, notebooks)."""

from __future__ import annotations

import socket
import socketserver
import threading
from http.server import ThreadingHTTPServer

from .app import App, Options
from .handler import Handler

_LINGER_SECONDS = 0.5
_LINGER_BYTES = 1024 * 1024


class ReferenceServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must never keep the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall
        # for seconds on a machine without a resolver; the name is never needed
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def shutdown_request(self, request) -> None:
        # Closing a socket with unread input makes the kernel send RST, which can destroy
        # the error answer before the client reads it (a refused huge body, a 414).
        # Send FIN first, then drain a bounded amount so the answer survives.
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(_LINGER_SECONDS)
            drained = 0
            while drained < _LINGER_BYTES:
                chunk = request.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        self.close_request(request)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_options(**options) -> Options:
    """Options from keyword arguments, accepting the CLI's spellings (lists, "404")."""
    if "na_projects" in options:
        options["na_projects"] = frozenset(options["na_projects"] or ())
    if "faults" in options:
        options["faults"] = tuple(options["faults"] or ())
    if "unknown_job_status" in options:
        options["unknown_job_status"] = int(options["unknown_job_status"])
    return Options(**options)


def start_server(host: str = "127.0.0.1", port: int = 0, **options):
    """Start serving in a daemon thread; returns (server, thread). `server.url` is the base
    URL; stop with `stop_server(server, thread)`."""
    server = ReferenceServer((host, port), App(make_options(**options)))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
        name=f"reference-server-{server.server_address[1]}",
    )
    thread.start()
    return server, thread


def stop_server(server: ReferenceServer, thread: threading.Thread | None = None) -> None:
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)
