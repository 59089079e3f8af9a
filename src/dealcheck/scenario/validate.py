"""Validate deployments against the terms' vocabulary: located diagnostics, unique ids.

Every deployment goes through the validator `scenario.generated` builds from
the terms. This module holds what that validator cannot see — the shape of a
document, duplicate keys and ids, a deployment that ends before it starts, a
CSV header without a required column — and turns its errors into dealcheck's
diagnostics, each at the span of the value it concerns.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter

from pydantic_core import ErrorDetails, ValidationError

from dealcheck._speed import paused_gc
from dealcheck.dsl.diagnostics import (
    Diagnostic,
    DiagnosticsError,
    Related,
    error,
)
from dealcheck.dsl.span import Span
from dealcheck.rules.kinds import DEPLOYMENT_KINDS
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario import errors
from dealcheck.scenario.fields import (
    FieldRules,
    given,
    normal_id,
    parse_date,
    unique_entries,
    unknown_field,
)
from dealcheck.scenario.generated import FIELDS, REQUIRED_FIELDS, cached, located
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.tree import (
    Entry,
    Map,
    Node,
    Scalar,
    Seq,
    code,
    describe,
    listing,
    node_from_python,
)

__all__ = [
    "DOCUMENT_FIELDS", "FIELDS", "REQUIRED_FIELDS", "Checked", "DeploymentValidator", "IdDigests",
    "IdTable", "UniqueIds", "check_document", "normal_id", "parse_deployment",
    "parse_deployments", "unique_entries", "unknown_field",
]

#: The keys of a YAML or JSON scenario document.
DOCUMENT_FIELDS: tuple[str, ...] = ("scenario", "facts", "deployments")

_FIELD_SET = frozenset(FIELDS)
_REQUIRED_HELP = "a deployment needs `id`, `party`, `workload`, `provider` and `start`"
#: The error types of a key the schema does not know.
_UNKNOWN_KEY = frozenset(("unexpected_keyword_argument", "invalid_key", "extra_forbidden"))


@dataclass(slots=True)
class Checked:
    """The outcome of validating one deployment: the deployment if valid, and what went wrong.

    `id` and `id_span` are set whenever the id itself is valid, so duplicate
    ids are found even among otherwise invalid deployments.
    """

    deployment: Deployment | None
    id: str | None
    id_span: Span | None
    diagnostics: list[Diagnostic]


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

    def export(self) -> list[bytes]:
        """The hashes, bucket by bucket, to `merge` into a table in another process.

        Only a process forked from the one that merges computes the same
        `hash` of a string.
        """
        return [bucket.tobytes() for bucket in self._buckets]

    def merge(self, exported: list[bytes]) -> None:
        """Add the hashes another table `export`-ed."""
        for bucket, raw in zip(self._buckets, exported, strict=True):
            bucket.frombytes(raw)

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


class DeploymentValidator:
    """Turns deployments as read (trees, or rows as plain data) into `Deployment`s or diagnostics.

    Both go through the terms' generated validator (`scenario.generated`):
    `accept` for a row given as plain data (a JSON Lines object), which is
    all a valid row costs; `check` for a tree, with its diagnostics.
    """

    __slots__ = ("_rules", "_textual", "_typed")

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._typed = cached(vocabulary)
        self._textual = cached(vocabulary, textual=True)
        self._rules = FieldRules(vocabulary)

    def accept(self, data: object, file: str, line: int) -> Deployment | None:
        """The deployment a row of plain data (a JSON object) describes, if valid.

        None when anything is wrong: `check` of its tree then explains.
        """
        return self._typed.accept(data, SourceLocation(file, line, 1))

    def check(self, node: Node, *, absent_ok: Collection[str] = (),
              textual: bool = False) -> Checked:
        """Validate one deployment.

        Args:
            node: the deployment as read (a `Map`, or anything else for a shape error).
            absent_ok: required fields whose absence was already reported for the
                whole file (a CSV header without the column).
            textual: whether its values are text in their format (a CSV row's cells).

        Returns:
            the deployment (only when there are no diagnostics) and the diagnostics.
        """
        diagnostics: list[Diagnostic] = []
        if not isinstance(node, Map):
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"a deployment must be a mapping, found {describe(node)}",
                    node.span,
                    help=_REQUIRED_HELP,
                )
            )
            return Checked(None, None, None, diagnostics)
        fields = unique_entries(node, diagnostics)
        validator = self._textual if textual else self._typed
        try:
            deployment = validator.validate({key: plain(entry.value)
                                             for key, entry in fields.items()})
        except ValidationError as refused:
            return self._explain(node, fields, refused.errors(include_url=False), absent_ok,
                                 diagnostics)
        ends_early = deployment.end is not None and deployment.end < deployment.start
        if not ends_early and not diagnostics and not _has_duplicates(given(fields.get("facts"))):
            id_node = given(fields["id"])
            assert id_node is not None  # INVARIANT: the validator accepted an id
            span = node.span
            located(deployment, SourceLocation(span.file, span.line, span.column))
            return Checked(deployment, deployment.id, id_node.span, diagnostics)
        return self._explain(node, fields, [], absent_ok, diagnostics)

    def _explain(self, node: Map, fields: Mapping[str, Entry], found: list[ErrorDetails],
                 absent_ok: Collection[str], diagnostics: list[Diagnostic]) -> Checked:
        """The diagnostics of the validator's errors, each from the rule of its field."""
        refused, missing, unknown = _by_kind(found)
        for key, entry in fields.items():
            if key in unknown or key not in _FIELD_SET:
                diagnostics.append(unknown_field(key, entry.key_span, FIELDS))
        _missing(node, fields, missing, absent_ok, diagnostics)
        refused -= {key for key in REQUIRED_FIELDS if key in fields and given(fields[key]) is None}
        rules = self._rules
        # Each rule takes the value, and reports to `diagnostics`.
        explainers: list[tuple[str, Callable[..., object]]] = [
            ("id", rules.read_id),
            *((kind.name, partial(rules.name, kind=kind)) for kind in DEPLOYMENT_KINDS),
            ("capacity", partial(rules.quantity, key="capacity")),
            ("value", partial(rules.quantity, key="value")),
            ("start", partial(parse_date, label="`start`", type_code=errors.MALFORMED_DATE)),
            ("end", partial(parse_date, label="`end`", type_code=errors.MALFORMED_DATE)),
        ]
        for key, rule in explainers:
            value = given(fields.get(key))
            if key in refused and value is not None:
                before = len(diagnostics)
                rule(value, diagnostics=diagnostics)
                _unexplained(key, value, before, diagnostics)
        _ends_before_start(fields, diagnostics)
        facts = given(fields.get("facts"))
        if facts is not None and ("facts" in refused or _has_duplicates(facts)):
            before = len(diagnostics)
            rules.facts(facts, diagnostics)
            _unexplained("facts", facts, before, diagnostics)
        ident, id_span = rules.read_id(given(fields.get("id")), [])
        return Checked(None, ident, id_span, diagnostics)


def _by_kind(found: list[ErrorDetails]) -> tuple[set[str], set[str], set[str]]:
    """The fields the validator refused, those missing, and the keys it does not know."""
    refused: set[str] = set()
    missing: set[str] = set()
    unknown: set[str] = set()
    for problem in found:
        key = str(problem["loc"][0]) if problem["loc"] else ""
        if problem["type"] == "missing":
            missing.add(key)
        elif problem["type"] in _UNKNOWN_KEY and len(problem["loc"]) == 1:
            unknown.add(key)
        else:
            refused.add(key)
    return refused, missing, unknown


def _missing(node: Map, fields: Mapping[str, Entry], missing: set[str],
             absent_ok: Collection[str], diagnostics: list[Diagnostic]) -> None:
    """Required fields left out, or given no value (null, an empty CSV cell)."""
    absent = [k for k in REQUIRED_FIELDS if k in missing and k not in absent_ok]
    if absent:
        plural = "s" if len(absent) > 1 else ""
        diagnostics.append(
            error(
                errors.MISSING_FIELD,
                f"missing required field{plural} {listing(absent)}",
                node.span,
                help=_REQUIRED_HELP,
            )
        )
    for key in REQUIRED_FIELDS:
        required = fields.get(key)
        if required is not None and given(required) is None and key not in absent_ok:
            diagnostics.append(
                error(
                    errors.MISSING_FIELD,
                    f"missing value for required field `{key}`",
                    required.key_span,
                    help=_REQUIRED_HELP,
                )
            )


def _ends_before_start(fields: Mapping[str, Entry], diagnostics: list[Diagnostic]) -> None:
    """A deployment that ends before it starts: pointing at `end`, with where it starts."""
    start_node, end_node = given(fields.get("start")), given(fields.get("end"))
    if start_node is None or end_node is None:
        return
    start = parse_date(start_node, "`start`", errors.MALFORMED_DATE, [])
    end = parse_date(end_node, "`end`", errors.MALFORMED_DATE, [])
    if start is not None and end is not None and end < start:
        diagnostics.append(
            error(
                errors.END_BEFORE_START,
                f"deployment ends before it starts: `end` is {end}, `start` is {start}",
                end_node.span,
                help="`end` must be on or after `start`",
                related=[Related(start_node.span, "starts here")],
            )
        )


def _unexplained(key: str, node: Node, before: int, diagnostics: list[Diagnostic]) -> None:
    """Never silent: a value the validator refused that its rule did not explain."""
    if len(diagnostics) == before:
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"`{key}` is not valid here: {describe(node)}",
                node.span,
                help=f"see `dealcheck schema scenario` for what `{key}` takes",
            )
        )


