"""Chicago street addresses → the portal's block notation ("6312 S Halsted St" →
"063XX S HALSTED ST"), so an address can be placed with the blocks the data already knows."""

from __future__ import annotations

import re

from safer77.errors import InvalidInput

DIRECTIONS = {
    "N": "N",
    "NORTH": "N",
    "S": "S",
    "SOUTH": "S",
    "E": "E",
    "EAST": "E",
    "W": "W",
    "WEST": "W",
}
SUFFIXES = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "BOULEVARD": "BLVD",
    "ROAD": "RD",
    "DRIVE": "DR",
    "PARKWAY": "PKWY",
    "PLACE": "PL",
    "COURT": "CT",
    "TERRACE": "TER",
    "HIGHWAY": "HWY",
    "LANE": "LN",
    "EXPRESSWAY": "EXPY",
}

#: Words that may follow the street: the city and the state.
PLACE_WORDS = frozenset({"CHICAGO", "IL", "ILLINOIS", "USA"})


def _is_zip(word: str) -> bool:
    return word.isdigit() and len(word) == 5


def to_block(address: str) -> str:
    """The block of an address: hundreds as three digits and XX, direction, street, suffix.

    Raises :class:`InvalidInput` when the text does not start with a house number and a
    direction (every Chicago address has both).
    """
    words = re.sub(r"[^0-9A-Za-z ]", " ", address).upper().split()
    if len(words) < 3 or not words[0].isdigit():
        raise InvalidInput(
            f"not a Chicago street address: {address!r}; expected e.g. '6312 S Halsted St'"
        )
    number, direction, *street = words
    if direction not in DIRECTIONS:
        raise InvalidInput(f"no direction (N, S, E or W) after the number in {address!r}")
    # the city, state and ZIP code may follow the street ("..., Chicago, IL 60621"); only
    # there are they dropped, so a street named Chicago (1600 W Chicago Ave) keeps its name
    while len(street) > 1 and (street[-1] in PLACE_WORDS or _is_zip(street[-1])):
        street.pop()
    street = [SUFFIXES.get(w, w) for w in street]
    return f"{int(number) // 100:03d}XX {DIRECTIONS[direction]} {' '.join(street)}"


def block_spellings(block: str) -> list[str]:
    """Ways the data writes a block: the first hundred of a street is ``000XX`` in older
    files (and in :func:`to_block`) and ``0000X`` in the portal's newer ones."""
    if block.startswith("000XX "):
        return [block, "0000X" + block[5:]]
    return [block]


def block_patterns(block: str) -> list[str]:
    """SQL ``LIKE`` patterns for the block's spellings; a street typed without its suffix
    ("1600 W Chicago") also matches the street with any suffix ("016XX W CHICAGO AVE")."""
    spellings = block_spellings(block)
    if block.rsplit(" ", 1)[-1] in set(SUFFIXES.values()):
        return spellings
    return spellings + [f"{s} %" for s in spellings]
