"""The reference server's app behind FastAPI on uvicorn: a vendor's typical mock, for latency.

Every request goes to a FastAPI catch-all route (any method: the others through the 405
handler) that hands it to the bundled `App` (the same pipeline as `serve`), so the suite
gets the reference answers over uvicorn's HTTP stack and socket pattern. uvicorn writes an
answer's head and body apart; asyncio switches Nagle's algorithm off (TCP_NODELAY) only on
sockets made with proto IPPROTO_TCP, so a listening socket made as `socket.socket()` makes
it (proto 0) keeps Nagle on: the body waits for the client's delayed ACK of the head, about
40 ms per answer on a kept-alive connection. `nagle=True` listens on such a socket
(docs/performance.md, "Latency against common HTTP stacks").

    python -m tests.uvicorn_mock --port 8080 [--nagle] [--ak AK --sk SK] [--na-project ID]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import threading

import uvicorn
from fastapi import FastAPI
from fastapi import Request as FastRequest
from fastapi.responses import Response as FastResponse

from metastudio_conformance.reference_server.app import App, Request
from metastudio_conformance.reference_server.server import make_options
from metastudio_conformance.reference_server.wire import Headers

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def make_app(**options) -> FastAPI:
    """A FastAPI app answering every path with the reference `App` (serve's options)."""
    app, api = App(make_options(**options)), FastAPI(openapi_url=None, docs_url=None)

    async def handle(request: FastRequest) -> FastResponse:
        """The reference app's answer to the request, sent by FastAPI."""
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        fields = [(k.decode("latin-1"), v.decode("latin-1"))
                  for k, v in request.scope["headers"]]
        answer = app.handle(Request(request.method, target, Headers(fields),
                                    await request.body(), str(request.base_url).rstrip("/")))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        headers = dict(answer.headers)
        if answer.has_body:
            headers["Content-Type"] = answer.content_type
        if answer.close:
            headers["Connection"] = "close"
        return FastResponse(answer.encode(), status_code=answer.status, headers=headers)

    # A catch-all route, as a mock would have; a method it does not list (schemathesis
    # probes QUERY and others) reaches the app through the 405 handler.
    api.add_api_route("/{path:path}", handle, methods=METHODS)
    async def other_method(request: FastRequest, _) -> FastResponse:
        """A method the route does not list: the reference app answers it too."""
        return await handle(request)

    api.add_exception_handler(405, other_method)
    return api



def start(port: int = 0, nagle: bool = False, **options) -> tuple[uvicorn.Server, str]:
    """Serve the mock on 127.0.0.1 in a daemon thread; returns (server, base URL)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0 if nagle else socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(make_app(**options), log_level="warning", lifespan="off",
                            http="h11", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.01)
    server.thread = thread
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}"


def stop(server: uvicorn.Server) -> None:
    """Stop a server from `start` and wait for its thread."""
    server.should_exit = True
    server.thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--ak", help="accept AK/SK signatures made with this access key")
    parser.add_argument("--sk", help="secret key for --ak")
    parser.add_argument("--na-project", action="append", default=[], metavar="ID")
    parser.add_argument("--nagle", action="store_true",
                        help="listen as gunicorn's workers do: Nagle's algorithm stays on")
    args = parser.parse_args()
    server, url = start(args.port, nagle=args.nagle, ak=args.ak, sk=args.sk,
                        na_projects=args.na_project)
    print(f"serving on {url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    stop(server)


if __name__ == "__main__":
    main()
