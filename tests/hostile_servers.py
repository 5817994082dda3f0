"""A catalogue of misbehaving targets on 127.0.0.1, for the CLI's hostile-target tests.

Each is a real listening socket served by threads of this process. Every handler is
bounded: it waits on the listener's stop event rather than sleeping, and `stop()` shuts
every open connection, so no test can leave a thread blocked behind it.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
DNS_FAILURE_URL = "http://does-not-exist.invalid"  # .invalid never resolves (RFC 6761)
CONTROL_PREFIX = "/conformance/v1/"  # openapi/control.yaml
HUGE_BODY = 50 * 1024 * 1024
DRIP_INTERVAL = 0.5
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
             b"<body><h1>Oops</h1><p>Something went wrong.</p></body></html>")
# What an SSH daemon or a binary protocol might answer: nothing like a status line.
GARBAGE = b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe\x13\x37 not http at all \x8b\x1f" * 8


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


@dataclass
class Listener:
    """Accepts on 127.0.0.1 and hands each connection to `handle(conn, listener)`."""

    handle: Callable[[socket.socket, Listener], None]
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)  # what reached it, in order
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._sock = socket.create_server((HOST, 0))
        self._sock.settimeout(0.2)  # the accept loop looks at the stop event this often
        self.port = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def start(self) -> Listener:
        self._threads[0].start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # unblocks a handler stuck in send or recv
            conn.close()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)  # a client that stops reading cannot pin a handler forever
            with self._lock:
                self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                raw, conn = conn, self.tls.wrap_socket(conn, server_side=True)
                with self._lock:  # stop() must shut the socket that is now in use
                    self._conns[self._conns.index(raw)] = conn
            self.handle(conn, self)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client gave up on a hostile answer: that is the point
        finally:
            with contextlib.suppress(OSError):
                conn.close()


@contextlib.contextmanager
def serving(handle, tls: ssl.SSLContext | None = None) -> Iterator[Listener]:
    listener = Listener(handle, tls).start()
    try:
        yield listener
    finally:
        listener.stop()


@contextlib.contextmanager
def closed_port() -> Iterator[str]:
    """A URL whose port refuses connections: bound, so nothing else takes it, never listening."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield f"http://{HOST}:{sock.getsockname()[1]}"


def read_request(conn: socket.socket, listener: Listener) -> Request:
    """Read one whole request (head and Content-Length body) and record it.

    Reading all of it matters: closing with unread bytes makes the kernel send a reset,
    which would turn every hostile answer into the reset case."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > 1 << 20:
            raise ValueError("no complete request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path = (lines[0].split(" ") + ["", ""])[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    remaining = int(headers.get("content-length", "0") or 0) - len(body)
    while remaining > 0:
        chunk = conn.recv(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)
    request = Request(method, path, headers)
    listener.requests.append(request)
    return request


def answer(status: str, content_type: str, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# The handlers: one kind of misbehaviour each.
def never_answers(conn, listener) -> None:
    read_request(conn, listener)
    listener.stop_event.wait()


def resets_mid_answer(conn, listener) -> None:
    read_request(conn, listener)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 4096\r\n\r\n{\"job_id\": \"")
    listener.stop_event.wait(0.2)
    # Linger 0: close() sends RST instead of FIN, an abort rather than an end.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def slow_drip(conn, listener) -> None:
    """A status line and then one endless header, a byte every DRIP_INTERVAL seconds."""
    read_request(conn, listener)
    for byte in b"HTTP/1.1 200 OK\r\nX-Drip: ":
        conn.sendall(bytes([byte]))
        if listener.stop_event.wait(DRIP_INTERVAL):
            return
    while not listener.stop_event.wait(DRIP_INTERVAL):
        conn.sendall(b".")


def garbage(conn, listener) -> None:
    read_request(conn, listener)
    conn.sendall(GARBAGE)


def huge_body(conn, listener) -> None:
    """200 with a 50 MB JSON body on every answer, sent in 1 MB pieces."""
    send_huge(conn, listener, read_request(conn, listener))


def send_huge(conn, listener, request) -> None:
    prefix, suffix = b'{"padding": "', b'"}'
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 f"{HUGE_BODY}\r\nConnection: close\r\n\r\n".encode() + prefix)
    piece = b"x" * (1 << 20)
    left = HUGE_BODY - len(prefix) - len(suffix)
    while left > 0 and not listener.stop_event.is_set():
        conn.sendall(piece[:left])
        left -= min(left, len(piece))
    conn.sendall(suffix)


def html_page(conn, listener, request) -> None:
    conn.sendall(answer("200 OK", "text/html; charset=utf-8", HTML_PAGE))


def html_pages(conn, listener) -> None:
    """An HTML error page with 200 on every request, as a misconfigured gateway answers."""
    html_page(conn, listener, read_request(conn, listener))


def redirects(location: str):
    """302 to the same path at `location` (another listener) for every API request.

    Its test-control interface works, as a vendor's mock behind a moved gateway might:
    the suite gets its jobs, so its own requests, not only the first, meet the redirect."""
    def respond(conn, listener, request) -> None:
        if request.method == "POST" and request.path.startswith(CONTROL_PREFIX):
            job = json.dumps({"job_id": secrets.token_hex(16)}).encode()
            conn.sendall(answer("201 Created", "application/json", job, "X-Request-Id: r"))
            return
        conn.sendall(answer("302 Found", "text/plain", b"",
                            f"Location: {location}{request.path}"))
    return respond


def redirect_to(location: str):
    """`redirects(location)` for every request, the preflight's too."""
    return handler(redirects(location))


