"""Lifecycle model profiles shipped with the suite (package data)."""
