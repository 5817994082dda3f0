"""Command bodies drawn from the contract: valid ones, and ones that break one rule each."""

from __future__ import annotations

from hypothesis import strategies as st

from metastudio_conformance import contract

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
)


def comment_data() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {},
        optional={
            "comment_title": _TEXT,
            "comment_message": _TEXT,
            "attachment_name": st.lists(
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1,
                        max_size=20),
                max_size=4,
            ),
        },
    )


def command_bodies(commands: list[str] | None = None) -> st.SearchStrategy[dict]:
    """Schema-valid bodies; `commands` narrows the `command` values."""
    return st.fixed_dictionaries(
        {"command": st.sampled_from(commands or contract.commands())},
        optional={
            "command_message": st.sampled_from(contract.command_messages()),
            "comment_data": comment_data(),
        },
    )


def undocumented_commands() -> st.SearchStrategy[object]:
    """Strings that no document names as a command: near misses and made-up ones (the SDK's
    later additions are not among them: a newer service may accept those)."""
    documented = set(contract.commands()) | set(contract.also_accepted_commands())
    near_misses = st.sampled_from(contract.commands()).flatmap(
        lambda c: st.sampled_from([c.lower(), c + "X", c[:-1], " " + c, c.replace("_", "-")])
    )
    not_a_string = st.one_of(st.integers(), st.booleans(), st.none(),
                             st.lists(st.integers(), max_size=2), st.just({}))
    return st.one_of(
        near_misses,
        st.sampled_from(["", "DELETE", "CONFIRM", "submitverifying", "EXCUTE_SUCCESS"]),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=64),
        not_a_string,
    ).filter(lambda c: not (isinstance(c, str) and c in documented))


def bodies_without_command() -> st.SearchStrategy[dict]:
    """Bodies with every optional field but the required `command`."""
    return command_bodies().map(lambda body: {k: v for k, v in body.items() if k != "command"})


def bodies_with_wrong_types() -> st.SearchStrategy[dict]:
    """One documented optional field (`command_message`, `comment_data` and its members)
    given a value of the wrong JSON type."""
    not_string = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
                           st.just({}))
    not_object = st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2))
    not_list = st.one_of(st.integers(), st.text(max_size=5), st.just({}))
    base = command_bodies()
    return st.one_of(  # a `command` of the wrong type is CMD-02's: undocumented_commands
        st.tuples(base, not_string).map(lambda p: {**p[0], "command_message": p[1]}),
        st.tuples(base, not_object).map(lambda p: {**p[0], "comment_data": p[1]}),
        st.tuples(base, not_string).map(
            lambda p: {**p[0], "comment_data": {"comment_title": p[1]}}
        ),
        st.tuples(base, not_list).map(
            lambda p: {**p[0], "comment_data": {"attachment_name": p[1]}}
        ),
    )
