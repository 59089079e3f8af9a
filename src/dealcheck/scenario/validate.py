"""Validate the raw input tree against the terms' vocabulary and build `Deployment`s."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from dealcheck import limits
from dealcheck.dsl.diagnostics import (
    Diagnostic,
    DiagnosticsError,
    Related,
    did_you_mean,
    error,
)
from dealcheck.dsl.escape import unprintable
from dealcheck.dsl.span import Span
from dealcheck.rules.dates import read_date
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, NameKind
from dealcheck.rules.model import Fact, FactKind, Vocabulary
from dealcheck.rules.units import QUANTITY_RE, CommaError, Quantity
from dealcheck.scenario import errors
from dealcheck.scenario.model import (
    Deployment,
    FactValue,
    SourceLocation,
    new_deployment,
    new_source_location,
)
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

#: The fields of a deployment, in the order the scenario schema lists them.
FIELDS: tuple[str, ...] = (
    "id",
    "party",
    "workload",
    "provider",
    "region",
    "capacity",
    "value",
    "start",
    "end",
    "facts",
)
#: The fields every deployment must give.
REQUIRED_FIELDS: tuple[str, ...] = ("id", "party", "workload", "provider", "start")
#: The keys of a YAML or JSON scenario document.
DOCUMENT_FIELDS: tuple[str, ...] = ("scenario", "deployments")

_FIELD_SET = frozenset(FIELDS)
#: The dimensions of a deployment's `capacity`.
_CAPACITY_DIMENSIONS = frozenset(("power", "count"))
_NO_FACTS: Mapping[str, FactValue] = MappingProxyType({})
#: Entries the quick path's memos hold before they start again.
_QUICK_MEMO_LIMIT = 1 << 14
#: The span of values the quick path checks: never shown, since any problem
#: sends the row to the full check, which has the real spans.
_QUICK_SPAN = Span("", 0, 0, 1, 1, 1, 1)
_REQUIRED_HELP = "a deployment needs `id`, `party`, `workload`, `provider` and `start`"


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


#: What `DeploymentValidator.quick_fields` finds: id, party, workload, provider, start,
#: region, end, capacity, value, facts.
QuickFields = tuple[str, str, str, str, dt.date, str | None, dt.date | None,
                    Quantity | None, Quantity | None, Mapping[str, FactValue]]


class DeploymentValidator:
    """Turns raw deployment mappings into `Deployment`s, or into diagnostics.

    Hand-written rather than pydantic: this is the per-row hot path of bulk
    inventories, and every message must name the field and point at the value.
    """

    __slots__ = ("_dates", "_facts_seen", "_values", "vocabulary")

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        # Memos of the quick path: text (or a typed value) -> what the full check makes of it.
        self._dates: dict[str, dt.date | None] = {}
        self._values: dict[tuple[str, type, object], object] = {}
        self._facts_seen: dict[tuple[str, type, object], object] = {}

    def quick(self, data: Mapping[str, object], file: str, line: int) -> Deployment | None:
        """The deployment a plain mapping (a JSON object) describes, if quickly found valid.

        Returns exactly the deployment `check` would build from the mapping read
        as a tree whose spans all start on `line` (as JSON Lines rows are), or
        None when anything is unusual: `check` then decides and explains.
        """
        fields = self.quick_fields(data)
        if fields is None:
            return None
        # INVARIANT: `QuickFields` lists the fields in `Deployment`'s order, source aside.
        return new_deployment(*fields, new_source_location(file, line, 1))

    def quick_fields(self, data: Mapping[str, object]) -> QuickFields | None:
        """The fields of the deployment `quick` builds, or None: the check without the building.

        Bulk inventories are mostly valid, and most of their texts repeat
        (names, dates, quantities), so this is the per-row fast path.
        """
        if type(data) is not dict or not data.keys() <= _FIELD_SET:
            return None
        vocabulary = self.vocabulary
        get = data.get
        is_normalized = unicodedata.is_normalized
        ident, party, workload, provider = get("id"), get("party"), get("workload"), get("provider")
        region = get("region")
        if (type(ident) is not str or not ident or ident.isspace() or not ident.isprintable()
                or not (ident.isascii() or is_normalized("NFC", ident))
                or type(party) is not str or party not in vocabulary.parties
                or type(workload) is not str or workload not in vocabulary.workloads
                or type(provider) is not str or provider not in vocabulary.providers
                or (region is not None and (type(region) is not str
                                            or region not in vocabulary.regions))):
            return None
        start = self._date(get("start"))
        if start is None:
            return None
        end: dt.date | None = None
        end_text = get("end")
        if end_text is not None:
            end = self._date(end_text)
            if end is None or end < start:
                return None
        capacity = value = None
        capacity_text, value_text = get("capacity"), get("value")
        if capacity_text is not None:
            capacity = self._memo(self._values, "capacity", capacity_text, self._quick_quantity)
            if capacity is None:
                return None
        if value_text is not None:
            value = self._memo(self._values, "value", value_text, self._quick_quantity)
            if value is None:
                return None
        facts: Mapping[str, FactValue] = _NO_FACTS
        given = get("facts")
        if given is not None:
            if type(given) is not dict:
                return None
            found: dict[str, FactValue] = {}
            declared = vocabulary.facts
            for name, raw in given.items():
                if name not in declared:
                    return None
                if raw is None:
                    continue  # an explicit null leaves the fact unknown
                fact_value = self._memo(self._facts_seen, name, raw, self._quick_fact)
                if fact_value is None:
                    return None
                found[name] = fact_value  # type: ignore[assignment]
            if found:
                facts = MappingProxyType(found)
        return (ident, party, workload, provider, start, region, end,
                capacity, value, facts)  # type: ignore[return-value]

    def _date(self, text: object) -> dt.date | None:
        if type(text) is not str:
            return None
        try:
            return self._dates[text]
        except KeyError:
            pass
        found: list[Diagnostic] = []
        day = parse_date(Scalar(text, _QUICK_SPAN), "", errors.MALFORMED_DATE, found)
        if len(self._dates) >= _QUICK_MEMO_LIMIT:
            self._dates.clear()
        self._dates[text] = None if found else day
        return None if found else day

    @staticmethod
    def _memo(memo: dict[tuple[str, type, object], object], key: str, raw: object,
              compute: Callable[[str, object], object | None]) -> object | None:
        kind = type(raw)
        if kind is float or kind is Decimal:
            # Not memoised: 0.0 and -0.0, or 1.0 and 1.00, are equal keys.
            return compute(key, raw)
        if kind is not str and kind is not bool and kind is not int:
            return None
        memo_key = (key, kind, raw)
        try:
            return memo[memo_key]
        except KeyError:
            pass
        found = compute(key, raw)
        if len(memo) >= _QUICK_MEMO_LIMIT:
            memo.clear()
        memo[memo_key] = found
        return found

    def _quick_quantity(self, key: str, raw: object) -> Quantity | None:
        found: list[Diagnostic] = []
        quantity = self._quantity(Scalar(raw, _QUICK_SPAN), key, found)
        return None if found else quantity

    def _quick_fact(self, name: str, raw: object) -> FactValue | None:
        found: list[Diagnostic] = []
        value = self._fact_value(self.vocabulary.facts[name], Scalar(raw, _QUICK_SPAN), found)
        return None if found else value

    def check(self, node: Node, *, absent_ok: Collection[str] = ()) -> Checked:
        """Validate one deployment.

        Args:
            node: the deployment as read (a `Map`, or anything else for a shape error).
            absent_ok: required fields whose absence was already reported for the
                whole file (a CSV header without the column).

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
        for key, entry in fields.items():
            if key not in _FIELD_SET:
                diagnostics.append(unknown_field(key, entry.key_span, FIELDS))
        absent = [k for k in REQUIRED_FIELDS if k not in absent_ok and k not in fields]
        if absent:
            names = listing(absent)
            plural = "s" if len(absent) > 1 else ""
            diagnostics.append(
                error(
                    errors.MISSING_FIELD,
                    f"missing required field{plural} {names}",
                    node.span,
                    help=_REQUIRED_HELP,
                )
            )
        for key in REQUIRED_FIELDS:
            given = fields.get(key)
            if key not in absent_ok and given is not None and _given(given) is None:
                diagnostics.append(
                    error(
                        errors.MISSING_FIELD,
                        f"missing value for required field `{key}`",
                        given.key_span,
                        help=_REQUIRED_HELP,
                    )
                )
        deployment_id, id_span = self._id(_given(fields.get("id")), diagnostics)
        party, workload, provider, region = (
            self._name(_given(fields.get(kind.name)), kind, diagnostics)
            for kind in DEPLOYMENT_KINDS
        )
        capacity = self._quantity(_given(fields.get("capacity")), "capacity", diagnostics)
        value = self._quantity(_given(fields.get("value")), "value", diagnostics)
        start_node, end_node = _given(fields.get("start")), _given(fields.get("end"))
        start = end = None
        if start_node is not None:
            start = parse_date(start_node, "`start`", errors.MALFORMED_DATE, diagnostics)
        if end_node is not None:
            end = parse_date(end_node, "`end`", errors.MALFORMED_DATE, diagnostics)
            if start_node is not None and start is not None and end is not None and end < start:
                diagnostics.append(
                    error(
                        errors.END_BEFORE_START,
                        f"deployment ends before it starts: `end` is {end}, `start` is {start}",
                        end_node.span,
                        help="`end` must be on or after `start`",
                        related=[Related(start_node.span, "starts here")],
                    )
                )
        facts = self._facts(_given(fields.get("facts")), diagnostics)
        if (
            diagnostics
            or deployment_id is None
            or party is None
            or workload is None
            or provider is None
            or start is None
        ):
            # Without diagnostics, a required field is missing from a CSV header
            # (`absent_ok`), which is reported once for the whole file.
            return Checked(None, deployment_id, id_span, diagnostics)
        span = node.span
        deployment = Deployment(
            id=deployment_id,
            party=party,
            workload=workload,
            provider=provider,
            start=start,
            region=region,
            end=end,
            capacity=capacity,
            value=value,
            facts=MappingProxyType(facts) if facts else _NO_FACTS,
            source=SourceLocation(span.file, span.line, span.column),
        )
        return Checked(deployment, deployment_id, id_span, diagnostics)

    # -- fields --------------------------------------------------------------

    def _id(
        self, node: Node | None, diagnostics: list[Diagnostic]
    ) -> tuple[str | None, Span | None]:
        if node is None:
            return None, None
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            hint = None
            if isinstance(node, Scalar):
                hint = f'quote it: `"{_plain_text(node)}"`'
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`id` must be text, found {describe(node)}",
                    node.span,
                    help=hint,
                )
            )
            return None, None
        if not node.value.strip():
            diagnostics.append(error(errors.WRONG_SHAPE, "`id` must not be empty", node.span))
            return None, None
        ident = normal_id(node.value)
        unfit = None if ident.isprintable() else unprintable(ident, invisible=True)
        if unfit is None:
            return ident, node.span
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"`id` contains {unfit}",
                node.span,
                help="reports print ids as they are: use letters, digits, spaces and "
                "punctuation",
            )
        )
        # An id that differs from another only by invisible characters is also
        # its duplicate: `aws\u200b-api` prints as `aws-api`.
        visible = "".join(c for c in ident if unicodedata.category(c) != "Cf")
        if visible.strip() and unprintable(visible, invisible=True) is None:
            return visible, node.span
        return None, None

    def _name(
        self, node: Node | None, kind: NameKind, diagnostics: list[Diagnostic]
    ) -> str | None:
        if node is None:
            return None
        declared = kind.names_in(self.vocabulary)
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`{kind.name}` must be a {kind.name} name, found {describe(node)}",
                    node.span,
                    help=_declared_help(kind.plural, declared),
                )
            )
            return None
        name = node.value
        if name in declared:
            return name
        groups = kind.groups_in(self.vocabulary)
        if name in groups:
            members = ", ".join(f"`{m}`" for m in sorted(groups[name]))
            diagnostics.append(
                error(
                    kind.undeclared_code,
                    f"{code(name)} is a {kind.group_word}, not a {kind.name}",
                    node.span,
                    help=f"a deployment names one {kind.name}: one of {members}",
                )
            )
            return None
        suggestion = did_you_mean(name, declared)
        diagnostics.append(
            error(
                kind.undeclared_code,
                f"undeclared {kind.name} {code(name)}",
                node.span,
                help=f"did you mean `{suggestion}`?"
                if suggestion
                else _declared_help(kind.plural, declared),
            )
        )
        return None

    def _quantity(
        self, node: Node | None, key: str, diagnostics: list[Diagnostic]
    ) -> Quantity | None:
        if node is None:
            return None
        quantity = self._parse_quantity(node, f"`{key}`", diagnostics)
        if quantity is None:
            return None
        if key == "value":
            allowed, example = quantity.dimension == "money", "write value in USD, e.g. `11.9B USD`"
            wanted = "money"
        else:
            # A unit the terms declare is a dimension of its own: not a capacity.
            allowed = quantity.dimension in _CAPACITY_DIMENSIONS
            example = "write capacity as power or a count, e.g. `300 MW` or `4608 GPU`"
            wanted = "power or a count"
        if allowed:
            return quantity
        if quantity.dimension == "":
            message = f"`{key}` needs a unit, found {code(_plain_text(node))}"
        else:
            message = (
                f"`{key}` must be {wanted}, found {_dimension_name(quantity.dimension)} "
                f"{code(_plain_text(node))}"
            )
        diagnostics.append(error(errors.WRONG_DIMENSION, message, node.span, help=example))
        return None

    def _parse_quantity(
        self,
        node: Node,
        label: str,
        diagnostics: list[Diagnostic],
        default_unit: str | None = None,
    ) -> Quantity | None:
        """`_read_quantity`, then no larger than `limits.MAX_QUANTITY` (DC307)."""
        quantity = self._read_quantity(node, label, diagnostics, default_unit)
        if quantity is None or quantity.amount <= limits.MAX_QUANTITY.value():
            return quantity
        diagnostics.append(_too_large(_plain_text(node), label, node.span))
        return None

    def _read_quantity(
        self,
        node: Node,
        label: str,
        diagnostics: list[Diagnostic],
        default_unit: str | None = None,
    ) -> Quantity | None:
        """A quantity from text (``"300 MW"``), a number, or a `Quantity`; unitless numbers
        take `default_unit`. Amounts are exact: numbers are never read through a float."""
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, Quantity):
            problem = _unsound_amount(value.amount)
            if problem is None:
                return value
            amount = value.amount
            example = repr(amount) if isinstance(amount, float) and amount >= 0 else "1"
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"the amount of the quantity in {label} {problem}",
                    node.span,
                    help="build it with a `Decimal` of zero or more, e.g. "
                    f"`Quantity(Decimal({example!r}), {value.dimension!r})`",
                )
            )
            return None
        units = self.vocabulary.units
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            text = _number_text(number)
            if isinstance(value, float) and number.is_finite() and number >= 0:
                # Only Python passes floats (JSON and YAML numbers are read as
                # decimals): 9007199254740993.0 is already 2**53 there.
                diagnostics.append(
                    error(
                        errors.MALFORMED_QUANTITY,
                        f"{label} is a float {code(repr(value))}, which cannot hold every "
                        "decimal exactly",
                        node.span,
                        help=f"pass a `Decimal` or text: `Decimal({repr(value)!r})`",
                    )
                )
                return None
            if not number.is_finite() or number < 0:
                diagnostics.append(
                    error(
                        errors.MALFORMED_QUANTITY,
                        f"malformed number {code(text)} in {label}",
                        node.span,
                        help="write a finite number, zero or more",
                    )
                )
                return None
            try:
                return units.of(number, default_unit, text)
            except ValueError:  # too large to hold
                diagnostics.append(_too_large(text, label, node.span))
                return None
        if not isinstance(value, str):
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"{label} must be a quantity such as `300 MW`, found {describe(node)}",
                    node.span,
                )
            )
            return None
        match = QUANTITY_RE.match(value)
        try:
            if match and match["unit"] is None:
                return units.quantity(match["num"] + match["mult"], default_unit)
            return units.parse(value)
        except CommaError as comma:
            written = value.strip()
            hint = (
                f"for a decimal, write a point: `{written.replace(comma.number, comma.decimal, 1)}`"
                if comma.decimal is not None
                else "write `,` only between groups of three digits (`1,500`) and a point "
                "before decimals (`1.5`)"
            )
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"malformed number {code(comma.number)} in {label}: a comma only separates "
                    "thousands, in groups of three digits",
                    node.span,
                    help=hint,
                )
            )
            return None
        except ValueError:
            pass
        # The units module's own messages quote the raw text; ours escape it.
        unit = match["unit"] if match else None
        if unit is not None and unit not in units.units:
            suggestion = did_you_mean(unit, units.units)
            message = f"unknown unit {code(unit)} in {label}"
            hint = (
                f"did you mean `{suggestion}`?"
                if suggestion
                else "known units: " + ", ".join(f"`{u}`" for u in units.units)
            )
        else:
            message = f"malformed quantity {code(value)} in {label}"
            hint = "write a number, an optional k, M, B or T, and a unit, e.g. `11.9B USD`"
        diagnostics.append(error(errors.MALFORMED_QUANTITY, message, node.span, help=hint))
        return None

    def _facts(self, node: Node | None, diagnostics: list[Diagnostic]) -> dict[str, FactValue]:
        facts: dict[str, FactValue] = {}
        if node is None:
            return facts
        if not isinstance(node, Map):
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`facts` must be a mapping, found {describe(node)}",
                    node.span,
                    help=_facts_help(self.vocabulary.facts),
                )
            )
            return facts
        declared = self.vocabulary.facts
        for name, fact_entry in unique_entries(node, diagnostics).items():
            fact = declared.get(name)
            if fact is None:
                suggestion = did_you_mean(name, declared)
                diagnostics.append(
                    error(
                        errors.UNDECLARED_NAME,
                        f"undeclared fact {code(name)}",
                        fact_entry.key_span,
                        help=f"did you mean `{suggestion}`?"
                        if suggestion
                        else _declared_help("facts", declared),
                    )
                )
                continue
            fact_node = _given(fact_entry)
            if fact_node is None:
                continue  # an explicit null leaves the fact unknown
            value = self._fact_value(fact, fact_node, diagnostics)
            if value is not None:
                facts[name] = value
        return facts

    def _fact_value(
        self, fact: Fact, node: Node, diagnostics: list[Diagnostic]
    ) -> FactValue | None:
        kind = fact.type.kind
        value = node.value if isinstance(node, Scalar) else None
        label = f"fact `{fact.name}`"
        if kind is FactKind.BOOL:
            if isinstance(value, bool):
                return value
            textual = isinstance(node, Scalar) and node.textual and isinstance(value, str)
            if textual and str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            quoted = isinstance(value, str) and value.lower() in ("true", "false")
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be `true` or `false`, found {describe(node)}",
                    node.span,
                    help="write the boolean without quotes"
                    if quoted
                    else f"`{fact.name}` is a yes/no fact",
                )
            )
            return None
        if kind is FactKind.ENUM:
            members = fact.type.values
            listed = ", ".join(f"`{m}`" for m in members)
            if isinstance(value, str):
                if value in members:
                    return value
                suggestion = did_you_mean(value, members)
                diagnostics.append(
                    error(
                        errors.WRONG_FACT_TYPE,
                        f"{code(value)} is not a value of {label}",
                        node.span,
                        help=f"did you mean `{suggestion}`?"
                        if suggestion
                        else f"expected one of: {listed}",
                    )
                )
                return None
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be one of {listed}, found {describe(node)}",
                    node.span,
                )
            )
            return None
        if kind is FactKind.DATE:
            return parse_date(node, label, errors.WRONG_FACT_TYPE, diagnostics)
        # FactKind.NUMBER
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal | Quantity):
            unit = f" in {fact.type.unit}" if fact.type.unit else ""
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be a number{unit}, found {describe(node)}",
                    node.span,
                )
            )
            return None
        quantity = self._parse_quantity(node, label, diagnostics, default_unit=fact.type.unit)
        if quantity is None:
            return None
        if quantity.dimension != fact.type.dimension:
            wanted = (
                f"in {fact.type.unit} ({_dimension_name(fact.type.dimension)})"
                if fact.type.unit
                else "a plain number"
            )
            diagnostics.append(
                error(
                    errors.WRONG_DIMENSION,
                    f"{label} is {wanted}, found "
                    f"{_dimension_name(quantity.dimension)} {code(_plain_text(node))}",
                    node.span,
                    help=f"write it {wanted}" if fact.type.unit else "drop the unit",
                )
            )
            return None
        return quantity


