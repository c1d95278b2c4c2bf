"""How sensitive values look on screen: enough to recognise, not enough to misuse."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """2301**********123X — the first four and last four characters stay visible."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """138****0001"""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张* / 欧阳** / J*** — keeps the first character (a surname) only."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)
