"""`engines.slots`: each hash its own slot, the same in SQL as in Python."""

from __future__ import annotations

import random

import duckdb
import pytest

from dealcheck.engines.slots import MOST_SLOTTED, Slots


@pytest.mark.parametrize("count", [1, 2, 3, 10, 500, 4000])
def test_each_hash_has_a_slot_of_its_own_in_sql_as_in_python(count: int) -> None:
    rng = random.Random(count)
    hashes = sorted({rng.getrandbits(64) for _ in range(count)})
    found = Slots.of(hashes)
    assert found is not None
    places = [found.slot(h) for h in hashes]
    assert len(set(places)) == len(hashes)
    assert all(0 <= p < found.size for p in places)
    con = duckdb.connect()
    in_sql = con.execute(f"SELECT {found.sql('h')} FROM unnest(?::UBIGINT[]) t(h)",
                         [hashes]).fetchall()
    assert [p for (p,) in in_sql] == [p + 1 for p in places]


def test_no_slots_for_a_hash_given_twice_or_too_many() -> None:
    assert Slots.of([7, 7]) is None
    assert Slots.of(range(MOST_SLOTTED + 1)) is None
