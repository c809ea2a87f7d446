"""Referral link codes: short, hard to guess, without ambiguous characters."""

from __future__ import annotations

import os
import secrets

import numpy as np

__all__ = ["CODE_ALPHABET", "new_link_code", "new_link_codes"]

# Unambiguous: no 0/o, 1/l/i.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_link_code(length: int = 8, rng=secrets) -> str:
    """A short referral code that is hard to guess and has no ambiguous characters.

    >>> code = new_link_code()
    >>> len(code), set(code) <= set(CODE_ALPHABET)
    (8, True)
    """
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(length))


def new_link_codes(count: int, length: int = 8) -> list[str]:
    """``count`` random codes like ``new_link_code``, drawn at once from the OS.

    >>> codes = new_link_codes(1000, length=6)
    >>> len(codes), {len(c) for c in codes}, set("".join(codes)) == set(CODE_ALPHABET)
    (1000, {6}, True)
    """
    size = len(CODE_ALPHABET)
    # Bytes below the largest multiple of the alphabet's size map without bias.
    usable = 256 - 256 % size
    drawn = np.frombuffer(os.urandom(count * length * 2 + 64), np.uint8)
    drawn = drawn[drawn < usable] % size
    while len(drawn) < count * length:
        more = np.frombuffer(os.urandom(count * length + 64), np.uint8)
        drawn = np.concatenate((drawn, more[more < usable] % size))
    letters = np.frombuffer(CODE_ALPHABET.encode(), np.uint8)[drawn[: count * length]]
    text = letters.tobytes().decode()
    return [text[i : i + length] for i in range(0, count * length, length)]
