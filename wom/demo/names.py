"""Seeded names and the email addresses derived from them.

People come from a handful of name cultures, most of them with letters beyond
ASCII, so that every page and export is exercised with real-world names. Emails
are the names folded to ASCII, unique even after gmail normalisation.
"""

from __future__ import annotations

import unicodedata

import numpy as np

__all__ = [
    "CULTURES",
    "DOMAINS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "emails_for",
    "fold",
    "gmail_variants",
    "pick_cultures",
    "pick_names",
]

# (first names, last names, weight). Kept within Latin script so that the ASCII
# fold of every name is non-empty.
CULTURES = (
    (
        "Chloé Zoé Léa Hélène Élodie Agnès François Jérôme Théo Noémie Camille Lucas "
        "Hugo Manon Julien Claire Anaïs Benoît Gaëlle Loïc Jean-Luc Anne-Sophie",
        "Lefèvre Dubois Martin Bernard Moreau Girard Faure Rousseau Bélanger Gérard "
        "Lemaître Mercier Fontaine Chevalier Leroy Garnier Duchêne",
        1.2,
    ),
    (
        "José María Sofía Álvaro Sebastián Lucía Inés Ramón Andrés Nuria Javier "
        "Carmen Pilar Jesús Begoña Íñigo Alba Diego",
        "García Pérez Hernández Ramírez Núñez Gómez Muñoz López Martínez Ortiz Castro "
        "Ruiz Jiménez Sánchez Díaz Álvarez Ibáñez Peña",
        1.2,
    ),
    (
        "Jürgen Jörg Björn Søren Åsa Ingrid Mads Freja Linnéa Göran Märta Anke Lars "
        "Sven Hannah Felix Lena Jonas Maren Kjell",
        "Müller Schäfer Weiß Åström Jørgensen Lindqvist Søndergaard Öberg Nyström "
        "Hansen Becker Krüger Fischer Bäckström Hoffmann Løvland Köhler",
        1.2,
    ),
    (
        "Łukasz Małgorzata Paweł Zofia Wojciech Agnieszka Jiří Tomáš Kateřina Ondřej "
        "Piotr Magdalena Michał Barbora Jakub Alžběta",
        "Kowalski Wiśniewski Nowak Wójcik Dvořák Novák Černý Zieliński Szymańska "
        "Procházka Kamiński Lewandowska Svoboda Kučera Dąbrowski",
        0.9,
    ),
    (
        "Anh Thảo Huy Linh Minh Phương Quân Trang Đức Hương Bảo Ngọc Tuấn Vy",
        "Nguyễn Trần Lê Phạm Hoàng Đặng Bùi Võ Đỗ Huỳnh Phan Vũ",
        0.6,
    ),
    (
        "João Gonçalo Inês Conceição Sérgio Luís Beatriz Tiago Leonor Rúben Mariana",
        "Gonçalves Araújo Simões Magalhães Lourenço Guimarães Sousa Fernandes Ribeiro "
        "Carvalho",
        0.6,
    ),
    (
        "Zoë Chloe Siobhán Seán Oliver Amelia Jack Emily Liam Grace Aoife Niamh "
        "Olivia Noah Isla Harry Ruby Oscar",
        "O'Brien Smith Murphy Walsh Taylor Brown Kelly Byrne Evans Hughes Wilson "
        "Thompson Clarke Ó Súilleabháin Fitzgerald",
        1.6,
    ),
    (
        "Ayşe Gül Çağla Emre Şeyma Mert Yiğit Özge Burak Elif Can Deniz",
        "Şahin Özdemir Yılmaz Çelik Doğan Aydın Kılıç Arslan Koç Öztürk",
        0.6,
    ),
    (
        "Ólafur Sigríður Guðrún Þóra Jón Björk Einar Hildur",
        "Ólafsdóttir Jónsson Guðmundsdóttir Sigurðsson Þórsdóttir Magnússon",
        0.2,
    ),
    (
        "Ivana Luka Marija Filip Ana Nikola Petra Matej",
        "Kovačević Jurić Horvat Babić Marić Petrović Knežević Vuković",
        0.4,
    ),
    (
        "Giulia Niccolò Lorenzo Chiara Francesca Matteo Alessandro Beatrice Gioele",
        "Rossi Bianchi Esposito Romano Colombo Ricci De Luca Mazzà Conti Galli",
        0.8,
    ),
)
# "Ó Súilleabháin" and "De Luca" keep their space: split on two-letter particles.
_PARTICLES = {"Ó", "De"}


