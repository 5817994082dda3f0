"""`python -m reference_server`: the reference implementation as a process.

A supervisor (the conformance suite) reads exactly one stdout line, `serving on URL`;
everything else goes to stderr. Usage errors: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import signal
import sys

from .app import App
from .contract import ContractError
from .faults import REGISTRY, UnknownFault
from .framing import MAX_BODY
from .server import ReferenceServer, make_options
from .store import DEFAULT_MAX_JOBS
from .variants import REGISTRY as VARIANTS

# variants with a valued option of their own: (option, value that chooses the variant)
_VALUED = {"unknown-job-400": ("unknown_job_status", "400"),
           "excute-failed-refusal": ("refusal", "excute-failed"),
           "method-405": ("method_status", "405"),
           "delete-204": ("delete_status", "204")}

PROG = "metastudio-conformance serve"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage too: keep it to one line
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG,
                description="Reference server for the MetaStudio training-job API.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--token", help="accept this X-Auth-Token")
    p.add_argument("--ak", help="accept AK/SK signatures made with this access key")
    p.add_argument("--sk", help="secret key for --ak")
    p.add_argument("--na-project", action="append", default=[], metavar="ID",
                   help="treat this project as an NA (whitelisted) tenant; repeatable")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="inject a known defect; repeatable (see --list-faults)")
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.add_argument("--delay-ms", type=int, default=0, metavar="N",
                   help="wait N ms before every answer (a slower server)")
    _add_variant_options(p)
    _add_limit_options(p)
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.add_argument("--max-jobs", type=int, default=DEFAULT_MAX_JOBS, metavar="N",
                   help="keep at most N jobs, all projects together; the oldest are "
                   f"forgotten first, as if deleted (default {DEFAULT_MAX_JOBS})")
    p.add_argument("--job-ttl", type=float, default=0, metavar="SECONDS",
                   help="forget a job this long after its creation (default 0: only the "
                   "--max-jobs cap applies)")
    return p


def _add_limit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--auto-verify-after", type=float, default=0, metavar="SECONDS",
                   help="a job AUTO_VERIFYING this long fails its automatic review by itself "
                        "(AUTO_VERIFY_FAILED), as a real service moves jobs without a request "
                        "(0, the default: never)")
    g = p.add_argument_group("limits", "what one client may cost the server (README, Limits)")
    g.add_argument("--max-body", type=int, default=MAX_BODY, metavar="BYTES",
                   help=f"refuse larger request bodies with 400 (default {MAX_BODY})")
    g.add_argument("--read-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="close a connection that stalls or idles this long (default 30)")
    g.add_argument("--request-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="a request's head and body must arrive within this (default 60)")
    g.add_argument("--send-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="drop a client that leaves its answers unread this long (default 30)")
    g.add_argument("--max-connections", type=int, default=1000, metavar="N",
                   help="past N open connections close the longest idle (default 1000)")


def _add_variant_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "variants", "documented-compatible choices where the docs are silent "
        "(docs/silent-points.md); they combine freely")
    g.add_argument("--unknown-job-status", choices=("404", "400"), default="404",
                   help="status for an unknown job_id (400 answers MSS.00000003)")
    g.add_argument("--refusal", choices=("400", "excute-failed"), default="400",
                   help="how a command not allowed now is refused")
    g.add_argument("--method-status", choices=("400", "405"), default="400",
                   help="status for an undocumented method on a known path (405 adds Allow)")
    g.add_argument("--delete-status", choices=("200", "204"), default="200",
                   help="status of a successful DELETE (204 has no body)")
    for variant in VARIANTS.values():
        if variant.name not in _VALUED:
            g.add_argument(f"--{variant.name}", dest="variant_flags", action="append_const",
                           const=variant.name, help=variant.description)
    g.add_argument("--variants", action="append", default=[], metavar="A,B",
                   help="switch on these variants by name; repeatable (see --list-variants)")
    g.add_argument("--all-variants", action="store_true", help="switch on every variant")
    g.add_argument("--list-variants", action="store_true", help="list the variants and exit")


def _chosen_variants(args: argparse.Namespace) -> list[str]:
    names = [*(args.variant_flags or []), *args.variants]
    names += [name for name, (option, value) in _VALUED.items()
              if getattr(args, option) == value]
    return list(VARIANTS) if args.all_variants else names


def _list_variants() -> None:
    width = max(map(len, VARIANTS))
    for variant in VARIANTS.values():
        print(f"{variant.name:<{width}}  {variant.description}")


def _list_faults() -> None:
    width = max(map(len, REGISTRY))
    for fault in REGISTRY.values():
        print(f"{fault.name:<{width}}  {fault.requirement:<7}  {fault.description}")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        _list_faults()
        return 0
    if args.list_variants:
        _list_variants()
        return 0
    if not 0 <= args.port <= 65535:
        return _usage(f"port {args.port} out of range")
    try:
        options = make_options(
            token=args.token, ak=args.ak, sk=args.sk, na_projects=args.na_project,
            faults=args.fault, variants=_chosen_variants(args), read_timeout=args.read_timeout,
            request_timeout=args.request_timeout, send_timeout=args.send_timeout,
            max_body=args.max_body, max_connections=args.max_connections,
            access_log=args.access_log, delay_ms=args.delay_ms,
            max_jobs=args.max_jobs, job_ttl=args.job_ttl,
            auto_verify_after=args.auto_verify_after,
        )
        app = App(options)
    except (ValueError, UnknownFault) as exc:
        return _usage(str(exc))
    except (OSError, ContractError) as exc:
        sys.stderr.write(f"{PROG}: cannot load the spec: {exc}\n")
        return 1
    try:
        server = ReferenceServer((args.host, args.port), app)
    except OSError as exc:
        sys.stderr.write(f"{PROG}: cannot listen on {args.host}:{args.port}: {exc}\n")
        return 1

    faults = ",".join(options.faults) or "none"
    sys.stderr.write(f"{PROG}: faults={faults} refusal={options.refusal} "
                     f"unknown-job-status={options.unknown_job_status} "
                     f"alt-errors={options.alt_errors} extra-fields={options.extra_fields} "
                     f"delay-ms={options.delay_ms} max-jobs={options.max_jobs} "
                     f"job-ttl={options.job_ttl:g} "
                     f"auto-verify-after={options.auto_verify_after:g} "
                     f"max-body={options.max_body} max-connections={options.max_connections} "
                     f"na-projects={','.join(sorted(options.na_projects)) or 'none'} "
                     f"variants={','.join(sorted(options.variants)) or 'none'}\n")
    if not app.auth.enabled:
        sys.stderr.write(f"{PROG}: auth is off (no --token, no --ak/--sk): "
                         "every request is accepted\n")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:  # a SIGTERM right after the banner must still end cleanly
        print(f"serving on {server.url}", flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _usage(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
