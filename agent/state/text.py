"""Checks shared by the parsers of command outputs: is this text a command's output at all?"""

from __future__ import annotations


def readable_text(text: str, what: str) -> str:
    """``text`` without a leading BOM; ValueError if it cannot be a command's right output.

    NUL characters mean UTF-16 read as an 8-bit code page; an empty output is never "none".
    """
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ValueError(f"{what}: NUL characters (UTF-16 output read as 8-bit text)")
    if not text.strip():
        raise ValueError(f"{what}: empty output")
    return text