def handler(respond):
    """A handler from `respond(conn, listener, request)`: reads the request first."""
    def handle(conn, listener) -> None:
        respond(conn, listener, read_request(conn, listener))
    return handle


# The API as the preflight sees it: the List operation (openapi/training-jobs.yaml).
LIST_PATH = re.compile(r"^/v1/[^/?]+/digital-human-training-manage/user/jobs(\?.*)?$")
JOB_PATH = re.compile(r"^/v1/[^/?]+/digital-human-training-manage/user/jobs/([^/?]+)$")


def json_answer(status: str, body: object) -> bytes:
    return answer(status, "application/json", json.dumps(body).encode(), "X-Request-Id: r")


def api_preflight(respond):
    """Answers the preflight as the API does (the root, and List with an empty page) and
    the test-control interface with fresh job ids; hands every other request to
    `respond`: a target whose setup is right and whose operations misbehave."""
    def handle(conn, listener) -> None:
        request = read_request(conn, listener)
        if request.method == "GET" and (request.path == "/" or LIST_PATH.match(request.path)):
            conn.sendall(json_answer("200 OK", {"count": 0, "jobs": []}))
        elif request.method == "POST" and request.path.startswith(CONTROL_PREFIX):
            conn.sendall(json_answer("201 Created", {"job_id": secrets.token_hex(16)}))
        else:
            respond(conn, listener, request)
    return handle


def api_gateway(conn, listener) -> None:
    """A gateway as the real service's: List at /v1/..., "API not found" anywhere else
    (MSS.00010003 with 400, as the docs say), so a base URL with a path misses the API."""
    request = read_request(conn, listener)
    if request.method == "GET" and LIST_PATH.match(request.path):
        conn.sendall(json_answer("200 OK", {"count": 0, "jobs": []}))
    else:
        conn.sendall(json_answer("400 Bad Request", {"error_code": "MSS.00010003",
                                                     "error_msg": "API not found"}))


@dataclass
class TinyApi:
    """A minimal API whose List ignores offset, limit and every filter.

    List always answers one full page: the same jobs (`fresh=False`), or jobs never seen
    before on every call (`fresh=True`, a List that would page forever). Show knows the
    jobs of the page, DELETE deletes them; `delay` seconds pass before those answer."""

    run_id: str
    fresh: bool = False
    delay: float = 0.0
    page_size: int = 100
    deleted: list[str] = field(default_factory=list)
    lists: int = 0  # List requests served

    def __post_init__(self) -> None:
        self.jobs = self._page()

    def _page(self) -> dict[str, dict]:
        return {job_id: {"job_id": job_id, "name": "n", "state": "JOB_FINISH",
                         "batch_name": self.run_id, "tags": [self.run_id]}
                for job_id in (secrets.token_hex(16) for _ in range(self.page_size))}

    def handle(self, conn, listener) -> None:
        request = read_request(conn, listener)
        job = JOB_PATH.match(request.path)
        if request.method == "GET" and LIST_PATH.match(request.path):
            self.lists += 1
            if self.fresh:
                self.jobs.update(page := self._page())
            else:
                page = self.jobs
            conn.sendall(json_answer("200 OK", {"count": 10**6, "jobs": list(page.values())}))
        elif job and job.group(1) in self.jobs and request.method in ("GET", "DELETE"):
            if listener.stop_event.wait(self.delay):
                return
            if request.method == "DELETE":
                self.deleted.append(self.jobs.pop(job.group(1))["job_id"])
                conn.sendall(answer("200 OK", "application/json", b"", "X-Request-Id: r"))
            else:
                conn.sendall(json_answer("200 OK", self.jobs[job.group(1)]))
        else:
            conn.sendall(json_answer("404 Not Found", {"error_code": "MSS.41000003",
                                                       "error_msg": "no such job"}))


def records(conn, listener) -> None:
    """Where redirects point: answers 200 {} and keeps every request it got."""
    read_request(conn, listener)
    conn.sendall(answer("200 OK", "application/json", b"{}", "X-Request-Id: recorder"))


def ok_json(conn, listener) -> None:
    read_request(conn, listener)
    conn.sendall(answer("200 OK", "application/json", b"{}", "X-Request-Id: tls"))


# A TLS server whose certificate a client must refuse: self-signed, for another host.
def bad_certificate(directory: Path) -> ssl.SSLContext | None:
    """A server context with a fresh self-signed certificate for `wrong.example`, or None
    when neither the `cryptography` package nor the `openssl` command is available."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not (_with_cryptography(cert, key) or _with_openssl(cert, key)):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _with_cryptography(cert: Path, key: Path) -> bool:
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return False
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wrong.example")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("wrong.example")]), False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return True


def _with_openssl(cert: Path, key: Path) -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    done = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=wrong.example", "-addext", "subjectAltName=DNS:wrong.example"],
        capture_output=True, timeout=30,
    )
    return done.returncode == 0 and cert.exists() and key.exists()
