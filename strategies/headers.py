"""`X-App-UserId` values: allowed ones, and ones with Chinese characters (sent as UTF-8)."""

from __future__ import annotations

from hypothesis import strategies as st

# CJK Unified Ideographs and Extension A: the characters the seed means by "Chinese".
_CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.characters(
    min_codepoint=0x3400, max_codepoint=0x4DBF
)
_ALLOWED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@"


def app_user_ids() -> st.SearchStrategy[str]:
    """Plain ids a server must take. No length limit is documented (docs/silent-points.md),
    so they stay short: a server may well cap the length it stores."""
    return st.text(alphabet=_ALLOWED, min_size=1, max_size=16)


def chinese_app_user_ids() -> st.SearchStrategy[bytes]:
    """UTF-8 bytes, as a client must send them: requests refuses non-latin-1 str values."""
    return st.tuples(
        st.text(alphabet=_ALLOWED, max_size=8), st.text(_CHINESE, min_size=1, max_size=8),
        st.text(alphabet=_ALLOWED, max_size=8),
    ).map(lambda parts: "".join(parts).encode("utf-8"))
