"""Watching a function's calls from a test."""

from __future__ import annotations

from collections.abc import Callable


def spy(monkeypatch, owner, name: str, record: Callable) -> None:
    """Replace ``owner.name`` (for the test) by a wrapper that first calls
    ``record`` with the call's arguments, then the original."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        record(*args, **kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