def _split(names: str) -> list[str]:
    words, out = names.split(), []
    for word in words:
        if out and out[-1] in _PARTICLES:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out


_FIRST_LISTS = [_split(first) for first, _, _ in CULTURES]
_LAST_LISTS = [_split(last) for _, last, _ in CULTURES]
FIRST_NAMES = tuple(name for names in _FIRST_LISTS for name in names)
LAST_NAMES = tuple(name for names in _LAST_LISTS for name in names)
# Where each culture's names start in the flat tuples, and how many it has.
_FIRST_COUNT = np.array([len(names) for names in _FIRST_LISTS])
_LAST_COUNT = np.array([len(names) for names in _LAST_LISTS])
_FIRST_START = np.cumsum(_FIRST_COUNT) - _FIRST_COUNT
_LAST_START = np.cumsum(_LAST_COUNT) - _LAST_COUNT
_WEIGHTS = np.array([weight for *_, weight in CULTURES])
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()

# Letters that Unicode decomposition leaves alone.
_SPECIAL = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "œ": "oe",
        "Œ": "Oe",
        "ı": "i",
    }
)


def fold(name: str) -> str:
    """``name`` in lower-case ASCII letters and digits only, as in an email address.

    >>> fold("Łukasz"), fold("Ingrid Åström"), fold("O'Brien"), fold("Nguyễn")
    ('lukasz', 'ingridastrom', 'obrien', 'nguyen')
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPECIAL))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


_FIRST_FOLDED = tuple(fold(name) for name in FIRST_NAMES)
_LAST_FOLDED = tuple(fold(name) for name in LAST_NAMES)


def pick_names(
    rng: np.random.Generator, culture: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``FIRST_NAMES`` and ``LAST_NAMES``, one pair per culture given."""
    first_start, first_count = _FIRST_START[culture], _FIRST_COUNT[culture]
    last_start, last_count = _LAST_START[culture], _LAST_COUNT[culture]
    first = first_start + (rng.random(len(culture)) * first_count).astype(np.int64)
    last = last_start + (rng.random(len(culture)) * last_count).astype(np.int64)
    return first.astype(np.int16), last.astype(np.int16)