# -- the scenario document (YAML and JSON) -----------------------------------


@dataclass(slots=True)
class Document:
    """A YAML or JSON scenario's top level: its name and its deployments, still raw."""

    name: str | None
    deployments: tuple[Node, ...]


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
    for key, entry in fields.items():
        if key in _FIELD_SET:
            diagnostics.append(
                error(
                    errors.UNKNOWN_FIELD,
                    f"unknown field {code(key)} at the top of the scenario",
                    entry.key_span,
                    help="deployment fields belong to an item of `deployments`",
                )
            )
        elif key not in DOCUMENT_FIELDS:
            diagnostics.append(unknown_field(key, entry.key_span, DOCUMENT_FIELDS))
    name: str | None = None
    name_entry = fields.get("scenario")
    value = _given(name_entry)
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
    if listed is None or _given(listed) is None:
        diagnostics.append(
            error(
                errors.MISSING_FIELD,
                "missing required field `deployments`",
                node.span if listed is None else listed.key_span,
                help="list the deployments under `deployments:`",
            )
        )
        return Document(name, ())
    if not isinstance(listed.value, Seq):
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"`deployments` must be a list, found {describe(listed.value)}",
                listed.value.span,
                help="in YAML, start each deployment with `- `",
            )
        )
        return Document(name, ())
    return Document(name, listed.value.items)


