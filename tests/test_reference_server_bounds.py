"""A server left running stays bounded (--max-jobs, --job-ttl), and one slow answer or one
address family does not change how the others are served."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from metastudio_conformance.reference_server import start_server, stop_server
from metastudio_conformance.reference_server.__main__ import main as cli_main
from tests.reference_helpers import NA, OPTIONS, STATES, STD, TOKEN, Api, assert_error

SERVE = [sys.executable, "-m", "metastudio_conformance.reference_server"]


@pytest.fixture
def capped():
    srv, thread = start_server(max_jobs=60, **OPTIONS)
    yield srv, Api(srv.url)
    stop_server(srv, thread)


def test_every_state_can_be_seeded_and_the_oldest_jobs_go_first(capped):
    srv, api = capped
    seeded = [api.seed(state) for state in STATES]
    assert len(seeded) == 53 and all(api.show(job).status_code == 200 for job in seeded)
    later = [api.seed("JOB_FINISH", project=NA) for _ in range(20)]  # 73 jobs: 13 too many
    for job in seeded[:13]:
        assert_error(api.show(job), 404, "MSS.41000003")
        assert_error(api.command(job, {"command": "GET_MULTIPART_UPLOADED"}), 404)
    assert [api.state(job) for job in seeded[13:]] == STATES[13:]
    assert all(api.show(job, NA).status_code == 200 for job in later)
    listed = api.call("GET", api.jobs(STD), params={"limit": 100}).json()
    assert listed["count"] == 40 and {j["job_id"] for j in listed["jobs"]} == set(seeded[13:])
    assert srv.app.store.sizes()["jobs"] == 60


def test_churn_keeps_jobs_uploads_and_deleted_ids_bounded(capped):
    srv, api = capped
    for n in range(300):
        created = api.call("POST", api.jobs(), json={"name": f"churn-{n}",
                                                     "video_multipart_count": 3})
        assert created.status_code == 200, created.text
        if n % 2:
            job = api.seed("JOB_FINISH")
            assert api.delete(job).status_code == 200
    sizes = srv.app.store.sizes()
    assert 59 <= sizes["jobs"] <= 60 and sizes["removed"] == 60
    assert sizes["uploads"] <= srv.app.store.max_uploads
    assert sizes["forgotten"] == 300 + 150 - 150 - sizes["jobs"]  # created, seeded, deleted
    # the newest job still has its upload URLs
    urls = created.json()["training_video_upload_url"]
    assert api.call("PUT", urls[0].removeprefix(srv.url), data=b"part").status_code == 200


def test_jobs_expire_after_their_ttl():
    srv, thread = start_server(job_ttl=0.5, **OPTIONS)
    try:
        api = Api(srv.url)
        old = api.seed("WAIT_USER_CONFIRM")
        assert api.show(old).status_code == 200
        time.sleep(0.8)
        young = api.seed("WAIT_USER_CONFIRM")
        assert_error(api.show(old), 404, "MSS.41000003")
        assert api.show(young).status_code == 200
        assert srv.app.store.sizes()["jobs"] == 1
    finally:
        stop_server(srv, thread)


@pytest.mark.parametrize("argv", [["--max-jobs", "0"], ["--job-ttl", "-1"],
                                  ["--max-jobs", "many"], ["--max-body", "-1"],
                                  ["--max-connections", "0"], ["--request-timeout", "-1"],
                                  ["--send-timeout", "nan"], ["--read-timeout", "x"]])
def test_bad_bounds_are_one_usage_line(capsys, argv):
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's own refusals exit
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err


def test_the_cli_cap_forgets_the_oldest_and_says_so_once():
    proc = subprocess.Popen([*SERVE, "--port", "0", "--token", TOKEN, "--max-jobs", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline().strip()
        api = Api(re.fullmatch(r"serving on (\S+)", banner).group(1))
        jobs = [api.seed("JOB_FINISH") for _ in range(5)]
        assert [api.show(job).status_code for job in jobs] == [404, 404, 200, 200, 200]
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        log = proc.stderr.read()
        assert "max-jobs=3 job-ttl=0" in log
        assert log.count("the oldest are forgotten (--max-jobs)") == 1
    finally:
        proc.kill()
        proc.wait()


def test_a_held_back_answer_does_not_hold_back_other_connections():
    srv, thread = start_server(faults=["random-slow"], **OPTIONS)
    srv.app.faults.slow_seconds = 3
    try:
        api = Api(srv.url, strict=False)
        for _ in range(19):  # the 20th API request is the slow one
            api.call("GET", api.jobs())
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(Api(srv.url, strict=False).call, "GET", api.jobs())
            time.sleep(0.3)
            started = time.monotonic()
            assert api.seed("JOB_FINISH")  # another connection, served meanwhile
            assert time.monotonic() - started < 2 and not slow.done()
            assert slow.result().status_code == 200
    finally:
        stop_server(srv, thread)


def test_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    srv, thread = start_server("::1", 0, **OPTIONS)
    try:
        assert srv.url.startswith("http://[::1]:")
        api = Api(srv.url)
        job = api.seed("WAIT_FILE_UPLOAD")
        answer = api.command(job, {"command": "GET_MULTIPART_UPLOADED"})
        assert answer.status_code == 200 and answer.json()["commond_result"] == "EXCUTE_SUCCESS"
    finally:
        stop_server(srv, thread)
