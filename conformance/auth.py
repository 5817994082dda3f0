"""Credentials on the wire: `X-Auth-Token`, or AK/SK signed by the official huaweicloudsdkcore.

Both are `requests` auth objects, so they apply to the final prepared request (after
schemathesis has serialised the body), outside the generated parameters.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

# requests adds these itself; they are not part of what the caller asked to send.
_UNSIGNED = {"content-length", "user-agent", "accept-encoding", "accept", "connection"}


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self.token
        return request


class AkSkAuth(requests.auth.AuthBase):
    """Signs with `BasicCredentials.sign_request`, as the SDK client does."""

    def __init__(self, ak: str, sk: str, project_id: str) -> None:
        self.credentials = BasicCredentials(ak, sk, project_id)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(request.url)
        headers = {
            name: _as_text(value)
            for name, value in request.headers.items()
            if name.lower() not in _UNSIGNED
        }
        body = getattr(request.body, "payload", request.body)  # a chunked body's bytes
        sdk_request = SdkRequest(
            method=request.method,
            schema=url.scheme,
            host=url.netloc,
            resource_path=url.path,
            query_params=parse_qsl(url.query, keep_blank_values=True),
            header_params=dict(headers),
            body=body.encode() if isinstance(body, str) else (body or b""),
        )
        signed = self.credentials.sign_request(sdk_request)
        for name, value in signed.header_params.items():
            if name not in headers:  # what the signer added: date, host, project, signature
                request.headers[name] = value
        return request


def _as_text(value: str | bytes) -> str:
    # A non-ASCII header value travels as UTF-8 bytes; sign the text those bytes carry, so
    # the canonical request hashes exactly the bytes on the wire.
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value


def for_settings(settings, project_id: str | None = None) -> requests.auth.AuthBase | None:
    if settings.ak:
        return AkSkAuth(settings.ak, settings.sk, project_id or settings.project_id)
    if settings.token:
        return TokenAuth(settings.token)
    return None