# -- shared helpers ----------------------------------------------------------


def unique_entries(node: Map, diagnostics: list[Diagnostic]) -> dict[str, Entry]:
    """A mapping's entries by key; a repeated key is reported and the first one kept."""
    fields: dict[str, Entry] = {}
    for entry in node.entries:
        first = fields.get(entry.key)
        if first is None:
            fields[entry.key] = entry
            continue
        diagnostics.append(
            error(
                errors.DUPLICATE_KEY,
                f"duplicate key {code(entry.key)}",
                entry.key_span,
                help="give each key once",
                related=[Related(first.key_span, "first given here")],
            )
        )
    return fields


def unknown_field(key: str, span: Span, expected: tuple[str, ...]) -> Diagnostic:
    suggestion = did_you_mean(key, expected)
    hint = (
        f"did you mean `{suggestion}`?"
        if suggestion
        else "expected one of: " + ", ".join(f"`{k}`" for k in expected)
    )
    return error(errors.UNKNOWN_FIELD, f"unknown field {code(key)}", span, help=hint)


def parse_date(
    node: Node, label: str, type_code: str, diagnostics: list[Diagnostic]
) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``) from text or a `datetime.date`; a diagnostic otherwise.

    `type_code` is the code for a value that is not text at all (a number, a
    boolean): malformed-date for fields, wrong-fact-type for date facts.
    """
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, dt.datetime):
        diagnostics.append(
            error(
                errors.MALFORMED_DATE,
                f"{label} must be a date, found a date and time `{value}`",
                node.span,
                help=f"drop the time: `{value.date()}`",
            )
        )
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        error_code = errors.WRONG_SHAPE if isinstance(node, Seq | Map) else type_code
        diagnostics.append(
            error(
                error_code,
                f"{label} must be a date such as `2025-03-10`, found {describe(node)}",
                node.span,
            )
        )
        return None
    found = read_date(value)
    if isinstance(found, dt.date):
        return found
    if found.malformed:
        diagnostics.append(
            error(
                errors.MALFORMED_DATE,
                f"malformed date {code(value)} in {label}",
                node.span,
                help="write dates as YYYY-MM-DD, e.g. `2025-03-10`",
            )
        )
        return None
    diagnostics.append(
        error(
            errors.MALFORMED_DATE,
            f"invalid date {code(value)} in {label}",
            node.span,
            help=found.reason,
        )
    )
    return None


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
    where = location or SourceLocation("<input>", 1, 1)
    checked = DeploymentValidator(vocabulary).check(node_from_python(mapping, _span_at(where)))
    if checked.deployment is None:
        raise DiagnosticsError(checked.diagnostics)
    return dataclasses.replace(checked.deployment, source=location)


def parse_deployments(
    deployments: Iterable[Deployment | Mapping[str, object]], vocabulary: Vocabulary
) -> list[Deployment]:
    """Validate every deployment of a list, as `terms.check([...])` receives them.

    Mappings are read like scenario entries; `Deployment` objects are checked
    against the vocabulary too (an undeclared name must never silently match
    nothing) and returned as they are. Diagnostics name the item as
    ``deployments[i]``.

    Raises:
        DiagnosticsError: with every problem in every item, duplicate ids included.
    """
    accepts = _acceptor(vocabulary)
    # The common case first: valid `Deployment` objects with distinct ids, which
    # need no record of where each id was first used.
    ready: list[Deployment] = []
    rest = iter(deployments)
    for item in rest:
        if type(item) is not Deployment or not accepts(item):
            return _parse_each([*ready, item, *rest], vocabulary, accepts)
        ready.append(item)
    if len({d.id for d in ready}) == len(ready):
        return ready
    return _parse_each(ready, vocabulary, accepts)


def _parse_each(items: Sequence[Deployment | Mapping[str, object]], vocabulary: Vocabulary,
                accepts: Callable[[Deployment], bool]) -> list[Deployment]:
    """`parse_deployments`, item by item, with every diagnostic."""
    validator = DeploymentValidator(vocabulary)
    ids = UniqueIds()
    found: list[Deployment] = []
    diagnostics: list[Diagnostic] = []
    fresh = ids.fresh
    for number, item in enumerate(items):
        # INVARIANT: `fresh` records the span `_span_at` would build: line 1, column 1.
        place = f"deployments[{number}]"
        if type(item) is Deployment and accepts(item) and fresh(item.id, place, 1):
            found.append(item)
            continue
        span = _span_at(SourceLocation(place, 1, 1))
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
            source = item.source if isinstance(item, Deployment) else None
            found.append(dataclasses.replace(checked.deployment, source=source))
    if diagnostics:
        raise DiagnosticsError(diagnostics)
    return found


def _acceptor(vocabulary: Vocabulary) -> Callable[[Deployment], bool]:
    """A quick test that a `Deployment` object is valid, from its typed fields alone.

    True only when `DeploymentValidator.check` of its fields would report
    nothing (duplicate ids aside); False means "run the full check", which
    then decides. Library callers pass millions of ready-made deployments,
    and the full check builds a tree of every one.
    """
    parties, workloads = vocabulary.parties, vocabulary.workloads
    providers, regions = vocabulary.providers, vocabulary.regions
    date, quantity, decimal, is_normalized = dt.date, Quantity, Decimal, unicodedata.is_normalized
    capacity_dimensions = _CAPACITY_DIMENSIONS
    largest = limits.MAX_QUANTITY.value()
    # name -> (0 bool | 1 enum | 2 date | 3 number, the members or the dimension)
    kinds = {FactKind.BOOL: 0, FactKind.ENUM: 1, FactKind.DATE: 2, FactKind.NUMBER: 3}
    specs: dict[str, tuple[int, object]] = {
        name: (kinds[fact.type.kind], frozenset(fact.type.values)
               if fact.type.kind is FactKind.ENUM else fact.type.dimension)
        for name, fact in vocabulary.facts.items()}

    def facts_ok(facts: Mapping[str, object]) -> bool:
        for name, value in facts.items():
            spec = specs.get(name) if type(name) is str else None
            if spec is None:
                return False
            if value is None:
                continue  # an explicit null leaves the fact unknown
            kind, detail = spec
            if kind == 0:
                if value is not True and value is not False:
                    return False
            elif kind == 1:
                if type(value) is not str or value not in detail:  # type: ignore[operator]
                    return False
            elif kind == 2:
                if type(value) is not date:
                    return False
            elif (type(value) is not quantity or value.dimension != detail
                  or not sound(value.amount)):
                return False
        return True

    def sound(amount: object) -> bool:
        # INVARIANT: `_read_quantity` and `_parse_quantity` accept what this accepts.
        return type(amount) is decimal and amount.is_finite() and 0 <= amount <= largest

    def accepts(d: Deployment) -> bool:
        ident, party, workload, provider, region = d.id, d.party, d.workload, d.provider, d.region
        if (type(ident) is not str or not ident or ident.isspace() or not ident.isprintable()
                or not (ident.isascii() or is_normalized("NFC", ident))
                or type(party) is not str or party not in parties
                or type(workload) is not str or workload not in workloads
                or type(provider) is not str or provider not in providers
                or (region is not None and (type(region) is not str or region not in regions))):
            return False
        start, end = d.start, d.end
        if type(start) is not date or (end is not None and (type(end) is not date or end < start)):
            return False
        capacity, value = d.capacity, d.value
        if capacity is not None and (
                type(capacity) is not quantity or capacity.dimension not in capacity_dimensions
                or not sound(capacity.amount)):
            return False
        if value is not None and (type(value) is not quantity or value.dimension != "money"
                                  or not sound(value.amount)):
            return False
        facts = d.facts
        return not facts or facts_ok(facts)

    return accepts


def _as_fields(deployment: Deployment) -> dict[str, object]:
    """A `Deployment` as scenario fields, to validate it like any other input."""
    fields: dict[str, object] = {
        name: getattr(deployment, name) for name in FIELDS if name != "facts"
    }
    fields["facts"] = dict(deployment.facts)
    return fields


def _span_at(where: SourceLocation) -> Span:
    return Span(where.file, 0, 0, where.line, where.column, where.line, where.column)


def _given(entry: Entry | None) -> Node | None:
    """A field's value, or ``None`` when it is absent or null (YAML ``~``, JSON ``null``,
    an empty CSV cell)."""
    if entry is None or (isinstance(entry.value, Scalar) and entry.value.value is None):
        return None
    return entry.value


def _plain_text(node: Node) -> str:
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value) if isinstance(node, Scalar) else ""


def normal_id(text: str) -> str:
    """A deployment id as dealcheck keeps and compares it: in Unicode's composed form (NFC).

    `café` typed with a combining accent is the same id as `café` typed with
    `é`, as both print the same.
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _too_large(text: str, label: str, span: Span) -> Diagnostic:
    """DC307 for a quantity over `limits.MAX_QUANTITY`."""
    return error(
        errors.MALFORMED_QUANTITY,
        f"{code(text)} in {label} is too large",
        span,
        help=f"quantities are limited to {limits.MAX_QUANTITY.value():.0e} base units; "
        + limits.over_limit_help(limits.MAX_QUANTITY),
    )