def plain(node: Node) -> object:
    """A tree as plain data, for the generated validator: a repeated key keeps its first value."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Seq):
        return [plain(item) for item in node.items]
    found: dict[str, object] = {}
    for entry in node.entries:
        if entry.key not in found:
            found[entry.key] = plain(entry.value)
    return found


def _has_duplicates(node: Node | None) -> bool:
    if not isinstance(node, Map):
        return False
    return len({entry.key for entry in node.entries}) != len(node.entries)


# -- the scenario document (YAML and JSON) -----------------------------------


@dataclass(slots=True)
class Document:
    """A YAML or JSON scenario's top level: its name and its deployments, still raw."""

    name: str | None
    deployments: tuple[Node, ...]
    #: The facts of the whole scenario (`facts:` at the top), still raw; None when absent.
    facts: Node | None = None


def check_document(node: Node, diagnostics: list[Diagnostic]) -> Document:
    """Validate the top level of a YAML or JSON scenario; the deployments are checked later."""
    if not isinstance(node, Map):
        hint = (
            "put the list under a `deployments` key"
            if isinstance(node, Seq)
            else "a scenario file holds a mapping with a `deployments` list"
        )
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"a scenario must be a mapping with a `deployments` list, found {describe(node)}",
                node.span,
                help=hint,
            )
        )
        return Document(None, ())
    fields = unique_entries(node, diagnostics)
    facts = given(fields.get("facts"))
    for key, entry in fields.items():
        if key in DOCUMENT_FIELDS:
            continue
        if key in _FIELD_SET:
            diagnostics.append(
                error(
                    errors.UNKNOWN_FIELD,
                    f"unknown field {code(key)} at the top of the scenario",
                    entry.key_span,
                    help="deployment fields belong to an item of `deployments`",
                )
            )
        else:
            diagnostics.append(unknown_field(key, entry.key_span, DOCUMENT_FIELDS))
    name: str | None = None
    name_entry = fields.get("scenario")
    value = given(name_entry)
    if value is not None:
        if isinstance(value, Scalar) and isinstance(value.value, str):
            name = value.value
        else:
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`scenario` must be a name, found {describe(value)}",
                    value.span,
                    help="the scenario's name is text, e.g. `scenario: 2025 plan`",
                )
            )
    listed = fields.get("deployments")
    if listed is None or given(listed) is None:
        diagnostics.append(
            error(
                errors.MISSING_FIELD,
                "missing required field `deployments`",
                node.span if listed is None else listed.key_span,
                help="list the deployments under `deployments:`",
            )
        )
        return Document(name, (), facts)
    if not isinstance(listed.value, Seq):
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"`deployments` must be a list, found {describe(listed.value)}",
                listed.value.span,
                help="in YAML, start each deployment with `- `",
            )
        )
        return Document(name, (), facts)
    return Document(name, listed.value.items, facts)


