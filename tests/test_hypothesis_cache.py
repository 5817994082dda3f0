"""Hypothesis' caches: one folder the user's runs share, the report folder when it cannot be."""

from __future__ import annotations

from metastudio_conformance import hypothesis_cache


def test_runs_share_the_users_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = hypothesis_cache.home_for(tmp_path / "reports")
    assert home == tmp_path / "cache" / "metastudio-conformance" / "hypothesis"
    assert home.is_dir()


def test_without_xdg_the_home_folders_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert hypothesis_cache.home_for(tmp_path / "r") == tmp_path.joinpath(
        ".cache", "metastudio-conformance", "hypothesis")


def test_a_cache_folder_that_cannot_be_made_falls_back_to_the_report_folder(tmp_path,
                                                                            monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file in the way
    assert hypothesis_cache.home_for(tmp_path / "r") == tmp_path / "r" / ".hypothesis"
