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
    street = [SUFFIXES.get(w, w) for w in street if w not in ("CHICAGO", "IL", "ILLINOIS")]
    street = [w for w in street if not (w.isdigit() and len(w) == 5)]  # a ZIP code
    return f"{int(number) // 100:03d}XX {DIRECTIONS[direction]} {' '.join(street)}"


def block_spellings(block: str) -> list[str]:
    """Ways the data writes a block: the first hundred of a street is ``000XX`` in older
    files (and in :func:`to_block`) and ``0000X`` in the portal's newer ones."""
    if block.startswith("000XX "):
        return [block, "0000X" + block[5:]]
    return [block]
