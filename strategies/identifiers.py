"""Identifiers: job and project ids shaped like the docs' example, and ones no server knows."""

from __future__ import annotations

from hypothesis import strategies as st

HEX32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


def job_ids() -> st.SearchStrategy[str]:
    """32 lower-case hex characters, as `efc5300ecdba4ea48d1ff13a9d907bc0` in the docs."""
    return HEX32


def odd_job_ids() -> st.SearchStrategy[str]:
    """Path segments a server must answer without a 5xx: wrong length, case, characters."""
    return st.one_of(
        st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32),
        st.text(alphabet="0123456789abcdef", min_size=1, max_size=31),
        st.text(alphabet="0123456789abcdef", min_size=33, max_size=80),
        st.sampled_from(["%00", "..", "%2e%2e", "null", "-1", "0" * 32, "%E4%BD%A0"]),
    )