def parse_deployment(
    mapping: Mapping[str, object], vocabulary: Vocabulary, location: SourceLocation | None = None
) -> Deployment:
    """Validate one deployment given as plain data (the library API and executable examples).

    Args:
        mapping: the fields as in a scenario file; dates may be `datetime.date`
            or ISO text, quantities a `Quantity` or text such as ``"300 MW"``,
            `facts` a mapping.
        vocabulary: the names the terms declare.
        location: where the deployment was written, for diagnostics and `source`.

    Returns:
        the deployment.

    Raises:
        DiagnosticsError: with every problem found.
    """
    found = cached(vocabulary).accept(mapping, location)
    if found is not None:
        return found
    where = location or SourceLocation("<input>", 1, 1)
    checked = DeploymentValidator(vocabulary).check(node_from_python(mapping, _span_at(where)))
    if checked.deployment is None:
        raise DiagnosticsError(checked.diagnostics)
    return located(checked.deployment, location)


def parse_deployments(
    deployments: Iterable[Deployment | Mapping[str, object]], vocabulary: Vocabulary
) -> list[Deployment]:
    """Validate every deployment of a list, as `terms.check([...])` receives them.

    Mappings are read like scenario entries; `Deployment` objects are checked
    against the vocabulary too (an undeclared name must never silently match
    nothing) and returned as they are, unless validating changed them (a fact
    given as a bare number becomes a `Quantity`). Diagnostics name the item as
    ``deployments[i]``.

    Raises:
        DiagnosticsError: with every problem in every item, duplicate ids included.
    """
    items = deployments if isinstance(deployments, list) else list(deployments)
    validator = cached(vocabulary)
    # The common case in one call of the generated validator: all mappings, or
    # all `Deployment` objects, all valid, with distinct ids.
    found: list[Deployment] | None = None
    # The deployments form no cycles; each collection would rescan all those built so far.
    kinds = set(map(type, items))
    with paused_gc():
        try:
            if kinds == {dict}:
                found = validator.rows(items)
            elif kinds == {Deployment}:
                found = validator.objects(items)  # type: ignore[arg-type]
        except ValidationError:
            found = None
    if (found is None or any(d.end is not None and d.end < d.start for d in found)
            or len(set(map(_id_of, found))) != len(found)):
        return _parse_each(items, vocabulary)
    return found


