"""The ids of a scenario's deployments: each used once, found exactly or by digest.

`UniqueIds` keeps every id with where it was first used (for what is in
memory anyway); `IdDigests` keeps 8 bytes an id for a streamed scenario, and
finds the duplicates at the end.
"""

from __future__ import annotations

from array import array

from dealcheck.dsl.diagnostics import Diagnostic, Related, error
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.tree import code

__all__ = ["IdDigests", "IdTable", "UniqueIds"]


class UniqueIds:
    """The deployment ids seen so far, with where each was first used (exact, in memory).

    For what is held in memory anyway: a YAML or JSON document, a list passed
    to `terms.check`. Streamed files use `IdDigests`, which stays small.
    With `only`, the table tracks just the ids whose `hash` is in it (the
    suspects `IdDigests.colliding` names), and every other id passes.
    """

    __slots__ = ("_first", "_only")

    def __init__(self, only: frozenset[int] | None = None) -> None:
        self._first: dict[str, tuple[str, int, int]] = {}
        self._only = only

    def __contains__(self, deployment_id: object) -> bool:
        return deployment_id in self._first or (
            self._only is not None and hash(deployment_id) in self._only
        )

    def fresh(self, deployment_id: str, file: str, line: int) -> bool:
        """Record an id first used on `line` if it is certainly new; False to look closer."""
        if self._only is not None:
            return hash(deployment_id) not in self._only
        if deployment_id in self._first:
            return False
        self._first[deployment_id] = (file, line, 1)
        return True

    def add(self, deployment_id: str, span: Span) -> Diagnostic | None:
        """Record an id; a diagnostic if it was used before."""
        if self._only is not None and hash(deployment_id) not in self._only:
            return None
        first = self._first.get(deployment_id)
        if first is None:
            self._first[deployment_id] = (span.file, span.line, span.column)
            return None
        file, line, column = first
        return error(
            errors.DUPLICATE_ID,
            f"duplicate deployment id {code(deployment_id)}",
            span,
            help="give each deployment its own id",
            related=[Related(Span.point(file, line, column), "first used here")],
        )


class IdDigests:
    """The ids of a streamed scenario, 8 bytes each: duplicates are found at the end.

    Keeping every id with its location costs ~200 bytes per deployment, which
    is most of the memory of a check over millions of rows. This table keeps
    only each id's `hash`, in 256 arrays by its low byte; `colliding` then
    names the hashes seen twice, and a second pass over the files with
    `UniqueIds(only=...)` reports the real duplicates, each with where it was
    first used (distinct ids that merely share a hash are not reported).
    """

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets = [array("q") for _ in range(256)]

    def __contains__(self, deployment_id: object) -> bool:
        return False  # not known until `colliding`: the rows are not looked at closer

    def fresh(self, deployment_id: str, file: str, line: int) -> bool:
        digest = hash(deployment_id)
        self._buckets[digest & 255].append(digest)
        return True

    def add(self, deployment_id: str, span: Span) -> Diagnostic | None:
        digest = hash(deployment_id)
        self._buckets[digest & 255].append(digest)
        return None

    def colliding(self) -> frozenset[int]:
        """The hashes recorded more than once (in practice: of the ids used more than once)."""
        found: set[int] = set()
        for bucket in self._buckets:
            if len(bucket) > 1:
                seen = set(bucket)  # INVARIANT: 1/256 of the ids at a time
                if len(seen) < len(bucket):
                    for value in seen:
                        if bucket.count(value) > 1:
                            found.add(value)
        return frozenset(found)


#: Where a scenario's ids are recorded: `UniqueIds` or `IdDigests`.
IdTable = UniqueIds | IdDigests