def pick_cultures(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` culture indices drawn by the cultures' weights."""
    return rng.choice(len(CULTURES), size=count, p=_WEIGHTS).astype(np.int8)


_FORMATS = (
    lambda given, family: f"{given}.{family}",
    lambda given, family: f"{given}{family}",
    lambda given, family: f"{given[0]}.{family}",
    lambda given, family: f"{given}_{family}",
    lambda given, family: f"{family}.{given}",
)
DOMAINS = (
    "gmail.com",
    "example.com",
    "example.org",
    "example.net",
    "mail.example",
    "post.example",
)
_DOMAIN_WEIGHTS = np.array([0.36, 0.18, 0.14, 0.12, 0.1, 0.1])


def emails_for(
    rng: np.random.Generator,
    first: np.ndarray,
    last: np.ndarray,
    has_email: np.ndarray,
    gmail: np.ndarray,
) -> list[str | None]:
    """One email per person (``None`` unless ``has_email``), unique once normalised.

    Addresses are unique even under gmail's rules (dots and ``+tags`` ignored), so
    that no two honest people look like one mailbox. ``gmail`` forces gmail.com.

    >>> zoe, smith = FIRST_NAMES.index("Zoë"), LAST_NAMES.index("Smith")
    >>> emails_for(np.random.default_rng(1), np.full(4, zoe), np.full(4, smith),
    ...            np.array([True, True, False, True]), np.ones(4, dtype=bool))
    ['zoesmith13@gmail.com', 'smith.zoe@gmail.com', None, 'smith.zoe2@gmail.com']
    """
    count = len(first)
    formats = rng.choice(len(_FORMATS), size=count, p=[0.4, 0.2, 0.15, 0.1, 0.15])
    domains = rng.choice(len(DOMAINS), size=count, p=_DOMAIN_WEIGHTS)
    domains[gmail] = 0
    # A quarter of people add a number they like (a birth year, a lucky number).
    numbers = np.where(
        rng.random(count) < 0.4,
        rng.integers(1960, 2006, count),
        rng.integers(1, 100, count),
    )
    numbers[rng.random(count) >= 0.25] = 0
    # Number the people who share a first choice of address, in one vectorised pass:
    # the n-th of them gets n as a suffix. Gmail ignores dots, so there "f.l" and
    # "fl" are one choice.
    merged = np.where((domains == 0) & (formats == 1), 0, formats)
    choice = (
        (first.astype(np.int64) * len(LAST_NAMES) + last) * len(_FORMATS) + merged
    ) * 2100 + numbers
    choice = choice * len(DOMAINS) + domains
    choice[~has_email] = -1
    order = np.argsort(choice, kind="stable")
    ordered = choice[order]
    starts = np.ones(count, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(count), 0))
    suffixes = np.empty(count, dtype=np.int64)
    suffixes[order] = np.arange(count) - group_start + 1

    # Rarely, different choices still meet ("ann"+"asmith" and "anna"+"smith", or
    # a suffix that recreates someone's number): the later one moves on.
    used: set[str] = set()
    out: list[str | None] = [None] * count
    formats_, firsts, lasts = _FORMATS, _FIRST_FOLDED, _LAST_FOLDED
    for i, (given, family, fmt, dom, number, suffix, wanted) in enumerate(
        zip(
            first.tolist(),
            last.tolist(),
            formats.tolist(),
            domains.tolist(),
            numbers.tolist(),
            suffixes.tolist(),
            has_email.tolist(),
            strict=True,
        )
    ):
        if not wanted:
            continue
        local = formats_[fmt](firsts[given], lasts[family])
        if number:
            local = f"{local}{number}"
        candidate = local if suffix == 1 else f"{local}{suffix}"
        key = f"{candidate.replace('.', '') if dom == 0 else candidate}@{dom}"
        while key in used:
            suffix += 1
            candidate = f"{local}{suffix}"
            key = f"{candidate.replace('.', '') if dom == 0 else candidate}@{dom}"
        used.add(key)
        out[i] = f"{candidate}@{DOMAINS[dom]}"
    return out


def gmail_variants(email: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct addresses of the same gmail mailbox as ``email``.

    Dots moved, ``+tags`` added, and googlemail.com instead of gmail.com.

    >>> variants = gmail_variants("zoe.smith@gmail.com", 12, np.random.default_rng(0))
    >>> len(set(variants)), "zoe.smith@gmail.com" in variants
    (12, False)
    """
    local = email.split("@", 1)[0].replace(".", "")
    candidates: list[str] = []
    for i in range(1, len(local)):
        candidates.append(f"{local[:i]}.{local[i:]}@gmail.com")
        candidates.append(f"{local[:i]}.{local[i:]}@googlemail.com")
    for tag in ("promo", "1", "2", "3", "x", "deal", "ref", "new", "test", "a", "b"):
        candidates.append(f"{local}+{tag}@gmail.com")
        candidates.append(f"{email.split('@', 1)[0]}+{tag}@googlemail.com")
    candidates.append(f"{email.split('@', 1)[0]}@googlemail.com")
    unique = sorted(set(candidates) - {email})
    chosen = rng.choice(len(unique), size=min(count, len(unique)), replace=False)
    return [unique[i] for i in sorted(chosen.tolist())]
