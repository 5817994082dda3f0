"""Token and AK/SK authentication. AK/SK is verified by re-signing with huaweicloudsdkcore
itself (api-facts): no signer of our own that could drift from the SDK's.

The canonical request is rebuilt from what arrived (method, raw path, query, the headers
named in SignedHeaders, body) and signed with the received X-Sdk-Date.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

from .responses import UNAUTHORIZED, Response, error

_AUTH_RE = re.compile(
    r"SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)"
)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = 15 * 60  # seconds; a signature older or newer than this is replayable


@dataclass
class Incoming:
    """What the signer needs from a request, header values already UTF-8 decoded."""
    method: str
    raw_path: str
    query: str
    headers: dict[str, str]  # lower-case name -> value (first occurrence)
    body: bytes


def _canonical_name(name: str) -> str:
    # The SDK adds X-Project-Id / X-Sdk-Content-Sha256 under these spellings; using the
    # same keys avoids two spellings of one header in the re-signed request.
    return "-".join(p.capitalize() for p in name.split("-"))


class Authenticator:
    def __init__(self, token: str | None = None, ak: str | None = None, sk: str | None = None,
                 max_skew: int = MAX_CLOCK_SKEW, signature_code: str = UNAUTHORIZED):
        self.token, self.ak, self.sk, self.max_skew = token, ak, sk, max_skew
        self.signature_code = signature_code  # error_code of a failed AK/SK check

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.ak)

    def check(self, req: Incoming, verify_signature: bool = True) -> Response | None:
        """None when the request may pass, else the 401 answer. Without verify_signature
        (a fault) a known access key is enough."""
        if not self.enabled:
            return None
        given = req.headers.get("x-auth-token")
        if self.token and given is not None and hmac.compare_digest(
            given.encode(), self.token.encode()
        ):
            return None
        if self.ak and "authorization" in req.headers:
            reason = self._aksk_failure(req, verify_signature)
            if reason is None:
                return None
            return error(401, self.signature_code, f"Unauthorized: {reason}")
        if given is not None:
            return error(401, UNAUTHORIZED, "Unauthorized: invalid X-Auth-Token")
        return error(401, UNAUTHORIZED, "Unauthorized: no credentials")

    def _aksk_failure(self, req: Incoming, verify_signature: bool = True) -> str | None:
        m = _AUTH_RE.fullmatch(req.headers["authorization"].strip())
        if m is None:
            return "malformed Authorization header"
        access, signed, signature = m.groups()
        if not hmac.compare_digest(access.encode(), self.ak.encode()):
            return "unknown access key"
        if not verify_signature:
            return None
        names = signed.split(";")
        if "x-sdk-date" not in names or "authorization" in names:
            return "X-Sdk-Date must be signed, Authorization must not"
        if any(n not in req.headers for n in names):
            return "a signed header is missing"
        try:
            sent = datetime.strptime(req.headers["x-sdk-date"], _DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return "malformed X-Sdk-Date"
        if abs((datetime.now(UTC) - sent).total_seconds()) > self.max_skew:
            return "stale X-Sdk-Date"
        expected = _AUTH_RE.fullmatch(self._sign(req, names))
        if expected is None or expected.group(2) != signed:
            return "signed headers do not match the request"
        if not hmac.compare_digest(expected.group(3).encode(), signature.lower().encode()):
            return "signature mismatch"
        return None

    def _sign(self, req: Incoming, names: list[str]) -> str:
        headers = {_canonical_name(n): req.headers[n] for n in names if n != "x-project-id"}
        # BasicCredentials re-adds X-Project-Id itself, exactly as on the client
        project = req.headers.get("x-project-id") if "x-project-id" in names else None
        sdk_request = SdkRequest(
            method=req.method,
            schema="http",
            host=req.headers.get("host", ""),
            resource_path=req.raw_path,
            query_params=parse_qsl(req.query, keep_blank_values=True),
            header_params=headers,
            body=req.body,
        )
        signed = BasicCredentials(self.ak, self.sk, project).sign_request(sdk_request)
        return signed.header_params["Authorization"]
