"""Throughput of the reference server against Stoplight Prism mocking the same spec.

    .venv/bin/python bench/server_throughput.py [--rounds 3] [--seconds 8] [--clients 16]

Both answer the same request: the command endpoint with GET_MULTIPART_UPLOADED, valid
X-Auth-Token, on a job our server seeded through the control interface in
WAIT_FILE_UPLOAD (Prism answers its static example; it only needs the header, which its
security check demands). The load generator is `hey` (Debian: `apt-get install hey`),
run on the same machine, server and Prism alternately, `--rounds` times each; a sample
answer of each is checked before the load and every answer under load must be a 200.
Prism 5 is installed with npm into a cache folder when missing. Prints a markdown table
(median requests/s, ratio, p50/p99 latency) with the machine and the date.
`measure(rounds, seconds, clients)` returns the figures for other bench commands.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "training-jobs.yaml"
SERVE = (sys.executable, "-m", "metastudio_conformance.reference_server")
PRISM_PACKAGE = "@stoplight/prism-cli@5"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "metastudio-bench"
PROJECT, TOKEN = "0" * 31 + "1", "bench-token"
BODY = '{"command":"GET_MULTIPART_UPLOADED"}'
PATH = "/v1/{project}/digital-human-training-manage/user/jobs/{job}/command"
# the part a seeded WAIT_FILE_UPLOAD job has (control.yaml), as our server reports it
OURS_EXPECTED = {"commond_result": "EXCUTE_SUCCESS", "multipart_data": [
    {"part_number": "1", "etag": hashlib.md5(b"seeded video part").hexdigest()}]}


class BenchError(Exception):
    """A precondition is missing (tool, install, a wrong answer): one line, exit 2."""


def _post(url: str, body: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "X-Auth-Token": TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _hey() -> str:
    found = shutil.which("hey")
    if found is None:
        raise BenchError("hey not found: install it (Debian: apt-get install hey)")
    return found


def _prism() -> Path:
    binary = CACHE / "prism5" / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        if shutil.which("npm") is None:
            raise BenchError("npm not found: needed to install Prism (Node.js 18+)")
        sys.stderr.write(f"installing {PRISM_PACKAGE} into {binary.parents[2]} ...\n")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                        str(binary.parents[2]), PRISM_PACKAGE], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return binary


def _start_ours(log) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*SERVE, "--port", "0", "--token", TOKEN], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    banner = proc.stdout.readline().strip()
    if not banner.startswith("serving on "):
        proc.kill()
        raise BenchError(f"the reference server did not start (log: {log.name})")
    base = banner.removeprefix("serving on ")
    status, seeded = _post(f"{base}/conformance/v1/{PROJECT}/jobs",
                           '{"state":"WAIT_FILE_UPLOAD"}')
    if status != 201:
        raise BenchError(f"seeding a job answered {status}: {seeded}")
    return proc, base + PATH.format(project=PROJECT, job=seeded["job_id"])


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_prism(log) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([str(_prism()), "mock", "-p", str(port), "-h", "127.0.0.1",
                             str(SPEC)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"Prism exited with {proc.returncode} (log: {log.name})")
        try:
            urllib.request.urlopen(base, timeout=1).close()
        except urllib.error.HTTPError:
            break  # it answers (404 for /): listening
        except OSError:
            time.sleep(0.3)
            continue
        break
    else:
        raise BenchError(f"Prism did not listen within 60 s (log: {log.name})")
    return proc, base + PATH.format(project=PROJECT, job="efc5300ecdba4ea48d1ff13a9d907bc0")


def _check_sample(name: str, url: str) -> None:
    status, body = _post(url, BODY)
    good = body == OURS_EXPECTED if name == "ours" else (
        isinstance(body, dict) and body.get("commond_result") == "EXCUTE_SUCCESS")
    if status != 200 or not good:
        raise BenchError(f"{name} answered {status} {body}: not the documented success")


def _load(url: str, seconds: float, clients: int) -> dict:
    out = subprocess.run(
        [_hey(), "-z", f"{seconds}s", "-c", str(clients), "-m", "POST",
         "-H", f"X-Auth-Token: {TOKEN}", "-T", "application/json", "-d", BODY, url],
        capture_output=True, text=True, check=True).stdout
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    if set(statuses) != {"200"}:
        raise BenchError(f"answers under load were not all 200: {statuses} for {url}")

    def latency(pct: str) -> float:
        match = re.search(rf"{pct}% in ([0-9.]+) secs", out)
        return float(match.group(1)) * 1000 if match else float("nan")

    return {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
            "p50_ms": latency("50"), "p99_ms": latency("99"), "requests": int(statuses["200"])}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "loadavg_before": round(os.getloadavg()[0], 2)}


def measure(rounds: int = 3, seconds: float = 8, clients: int = 16) -> dict:
    """Run the comparison; the figures per target (runs, medians) and the machine."""
    _hey()
    info = machine()
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "reference-server.log", "w") as ours_log, \
            open(CACHE / "prism.log", "w") as prism_log:
        ours, ours_url = _start_ours(ours_log)
        try:
            prism, prism_url = _start_prism(prism_log)
        except BaseException:
            ours.terminate()
            raise
        targets = {"ours": ours_url, "prism": prism_url}
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        try:
            for name, url in targets.items():
                _check_sample(name, url)
                _load(url, 1, clients)  # warm-up (Node's JIT), not counted
            for _ in range(rounds):
                for name, url in targets.items():
                    runs[name].append(_load(url, seconds, clients))
            for name, url in targets.items():
                _check_sample(name, url)  # still correct after the load
        finally:
            for proc in (ours, prism):
                proc.terminate()
                proc.wait(timeout=10)
    result = {"machine": info, "rounds": rounds, "seconds": seconds, "clients": clients,
              "tool": "hey"}
    for name, samples in runs.items():
        result[name] = {
            "runs_rps": [round(s["rps"], 1) for s in samples],
            "median_rps": round(statistics.median(s["rps"] for s in samples), 1),
            "p50_ms": round(statistics.median(s["p50_ms"] for s in samples), 2),
            "p99_ms": round(statistics.median(s["p99_ms"] for s in samples), 2),
        }
    result["ratio"] = round(result["ours"]["median_rps"] / result["prism"]["median_rps"], 2)
    return result


def table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Command endpoint, GET_MULTIPART_UPLOADED, {result['clients']} clients, "
        f"{result['rounds']} x {result['seconds']} s each, alternating ({result['tool']})",
        "",
        "| server | median req/s | runs (req/s) | p50 ms | p99 ms |",
        "|---|---:|---|---:|---:|",
    ]
    for name, label in (("ours", "reference server"), ("prism", "Prism 5 mock")):
        r = result[name]
        runs = ", ".join(f"{v:.0f}" for v in r["runs_rps"])
        lines.append(f"| {label} | {r['median_rps']:.0f} | {runs} | {r['p50_ms']} | "
                     f"{r['p99_ms']} |")
    lines += ["", f"ours / Prism: **{result['ratio']}x**", "",
              f"Machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, "
              f"load average {m['loadavg_before']} before; {m['date']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.clients < 1:
        parser.error("--rounds, --seconds and --clients must be positive")
    try:
        result = measure(args.rounds, args.seconds, args.clients)
    except BenchError as exc:
        sys.stderr.write(f"server_throughput: {exc}\n")
        return 2
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(f"server_throughput: {exc.cmd[0]} failed ({exc.returncode}): "
                         f"{(exc.stderr or '').strip()[:300]}\n")
        return 2
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