def _number_text(number: Decimal) -> str:
    """A number as a message shows it: positional unless that would take pages."""
    return format(number, "f") if -40 <= number.adjusted() <= 40 else str(number)


def _unsound_amount(amount: object) -> str | None:
    """What is wrong with a `Quantity`'s amount from Python, if anything.

    An amount is an exact decimal (or whole number), finite and zero or more:
    a negative capacity would hide a cap's breach, and a float is not the
    number its author wrote.

    >>> _unsound_amount(Decimal("-5"))
    'is negative: `-5`'
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | float):
        return f"is {describe(Scalar(amount, _QUICK_SPAN))}, not a number"
    number = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if number.is_nan():
        return "is not a number (`NaN`)"
    if number.is_infinite():
        return f"is infinite: `{number}`"
    if number < 0:
        return f"is negative: {code(_number_text(number))}"
    if isinstance(amount, float):
        return f"is a float ({code(repr(amount))}), which cannot hold every decimal exactly"
    return None


def _dimension_name(dimension: str) -> str:
    return {"power": "power", "money": "money", "count": "a count", "": "a plain number"}.get(
        dimension, f"a quantity of `{dimension}`"
    )


def _facts_help(declared: Mapping[str, Fact]) -> str:
    """How to write `facts`, with one of the facts the terms declare."""
    if not declared:
        return "the terms declare no facts: leave `facts` out"
    fact = next(iter(declared.values()))
    kind = fact.type.kind
    value = ("true" if kind is FactKind.BOOL else fact.type.values[0] if kind is FactKind.ENUM
             else "2025-01-01" if kind is FactKind.DATE
             else f"1 {fact.type.unit}" if fact.type.unit else "1")
    return f"write facts as names and values, e.g. `facts: {{{fact.name}: {value}}}`"


def _declared_help(plural: str, declared: Mapping[str, object]) -> str:
    names = list(declared)
    if not names:
        return f"the terms declare no {plural}"
    shown = ", ".join(f"`{n}`" for n in names[:12])
    return f"declared {plural}: {shown}" + (", …" if len(names) > 12 else "")
