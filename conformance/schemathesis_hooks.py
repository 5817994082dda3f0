"""The oracle's per-answer requirements as schemathesis checks, for a plain `schemathesis run`.

Importing this module registers one check per documented requirement that one answer
can be judged by, each calling the requirement's unit in `rules` (the same the suite's
runs call). Load it as schemathesis hooks and name the checks:

    SCHEMATHESIS_HOOKS=metastudio_conformance.schemathesis_hooks \\
        schemathesis run openapi/training-jobs.yaml --url https://... \\
        --checks msc_err_01_error_body,msc_err_02_no_server_error,...

`schemathesis.check` registers for the whole process, so nothing of the suite imports
this module; should SCHEMATHESIS_HOOKS load it into a suite run, `checks.excluded` leaves
these out (the run's own `judged` applies the same units, in its order).

Without the suite's runner, a check knows only the answer and the case: the rules that
need a job's state (the DELETE gate, CMD-06, CMD-09, the model) are the suite's.
"""

from __future__ import annotations

import schemathesis

from metastudio_conformance import contract, rules
from metastudio_conformance.answers import Answer
from metastudio_conformance.checks import apply_unit, operation_id, parameters_refused


@schemathesis.check
def msc_err_01_error_body(ctx, response, case) -> None:
    """ERR-01: every 4xx answer carries {error_code: string, error_msg: string}."""
    apply_unit(case, rules.error_body, Answer.of(response))


@schemathesis.check
def msc_err_02_no_server_error(ctx, response, case) -> None:
    """ERR-02: no request, however malformed, makes the server answer 5xx."""
    apply_unit(case, rules.no_server_error, Answer.of(response), case.operation.label)


@schemathesis.check
def msc_hdr_01_request_id(ctx, response, case) -> None:
    """HDR-01: every response carries a non-empty X-Request-Id header."""
    apply_unit(case, rules.request_id, Answer.of(response))


@schemathesis.check
def msc_cmd_03_commond_result(ctx, response, case) -> None:
    """CMD-03: a 200 command answer carries commond_result EXCUTE_SUCCESS or EXCUTE_FAILED."""
    if operation_id(case) == contract.COMMAND_OPERATION:
        apply_unit(case, rules.commond_result, Answer.of(response))


@schemathesis.check
def msc_cmd_04_multipart_data(ctx, response, case) -> None:
    """CMD-04: a command's multipart_data lists {part_number: string, etag: string}."""
    if operation_id(case) == contract.COMMAND_OPERATION:
        apply_unit(case, rules.multipart_data, Answer.of(response))


@schemathesis.check
def msc_cmd_05_attachment_upload_url(ctx, response, case) -> None:
    """CMD-05: a command's attachment_upload_url is a list of strings."""
    if operation_id(case) == contract.COMMAND_OPERATION:
        apply_unit(case, rules.attachment_upload_url, Answer.of(response))


@schemathesis.check
def msc_val_01_parameters_refused(ctx, response, case) -> None:
    """VAL-01 (or CMD-01/02/07, HDR-02, the rule it breaks): a negative case is refused."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        parameters_refused(ctx, response, case)


# The checks above, by the requirement each stands for (tests/test_oracle_units.py).
CHECKS = {
    "ERR-01": msc_err_01_error_body,
    "ERR-02": msc_err_02_no_server_error,
    "HDR-01": msc_hdr_01_request_id,
    "CMD-03": msc_cmd_03_commond_result,
    "CMD-04": msc_cmd_04_multipart_data,
    "CMD-05": msc_cmd_05_attachment_upload_url,
    "VAL-01": msc_val_01_parameters_refused,
}
