"""Jobs per project and single-use upload targets, behind one lock.

One lock for everything keeps reasoning simple: a command reads and changes a job
atomically, and the server never holds two locks, so it cannot deadlock.

Memory is bounded for a server left running as a shared stand-in: at most `max_jobs`
jobs (all projects together; the oldest is forgotten first), optionally each forgotten
`job_ttl` seconds after its creation, and the upload targets and deleted-job ids kept
beside them are capped in proportion. A forgotten job is gone as a deleted one is.
"""

from __future__ import annotations

import secrets
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Job:
    project_id: str
    name: str
    state: str
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    batch_name: str | None = None
    tags: list[str] = field(default_factory=list)
    contact: str | None = None
    model_version: str | None = None
    command_message: str | None = None
    part_count: int = 1
    parts: dict[int, str] = field(default_factory=dict)  # part number -> etag
    parts_confirmed: bool = False
    operation_logs: list[dict] = field(default_factory=list)
    comment_logs: list[dict] = field(default_factory=list)
    create_time: datetime = field(default_factory=now)
    last_update_time: datetime = field(default_factory=now)
    born: float = field(default_factory=time.monotonic, repr=False)  # for job_ttl
    entered: float = field(default_factory=time.monotonic, repr=False)  # its state, when

    def __setattr__(self, name: str, value) -> None:
        if name == "state" and getattr(self, "state", None) != value:
            object.__setattr__(self, "entered", time.monotonic())
        object.__setattr__(self, name, value)

    def touch(self) -> None:
        self.last_update_time = now()

    def log(self, log_type: str, description: str = "") -> None:
        self.operation_logs.append({
            "operate_time": rfc3339(now()),
            "log_type": log_type,
            "log_description": description,
            "operate_user": "USER",
        })


@dataclass(frozen=True)
class UploadTarget:
    project_id: str
    job_id: str
    kind: str  # "video" stores an etag per part; anything else is accepted and dropped
    part_number: int = 0


DEFAULT_MAX_JOBS = 10_000
UPLOADS_PER_JOB = 10  # upload targets kept per job of the cap (a Create mints 5 or more)
MIN_UPLOADS = 2_000  # room for one Create of 1000 parts even under a small cap


class Store:
    def __init__(self, max_jobs: int = DEFAULT_MAX_JOBS, job_ttl: float = 0,
                 auto_verify_after: float = 0) -> None:
        # re-entrant: a command's effect (run under update()) may mint upload URLs
        self._lock = threading.RLock()
        self.max_jobs, self.job_ttl = max_jobs, job_ttl
        self.auto_verify_after = auto_verify_after  # the service's own review (0: never)
        self.max_uploads = max(UPLOADS_PER_JOB * max_jobs, MIN_UPLOADS)
        # insertion order = creation order, so the oldest job is always the first
        self._jobs: OrderedDict[tuple[str, str], Job] = OrderedDict()
        self._uploads: OrderedDict[str, UploadTarget] = OrderedDict()
        # (project, job) of deleted jobs, newest last (the second-delete-succeeds fault)
        self._removed: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.forgotten = 0  # jobs dropped for the cap or the expiry
        self._warned = False

    def sizes(self) -> dict[str, int]:
        """How much the store holds (for tests and a curious operator)."""
        with self._lock:
            self._expire()
            return {"jobs": len(self._jobs), "uploads": len(self._uploads),
                    "removed": len(self._removed), "forgotten": self.forgotten}

    def _expire(self) -> None:
        """Forget the jobs older than job_ttl, and let the service's own review fail the
        jobs AUTO_VERIFYING for auto_verify_after seconds (caller holds the lock): a real
        service moves jobs without a client's request, as this one then does."""
        if self.auto_verify_after:
            limit = time.monotonic() - self.auto_verify_after
            for job in self._jobs.values():
                if job.state == "AUTO_VERIFYING" and job.entered <= limit:
                    job.state = "AUTO_VERIFY_FAILED"
                    job.log("AUTO_VERIFY", "the automatic review failed (--auto-verify-after)")
                    job.touch()
        if not self.job_ttl:
            return
        limit = time.monotonic() - self.job_ttl
        while self._jobs and next(iter(self._jobs.values())).born <= limit:
            self._jobs.popitem(last=False)
            self.forgotten += 1

    def add(self, job: Job) -> Job:
        with self._lock:
            self._expire()
            self._jobs[(job.project_id, job.job_id)] = job
            while len(self._jobs) > self.max_jobs:
                self._jobs.popitem(last=False)
                if not self._warned:  # once: a vendor should know why old jobs vanish
                    self._warned = True
                    sys.stderr.write(f"reference server: more than {self.max_jobs} jobs, "
                                     "the oldest are forgotten (--max-jobs)\n")
                self.forgotten += 1
        return job

    def update(self, project_id: str, job_id: str, fn: Callable[[Job | None], object]):
        """Run fn on the job (None if absent) under the lock; return what fn returns."""
        with self._lock:
            self._expire()
            return fn(self._jobs.get((project_id, job_id)))

    def has(self, project_id: str, job_id: str) -> bool:
        with self._lock:
            self._expire()
            return (project_id, job_id) in self._jobs

    def remove_unless(self, project_id: str, job_id: str, refuse: Callable[[Job | None], object],
                      *, remove: bool = True):
        """Remove the job unless refuse(job) returns something (then return that).
        Check and removal share one lock hold, so two DELETEs cannot both succeed."""
        with self._lock:
            self._expire()
            answer = refuse(self._jobs.get((project_id, job_id)))
            if answer is None and remove:
                del self._jobs[(project_id, job_id)]
                self._note_removed((project_id, job_id))
            return answer

    def _note_removed(self, key: tuple[str, str]) -> None:
        self._removed[key] = None
        if len(self._removed) > self.max_jobs:
            self._removed.popitem(last=False)

    def was_removed(self, project_id: str, job_id: str) -> bool:
        with self._lock:
            return (project_id, job_id) in self._removed

    def owner(self, job_id: str) -> str | None:
        """The project holding a job with this id, in any project."""
        with self._lock:
            self._expire()
            return next((p for p, j in self._jobs if j == job_id), None)

    def remove_oldest(self, project_id: str, keep: str) -> str | None:
        """Remove the project's oldest job other than `keep`; its id, or None."""
        with self._lock:
            key = next((k for k in self._jobs if k[0] == project_id and k[1] != keep), None)
            if key is None:
                return None
            del self._jobs[key]
            self._note_removed(key)
            return key[1]

    def view(self, project_id: str, fn: Callable[[Job], dict]) -> list[dict]:
        """fn applied to each job of the project, in creation order, under the lock."""
        with self._lock:
            self._expire()
            return [fn(j) for (p, _), j in self._jobs.items() if p == project_id]

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._uploads.clear()
            self._removed.clear()

    def new_upload(self, target: UploadTarget) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._uploads[token] = target
            if len(self._uploads) > self.max_uploads:  # the oldest unused URL goes first
                self._uploads.popitem(last=False)
        return token

    def complete_upload(self, token: str, etag: str) -> bool:
        """Single use: the token is consumed even if its job has gone since."""
        with self._lock:
            target = self._uploads.pop(token, None)
            if target is None:
                return False
            job = self._jobs.get((target.project_id, target.job_id))
            if job is not None and target.kind == "video":
                job.parts[target.part_number] = etag
                job.touch()
            return True
