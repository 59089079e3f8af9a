"""Validate deployments against the terms' vocabulary: located diagnostics, unique ids.

Every deployment goes through the validator `scenario.generated` builds from
the terms. This module holds what that validator cannot see — the shape of a
document, duplicate keys and ids, a deployment that ends before it starts, a
CSV header without a required column — and turns its errors into dealcheck's
diagnostics, each at the span of the value it concerns.
"""

from __future__ import annotations

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
from dealcheck.scenario.generated import (
    FIELDS,
    REQUIRED_FIELDS,
    DeploymentRow,
    cached,
    located,
)
from dealcheck.scenario.ids import IdDigests, IdTable, UniqueIds
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.rowpass import Judge
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
    "IdTable", "UniqueIds", "check_document", "deployments_to_judge", "normal_id",
    "parse_deployment", "parse_deployments", "unique_entries", "unknown_field",
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


class _Held:
    """The deployments of the last batch `parse_deployments` found valid, with their vocabulary.

    A `Deployment` is frozen: one that passed the validator of a vocabulary
    stays valid for it, so `parse_deployments` passes it through unchecked
    (`Terms.check` on the objects `dealcheck.validate_deployments` gave). The
    batch is held, so that no other object can take the identity of one of
    them; holding only the last batch bounds what is kept alive. The state is
    one tuple, replaced whole, so that a reader always sees a batch with its
    own vocabulary and identities.
    """

    __slots__ = ("_state",)

    def __init__(self) -> None:
        self._state: tuple[Vocabulary | None, tuple[Deployment, ...], frozenset[int] | None] = (
            None, (), None)

    def hold(self, vocabulary: Vocabulary, made: Iterable[Deployment], *,
             replace: bool = True) -> None:
        """Remember `made`, just validated for `vocabulary`, instead of the batch before.

        Without `replace`, a larger batch held for the same vocabulary stays
        (a single decision does not evict the batch it may come from).
        """
        batch = tuple(made)
        held, before, _ = self._state
        if not replace and held is vocabulary and len(before) > len(batch):
            return
        self._state = (vocabulary, batch, None)

    def holds(self, vocabulary: Vocabulary, items: Iterable[Deployment]) -> bool:
        """Whether every item is one of the batch held, for `vocabulary` (or an equal one)."""
        state = self._state
        held, made, ids = state
        if held is None or not (held is vocabulary or held == vocabulary):
            return False
        if ids is None:
            ids = frozenset(map(id, made))
            if self._state is state:
                self._state = (held, made, ids)
        return ids.issuperset(map(id, items))


#: The batch `parse_deployments` validated last.
_HELD = _Held()


def parse_deployments(
    deployments: Iterable[Deployment | Mapping[str, object]], vocabulary: Vocabulary, *,
    returned: bool = True,
) -> list[Deployment]:
    """Validate every deployment of a list, as `terms.check([...])` receives them.

    Mappings are read like scenario entries; `Deployment` objects are checked
    against the vocabulary too (an undeclared name must never silently match
    nothing) and returned as they are, unless validating changed them (a fact
    given as a bare number becomes a `Quantity`). Diagnostics name the item as
    ``deployments[i]``.

    The `Deployment` objects of the last valid batch are remembered, and
    passed through unchecked when they come back; `returned=False` says that
    the deployments made from mappings do not leave the caller (`Terms.check`),
    so they are not worth remembering.

    Raises:
        DiagnosticsError: with every problem in every item, duplicate ids included.
    """
    items = deployments if isinstance(deployments, list) else list(deployments)
    kinds = set(map(type, items))
    if kinds == {Deployment} and _HELD.holds(vocabulary, items):  # type: ignore[arg-type]
        # Validated already: only an id given twice is left to find.
        ready: list[Deployment] = list(items)  # type: ignore[arg-type]
        if len(set(map(_id_of, ready))) == len(ready):
            return ready
        return _parse_each(items, vocabulary)
    found = _parse_batch(items, kinds, vocabulary)
    if kinds == {Deployment}:
        _HELD.hold(vocabulary, found, replace=False)
    elif returned:
        _HELD.hold(vocabulary, found)
    return found


def deployments_to_judge(
    deployments: Iterable[Deployment | Mapping[str, object]], vocabulary: Vocabulary,
    judge: Judge | None = None,
) -> list[Deployment] | Sequence[DeploymentRow]:
    """A batch validated as `Terms.check` judges it, and never returns it.

    A list of dicts all valid as they are is checked row by row and judged
    as it is (`RowValidator.dicts`, a `DictBatch`; with `judge`, each row
    judged as it is read); anything else goes through `parse_deployments`,
    with every diagnostic.

    Raises:
        DiagnosticsError: as `parse_deployments`.
    """
    items = deployments if isinstance(deployments, list) else list(deployments)
    if items and type(items[0]) is dict:  # the row pass wants every item exactly a dict
        with paused_gc():
            batch = cached(vocabulary).dicts(items, judge)  # type: ignore[arg-type]
        if batch is not None:
            return batch
    return parse_deployments(items, vocabulary, returned=False)


def _parse_batch(items: Sequence[Deployment | Mapping[str, object]], kinds: set[type],
                 vocabulary: Vocabulary) -> list[Deployment]:
    """`parse_deployments` of a batch not validated before."""
    validator = cached(vocabulary)
    # The common case in one call of the generated validator: all mappings, or
    # all `Deployment` objects, all valid, with distinct ids.
    found: list[Deployment] | None = None
    # The deployments form no cycles; each collection would rescan all those built so far.
    with paused_gc():
        try:
            if kinds == {dict}:
                found = validator.rows(list(items))
            elif kinds == {Deployment}:
                found = validator.objects(list(items))  # type: ignore[arg-type]
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
