"""The event-loop HTTP server and `start_server` for in-process use (tests, notebooks).

One asyncio loop serves every connection (protocol.py); the app runs on it directly, so
the store's lock is never contended and no thread switch sits in the request path
(docs/performance-server.md measured this against http.server's thread per connection,
uvloop and uvicorn).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading

from .app import App, Options
from .protocol import Connection


class ReferenceServer:
    """Listens at construction (so a busy port fails at once); `serve_forever` blocks
    until `shutdown` (from another thread) or, in the main thread, SIGTERM or SIGINT."""

    def __init__(self, address: tuple[str, int], app: App):
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address[:2])
            self.socket.listen(socket.SOMAXCONN)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        self.app = app
        self.connections: set[Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._done = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def admit(self, conn: Connection) -> bool:
        """Count a new connection in; past max_connections the longest idle one is closed
        to make room, and when none is idle the newcomer is refused (False)."""
        if len(self.connections) >= self.app.options.max_connections:
            idle = [c for c in self.connections if c.is_idle()]
            if not idle:
                return False
            oldest = min(idle, key=lambda c: c.last_active)
            self.connections.discard(oldest)  # now: connection_lost comes a loop turn later
            oldest.close()
        self.connections.add(conn)
        return True

    def serve_forever(self, poll_interval: float | None = None) -> None:
        """Serve until stopped (poll_interval: accepted for socketserver's signature)."""
        loop = self._loop = asyncio.new_event_loop()
        task = loop.create_task(self._serve())
        try:
            loop.run_until_complete(task)
        except KeyboardInterrupt:  # a signal that arrived before the loop took them over
            task.cancel()
            loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        finally:
            loop.close()
            self._done.set()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._stop.set)
        server = await loop.create_server(lambda: Connection(self), sock=self.socket,
                                          backlog=socket.SOMAXCONN)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            for conn in list(self.connections):
                conn.transport.abort()
            await asyncio.sleep(0)  # let the aborted connections' callbacks run

    def shutdown(self) -> None:
        """Stop serve_forever (running in another thread) and wait until it returned."""
        if self._loop is None or not self._ready.wait(timeout=5):
            return
        try:
            self._loop.call_soon_threadsafe(self._stop.set)
        except RuntimeError:  # the loop is closed: it stopped already
            return
        self._done.wait(timeout=5)

    def server_close(self) -> None:
        self.socket.close()


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
    thread = threading.Thread(target=server.serve_forever, daemon=True,
                              name=f"reference-server-{server.server_address[1]}")
    thread.start()
    server._ready.wait(timeout=5)  # requests sent right after this are accepted anyway
    return server, thread


def stop_server(server: ReferenceServer, thread: threading.Thread | None = None) -> None:
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)
