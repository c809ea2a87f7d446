"""Structural virality in plain words: was a cascade a broadcast or did it go viral?

Structural virality (docs/metrics.md, "Cascades") is the mean shortest-path distance
over all pairs of a cascade's people, along who told whom. One person telling
everyone (a star) scores just under 2, whatever the size; word passed on from
person to person scores more, up to ``(n + 1) / 3`` for a single chain. So a
score near 2 reads as a broadcast and a larger one as viral spread (Goel et al.,
"The Structural Virality of Online Diffusion", 2016).
"""

from __future__ import annotations

__all__ = ["BROADCAST_BELOW", "VIRAL_FROM", "reading"]

#: Below this score a cascade reads as a broadcast.
BROADCAST_BELOW = 2.5
#: From this score on it reads as viral; between the two, as mixed.
VIRAL_FROM = 4.0
# Under four people a star and a chain are the same tree: nothing to tell apart.
SMALLEST_TOLD_APART = 4


def reading(structural_virality: float | None, size: int, depth: int) -> dict:
    """What a cascade's score says: ``{"kind", "words"}``, ``kind`` one of
    ``single``, ``small``, ``broadcast``, ``mixed`` or ``viral``.

    >>> reading(None, 1, 0)["kind"]
    'single'
    >>> reading(4 / 3, 3, 2)["kind"]
    'small'
    >>> reading(1.9, 10, 1)["words"].split(":")[0]
    'Broadcast'
    >>> reading(3.1, 40, 4)["kind"], reading(7.2, 80, 12)["kind"]
    ('mixed', 'viral')
    >>> print(reading(7.2, 80, 12)["words"])  # doctest: +NORMALIZE_WHITESPACE
    Viral: word went from person to person, over 12 generations. Two people in
    this cascade are 7.2 steps apart on average (one person telling everyone would
    score just under 2).
    """
    if size <= 1 or structural_virality is None:
        return {
            "kind": "single",
            "words": "A single customer: nobody has come through them yet.",
        }
    score = f"{structural_virality:.1f}"
    if size < SMALLEST_TOLD_APART:
        return {
            "kind": "small",
            "words": f"Too small to tell broadcast from viral: with {size} people, "
            "one person telling the others and a chain look alike.",
        }
    if structural_virality < BROADCAST_BELOW:
        return {
            "kind": "broadcast",
            "words": "Broadcast: most people heard it straight from the person who "
            f"started it. A score of {score}, near 2, means one person told nearly "
            "everyone.",
        }
    generations = f"over {depth} generation{'s' if depth != 1 else ''}"
    if structural_virality < VIRAL_FROM:
        return {
            "kind": "mixed",
            "words": "Between broadcast and viral: the starter told many, and a few "
            f"passed it on, {generations}. Two people in this cascade are {score} "
            "steps apart on average.",
        }
    return {
        "kind": "viral",
        "words": f"Viral: word went from person to person, {generations}. Two "
        f"people in this cascade are {score} steps apart on average (one person "
        "telling everyone would score just under 2).",
    }
