"""Slots of their own for a few thousand 64-bit hashes: a lookup in SQL without a join.

The DuckDB engine finds what belongs to a row's key, or to a row's text of a
quantity, in list literals at the slot of its hash (`Slots.sql`), rather than
by a join: a query that joins does not keep its rows in input order, and a
table of millions of rows sorted again costs more than the lookups.
`Slots.of` finds the slots (a perfect hash: the hash-and-displace scheme),
and `Slots.slot` is the same computation in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MOST_SLOTTED", "Slots", "int_list"]

#: The most hashes given slots of their own: more cost more than a join.
MOST_SLOTTED = 1 << 14

#: The low 32 bits of a hash.
_LOW = (1 << 32) - 1


@dataclass(frozen=True, slots=True)
class Slots:
    """A perfect hash of some 64-bit hashes: each has its own slot in ``range(size)``.

    A hash falls in bucket ``hash % buckets``, and its slot is
    ``((hash >> 32) + shift * ((hash & 0xFFFFFFFF) % (size - 1) + 1)) % size``
    with its bucket's shift: each shift moves each hash (a step of 1 to
    ``size - 1`` in a table of prime size).
    """

    buckets: int
    size: int
    shifts: tuple[int, ...]

    @classmethod
    def of(cls, hashes: Sequence[int]) -> Slots | None:
        """The slots of distinct `hashes`; None if none are found, or for more than
        `MOST_SLOTTED` (or the same hash twice).

        The buckets, largest first, each take the first shift that puts their
        hashes in free slots, in a table a quarter larger than needed, then
        twice, four times as large (of a prime size: each shift of a bucket
        then moves its hashes to other slots).
        """
        count = len(hashes)
        if count > MOST_SLOTTED:
            return None
        for size in map(_prime_from, (count + count // 4 + 1, 2 * count + 1, 4 * count + 1)):
            found = _place(hashes, max(1, count // 4), size)
            if found is not None:
                return cls(max(1, count // 4), size, tuple(found))
        return None

    def slot(self, value: int) -> int:
        """The slot of hash `value` (one of those it was made of)."""
        return _slot_with(value, self.shifts[value % self.buckets], self.size)

    def sql(self, value: str) -> str:
        """The SQL of a hash's place in lists of `size` items (from 1): `slot` + 1.

        Args:
            value: an SQL expression of type UBIGINT (DuckDB's ``hash``).
        """
        # INVARIANT: `_slot_with` in SQL; no value exceeds 2**40.
        return (f"((({value} >> 32) + {int_list(self.shifts)}[({value} % {self.buckets})"
                f"::BIGINT + 1] * (({value} & {_LOW}) % {self.size - 1} + 1)) % {self.size})"
                "::BIGINT + 1")


def _place(hashes: Sequence[int], buckets: int, size: int) -> list[int] | None:
    members: list[list[int]] = [[] for _ in range(buckets)]
    for value in hashes:
        members[value % buckets].append(value)
    taken = bytearray(size)
    shifts = [0] * buckets
    for bucket in sorted(range(buckets), key=lambda b: -len(members[b])):
        for shift in range(size):
            places = {_slot_with(value, shift, size) for value in members[bucket]}
            if len(places) == len(members[bucket]) and not any(taken[p] for p in places):
                for place in places:
                    taken[place] = 1
                shifts[bucket] = shift
                break
        else:
            return None
    return shifts


def _prime_from(number: int) -> int:
    """The least prime at least `number` (2 or more)."""
    number = max(2, number)
    while any(number % d == 0 for d in range(2, int(number ** 0.5) + 1)):
        number += 1
    return number


def _slot_with(value: int, shift: int, size: int) -> int:
    return ((value >> 32) + shift * ((value & _LOW) % (size - 1) + 1)) % size


def int_list(values: Sequence[int]) -> str:
    """A list literal of integers."""
    return "[" + ", ".join(map(str, values)) + "]"