_id_of = attrgetter("id")


def _parse_each(items: Sequence[Deployment | Mapping[str, object]],
                vocabulary: Vocabulary) -> list[Deployment]:
    """`parse_deployments`, item by item, with every diagnostic."""
    validator = DeploymentValidator(vocabulary)
    ids = UniqueIds()
    found: list[Deployment] = []
    diagnostics: list[Diagnostic] = []
    for number, item in enumerate(items):
        span = _span_at(SourceLocation(f"deployments[{number}]", 1, 1))
        fields = _as_fields(item) if isinstance(item, Deployment) else item
        checked = validator.check(node_from_python(fields, span))
        diagnostics.extend(checked.diagnostics)
        if checked.id is not None and checked.id_span is not None:
            duplicate = ids.add(checked.id, checked.id_span)
            if duplicate is not None:
                diagnostics.append(duplicate)
        if checked.deployment is not None:
            # As validated, not as given: a `Deployment` whose fact is a bare
            # number (not a `Quantity`) would otherwise count as not knowing it.
            if not isinstance(item, Deployment):
                found.append(located(checked.deployment, None))
            elif checked.deployment == item:
                found.append(item)
            else:
                found.append(located(checked.deployment, item.source))
    if diagnostics:
        raise DiagnosticsError(diagnostics)
    return found


def _as_fields(deployment: Deployment) -> dict[str, object]:
    """A `Deployment` as scenario fields, to validate it like any other input."""
    fields: dict[str, object] = {
        name: getattr(deployment, name) for name in FIELDS if name != "facts"
    }
    fields["facts"] = dict(deployment.facts)
    return fields


def _span_at(where: SourceLocation) -> Span:
    return Span(where.file, 0, 0, where.line, where.column, where.line, where.column)
