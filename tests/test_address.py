"""Addresses to the portal's block notation."""

from __future__ import annotations

import pytest

from safer77.errors import InvalidInput
from safer77.geo.address import block_spellings, to_block


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("6312 S Halsted St", "063XX S HALSTED ST"),
        ("6312 South Halsted Street, Chicago, IL 60621", "063XX S HALSTED ST"),
        ("26 W Madison", "000XX W MADISON"),
        ("1060 W. Addison Avenue", "010XX W ADDISON AVE"),
        ("12001 s michigan ave", "120XX S MICHIGAN AVE"),
    ],
)
def test_blocks(address: str, block: str) -> None:
    assert to_block(address) == block


@pytest.mark.parametrize("bad", ["Halsted St", "6312 Halsted St", "", "63"])
def test_not_an_address(bad: str) -> None:
    with pytest.raises(InvalidInput):
        to_block(bad)


def test_the_first_hundred_has_two_spellings() -> None:
    assert block_spellings(to_block("26 W Madison")) == ["000XX W MADISON", "0000X W MADISON"]
    assert block_spellings(to_block("126 W Madison")) == ["001XX W MADISON"]
