"""Money: integer minor units of the business's currency, parsed without floats.

A purchase's value arrives as a JSON number in major units (12.34 EUR) and is
kept as minor units (1234 cents); ISO 4217 says how many decimals a currency has
(0 for JPY, 2 for EUR, 3 for KWD). Figures go back out in major units.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from iso4217 import Currency

__all__ = [
    "MAX_PURCHASE",
    "currency_exponent",
    "major",
    "minor_units",
    "most_of",
]

# One purchase holds at most this many minor units (100,000,000.00 EUR), so the
# sum of any 922 million purchases fits in a signed 64-bit integer (SQLite's).
MAX_PURCHASE = 10**10
_PLAIN = re.compile(r"(\d{1,11})(?:\.(\d{1,20}))?")
_LONGEST = 40


def currency_exponent(code: str) -> int:
    """The number of decimals of an ISO 4217 currency; ValueError if it has none.

    >>> currency_exponent("EUR"), currency_exponent("JPY"), currency_exponent("KWD")
    (2, 0, 3)
    """
    try:
        exponent = Currency(code.upper()).exponent
    except ValueError:
        raise ValueError(
            "give a three-letter ISO 4217 code such as EUR or USD"
        ) from None
    if exponent is None:  # gold, SDRs, test codes: no minor unit to count in
        raise ValueError(f"{code.upper()} has no minor unit; give a currency of money")
    return exponent


def most_of(exponent: int) -> str:
    """The largest purchase, in major units as written.

    >>> most_of(2), most_of(0)
    ('100000000.00', '10000000000')
    """
    return f"{Decimal(MAX_PURCHASE).scaleb(-exponent):f}"


def _refused(exponent: int) -> ValueError:
    decimals = f"at most {exponent} decimals" if exponent else "no decimals"
    return ValueError(f"give a number from 0 to {most_of(exponent)} with {decimals}")


def minor_units(number: str, exponent: int) -> int:
    """A JSON number in major units -> whole minor units, never through a float.

    >>> minor_units("0.29", 2), minor_units("12", 2), minor_units("1.5e1", 0)
    (29, 1200, 15)
    >>> minor_units("0.001", 2)
    Traceback (most recent call last):
    ...
    ValueError: give a number from 0 to 100000000.00 with at most 2 decimals
    """
    plain = _PLAIN.fullmatch(number)
    if plain is not None:  # the usual form, without Decimal's cost
        whole, fraction = plain.groups()
        fraction = (fraction or "").rstrip("0")
        if len(fraction) > exponent:
            raise _refused(exponent)
        found = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)
    else:
        found = _decimal_minor_units(number, exponent)
    if found > MAX_PURCHASE:
        raise _refused(exponent)
    return found


def _decimal_minor_units(number: str, exponent: int) -> int:
    if len(number) > _LONGEST:
        raise _refused(exponent)
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise _refused(exponent) from None
    # Compared before any scaling: 1e999999999 must not become a huge integer
    # (the caller compares the minor units with the maximum).
    if not amount.is_finite() or amount < 0 or amount > MAX_PURCHASE:
        raise _refused(exponent)
    _, digits, power = amount.as_tuple()
    count = int("".join(map(str, digits)))
    shift = power + exponent
    if shift >= 0:
        return count * 10**shift
    if count == 0:
        return 0
    if -shift > len(digits) or count % 10**-shift:
        raise _refused(exponent)
    return count // 10**-shift


def major(minor: float | None, exponent: int) -> float | None:
    """Minor units -> major units, as a JSON number.

    >>> major(1234, 2), major(500, 0), major(None, 2)
    (12.34, 500.0, None)
    """
    if minor is None:
        return None
    return minor / 10**exponent
