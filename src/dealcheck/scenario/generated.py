"""The validator of one deployment, generated from the terms' vocabulary with pydantic-core.

Every way a deployment comes in — a library dict or `Deployment`, an item of
a YAML or JSON scenario, a CSV or JSON Lines row — is validated by the schema
built here: declared names as literals, dates as exact ``YYYY-MM-DD`` text or
`datetime.date`, facts as a typed dict of the declared facts, unknown keys
forbidden. pydantic-core builds the `Deployment` itself; Python runs per row
only for the fields that need it (the id's printable text, quantities, number
facts), and those call the rule of `scenario.fields` that also explains a
value it refuses. `DeploymentValidator.check` turns the errors into located
diagnostics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pydantic_core import PydanticCustomError, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from dealcheck.dsl.diagnostics import Diagnostic
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, NameKind
from dealcheck.rules.model import Fact, FactKind, Vocabulary
from dealcheck.rules.units import Quantity
from dealcheck.scenario.fields import NO_SPAN, FieldRules
from dealcheck.scenario.model import Deployment, FactValue, SourceLocation, new_deployment
from dealcheck.scenario.tree import Scalar

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue

    from dealcheck.scenario.columns import DictBatch
    from dealcheck.scenario.rowpass import Judge, RowPass

#: The fields every deployment must give.
REQUIRED_FIELDS: tuple[str, ...] = ("id", "party", "workload", "provider", "start")
#: `YYYY-MM-DD` in ASCII digits (the schema's regex dialect reads `\d` as any script's digits).
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: An id of printable ASCII, not blank (spaces, then one other, then any): valid as it is,
#: without Python.
_PLAIN_ID = r"^ *[!-~][ -~]*$"
#: The error type of a value a field's rule refused (`scenario.fields` explains it).
REFUSED = "dealcheck_refused"
#: Entries a memo of recurring values holds before it starts again.
_MEMO_LIMIT = 1 << 14
NO_FACTS: Mapping[str, FactValue] = MappingProxyType({})
#: A `Deployment`'s fields but `source`, in order, and how to read them as a tuple.
DEPLOYMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Deployment) if f.name != "source")
_fields_of = operator.attrgetter(*DEPLOYMENT_FIELDS)
#: Sets `source` on a `Deployment` pydantic-core just built, before anyone else sees it.
_set_source = cast(Callable[[Deployment, SourceLocation | None], None],
                   vars(Deployment)["source"].__set__)


def located(deployment: Deployment, source: SourceLocation | None) -> Deployment:
    """A deployment this module's validators just built, with where it was written."""
    _set_source(deployment, source)
    return deployment


class DeploymentRow(NamedTuple):
    """A valid deployment of a batch of dicts (`columns.DictBatch`): a `Deployment`'s fields.

    Made only where a dict itself cannot be read (a key's miss, an atom a
    dict cannot give, an aggregate's observer, the reference evaluator), and
    read like a `Deployment` by the compiled evaluators and aggregate
    observers, which read attributes only; `deployment` gives the
    `Deployment` wherever one is needed. Its `facts` are the caller's own
    mapping (validated, not copied): a row never leaves the check that made it.
    """

    id: str
    party: str
    workload: str
    provider: str
    start: dt.date
    region: str | None
    end: dt.date | None
    capacity: Quantity | None
    value: Quantity | None
    facts: Mapping[str, FactValue]
    source: SourceLocation | None

    def deployment(self) -> Deployment:
        """The `Deployment` of the same fields (its facts a read-only copy)."""
        facts = self.facts
        return new_deployment(*self[:-2], MappingProxyType(dict(facts)) if facts else NO_FACTS,
                              self.source)


def as_deployment(d: Deployment | DeploymentRow) -> Deployment:
    """`d` as a `Deployment`: itself, or the deployment of a `DeploymentRow`."""
    return d.deployment() if isinstance(d, DeploymentRow) else d



class RowValidator:
    """The generated validators of one vocabulary.

    `textual` reads values that are always text in their format (CSV cells),
    where ``true`` and ``false`` spell a boolean fact.
    """

    __slots__ = ("_columns", "_memo", "_objects", "_one", "_open", "_row", "_rows", "batch",
                 "rules", "textual")

    def __init__(self, vocabulary: Vocabulary | None, *, textual: bool = False) -> None:
        #: Without a vocabulary, names and facts are free text: the format without terms,
        #: for its JSON Schema only.
        self._open = vocabulary is None
        self.rules = FieldRules(Vocabulary() if vocabulary is None else vocabulary)
        self.textual = textual
        self._memo: dict[tuple[str, type, object], object] = {}
        # Two schemas of one definition: the fast one, tried first, takes no null
        # fact and runs no Python for the facts; the full one (which explains every
        # refusal) drops null facts, so rows with one, or with errors, cost more.
        full = _deployment(self._fields(text_first=True))
        fast = _deployment(self._fields(text_first=True, nulls=False))
        self._one = (SchemaValidator(fast), SchemaValidator(full))
        self._row = self._one[1].validate_python
        #: Validate a list of mappings of scenario fields into `Deployment`s: fast, then full.
        self.batch = (SchemaValidator(cs.list_schema(fast)), SchemaValidator(cs.list_schema(full)))
        # `Deployment` objects are validated as the tuples of their fields (attributes
        # read in C), not as instances: pydantic-core reads a dataclass much slower.
        self._objects = tuple(
            SchemaValidator(cs.list_schema(cs.tuple_schema([
                _required(typed[name]) for name in DEPLOYMENT_FIELDS])))
            for typed in ({f["name"]: f["schema"]
                           for f in self._fields(text_first=False, nulls=nulls)}
                          for nulls in (False, True)))
        self._columns: dict[str, SchemaValidator] | None = None
        self._rows: RowPass | None = None

    def core_schema(self) -> cs.CoreSchema:
        """The schema of one deployment written as scenario fields (its JSON Schema's source)."""
        return _deployment(self._fields(text_first=True))

    def facts_core_schema(self) -> cs.CoreSchema:
        """The schema of `facts`: a deployment's, or a whole scenario's (`facts:` at its top)."""
        return self._facts_schema()

    def objects(self, items: list[Deployment]) -> list[Deployment]:
        """`Deployment` objects validated again: each as it is, or as its fields validate.

        A fact given as a bare number, for one, becomes a `Quantity`.

        Raises:
            pydantic_core.ValidationError: with the item and the field in `loc`.
        """
        given = [_fields_of(item) for item in items]
        checked = _first_valid(self._objects, given)
        return [item if fields == found else new_deployment(*found, item.source)
                for item, fields, found in zip(items, given, checked, strict=True)]

    def rows(self, items: list[object]) -> list[Deployment]:
        """The deployments a list of mappings of scenario fields describes, in one call.

        Raises:
            pydantic_core.ValidationError: with the item and the field in `loc`.
        """
        found: list[Deployment] = _first_valid(self.batch, items)
        return found

    def table(self, items: list[dict[str, object]]) -> list[DeploymentRow] | None:
        """The deployments a list of dicts describes, each checked as it is; or None.

        Each field's schema (the one `rows` applies) checks each distinct value
        once (`scenario.rowpass`). None unless every row is valid as it is:
        then `rows`, and the diagnostics, look closer.
        """
        from dealcheck.scenario.columns import table

        return table(self.row_pass(), items)

    def dicts(self, items: list[dict[str, Any]], judge: Judge | None = None) -> DictBatch | None:
        """A list of plain dicts, each valid as it is, checked row by row; or None.

        What `Terms.check` judges (`scenario.columns.check_dicts`); with a
        `judge`, each row judged as it is read.
        """
        from dealcheck.scenario.columns import check_dicts

        return check_dicts(self.row_pass(), items, judge)

    def row_pass(self) -> RowPass:
        """The per-row pass of these schemas (`scenario.rowpass`), made once."""
        if self._rows is None:
            from dealcheck.scenario.rowpass import RowPass

            self._rows = RowPass(self._column_schemas())
        return self._rows

    def _column_schemas(self) -> dict[str, SchemaValidator]:
        """Each field's schema (the one `rows` applies) over a list of that field's values."""
        if self._columns is None:
            self._columns = {f["name"]: SchemaValidator(cs.list_schema(_required(f["schema"])))
                             for f in self._fields(text_first=True, nulls=False)}
        return self._columns

    def validate(self, data: object) -> Deployment:
        """The deployment `data` (a mapping of scenario fields) describes.

        Raises:
            pydantic_core.ValidationError: with each refused field in `loc`.
        """
        found: Deployment = self._row(data)
        return found

    def accept(self, data: object, source: SourceLocation | None) -> Deployment | None:
        """The deployment `data` describes if it is valid, with `source`; None otherwise.

        Also None for a deployment that ends before it starts, which a row's
        schema does not see (its diagnostic points at both dates).
        """
        try:
            found: Deployment = _first_valid(self._one, data)
        except ValidationError:
            return None
        if found.end is not None and found.end < found.start:
            return None
        _set_source(found, source)
        return found

    # -- the schema -------------------------------------------------------------------

    def _fields(self, *, text_first: bool, nulls: bool = True) -> list[cs.DataclassField]:
        """The fields' schemas; `text_first` tries dates as text before `datetime.date`.

        Without `nulls`, a fact given as null is refused rather than left unknown:
        the facts are then a read-only view pydantic-core makes without Python.
        """
        vocabulary = self.rules.vocabulary
        names = {kind.name: _name_schema(kind, None if self._open else vocabulary)
                 for kind in DEPLOYMENT_KINDS}
        date = _shown(_date_schema(text_first=text_first), {"type": "string", "format": "date"})
        ident = cs.union_schema(
            [cs.str_schema(strict=True, pattern=_PLAIN_ID),
             cs.no_info_after_validator_function(self._id, cs.str_schema(strict=True))],
            mode="left_to_right")
        facts: cs.CoreSchema = (
            cs.no_info_after_validator_function(_known_facts,
                                                cs.nullable_schema(self._facts_schema()))
            if nulls else cs.no_info_after_validator_function(
                MappingProxyType, self._facts_schema(nulls=False)))
        if not text_first:
            # A `Deployment`'s facts are read-only: pydantic-core reads a copy much faster.
            facts = cs.no_info_before_validator_function(_copied, facts)
        schemas: dict[str, cs.CoreSchema] = {
            "id": _shown(ident, {"type": "string", "minLength": 1}),
            "party": names["party"],
            "workload": names["workload"],
            "provider": names["provider"],
            "start": date,
            "region": _optional(names["region"]),
            "end": _optional(date),
            "capacity": _optional(self._quantity_schema("capacity")),
            "value": _optional(self._quantity_schema("value")),
            "facts": cs.with_default_schema(facts, default_factory=_no_facts,
                                            default_factory_takes_data=False),
        }
        return [cs.dataclass_field(name, schemas[name], metadata=_described(name))
                for name in _ABOUT]

    def _facts_schema(self, *, nulls: bool = True) -> cs.CoreSchema:
        if self._open:
            return _shown(cs.dict_schema(cs.str_schema(), cs.any_schema()), {
                "type": "object", "additionalProperties": {
                    "anyOf": [{"type": t} for t in ("boolean", "number", "string", "null")]}})
        declared = self.rules.vocabulary.facts
        return cs.typed_dict_schema(
            {name: cs.typed_dict_field(
                _nullable(self._fact_schema(fact), nulls), required=False,
                metadata={"pydantic_js_updates": {
                    "description": f"A fact: {fact.type.describe()}.", "default": None}})
             for name, fact in declared.items()},
            extra_behavior="forbid", ref="Facts",
            metadata={"pydantic_js_updates": {"title": "Facts"}})

    def _fact_schema(self, fact: Fact) -> cs.CoreSchema:
        kind = fact.type.kind
        if kind is FactKind.BOOL and not self.textual:
            return cs.bool_schema(strict=True)
        if kind is FactKind.ENUM:
            return cs.literal_schema(list(fact.type.values))
        if kind is FactKind.DATE:
            return _shown(_date_schema(text_first=True), {"type": "string", "format": "date"})
        # Numbers (a quantity in the fact's unit), and booleans written as text.
        rules = self.rules

        def fact_value(raw: object) -> object:
            return rules.fact_value(fact, Scalar(raw, NO_SPAN, textual=True), _refusals())

        validator = cs.no_info_plain_validator_function(self._memoised(f"facts.{fact.name}",
                                                                       fact_value))
        if kind is FactKind.BOOL:
            return _shown(validator, {"type": "boolean"})
        number: dict[str, Any] = {"type": "number"}
        return _shown(validator, {"anyOf": [number, {"type": "string"}]} if fact.type.unit
                      else number)

    def _quantity_schema(self, key: str) -> cs.CoreSchema:
        rules = self.rules

        def quantity(raw: object) -> object:
            return rules.quantity(Scalar(raw, NO_SPAN), key, _refusals())

        return _shown(cs.no_info_plain_validator_function(self._memoised(key, quantity)),
                      {"type": "string", "pattern": QUANTITY_PATTERN})

    def _memoised(self, key: str, rule: Callable[[object], object]) -> Callable[[object], object]:
        """`rule` as a validator, remembering its answer for recurring texts and numbers."""
        memo = self._memo
        remember = self._remember

        def validate(raw: object) -> object:
            kind = type(raw)
            if kind is Quantity:
                # A sound `Quantity` is its own value: only that verdict is remembered.
                amount, dimension = raw.amount, raw.dimension  # type: ignore[attr-defined]
                if type(amount) is not Decimal or not amount.is_finite():
                    return _refusing(rule, raw)
                sound = (key, kind, (amount, dimension))
                if memo.get(sound) is True:
                    return raw
                found = _refusing(rule, raw)
                remember(sound, found is raw)
                return found
            if kind is not str and kind is not bool and kind is not int:
                # Not memoised: 0.0 and -0.0, or 1.0 and 1.00, are equal keys.
                return _refusing(rule, raw)
            memo_key = (key, kind, raw)
            try:
                found = memo[memo_key]
            except KeyError:
                try:
                    found = _refusing(rule, raw)
                except PydanticCustomError as refused:
                    found = refused
                remember(memo_key, found)
            if isinstance(found, PydanticCustomError):
                raise found
            return found

        return validate

    def _remember(self, key: tuple[str, type, object], found: object) -> None:
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found

    def _id(self, text: str) -> str:
        ident = _refusing(lambda raw: self.rules.read_id(Scalar(raw, NO_SPAN), _refusals())[0],
                          text)
        assert isinstance(ident, str)  # INVARIANT: `read_id` finds one if it reports nothing
        return ident


class _Refusals(list[Diagnostic]):
    """The diagnostics list a rule reports to inside a validator: the first one refuses."""

    def append(self, diagnostic: Diagnostic) -> None:
        raise PydanticCustomError(REFUSED, "{message}", {"message": diagnostic.message,
                                                         "code": diagnostic.code})


def _refusals() -> list[Diagnostic]:
    return _Refusals()


def _refusing(rule: Callable[[object], object], raw: object) -> object:
    """What `rule` makes of `raw`; a `PydanticCustomError` if it reports a problem.

    A rule that finds nothing to report returns its value; one that returns
    None having reported nothing refuses too (it cannot say why: never so).
    """
    found = rule(raw)
    if found is None:
        raise PydanticCustomError(REFUSED, "refused", {})
    return found


def _first_valid(validators: Iterable[SchemaValidator], data: object) -> Any:
    """What the first of `validators` that accepts `data` makes of it; the last one's errors."""
    *tried, last = validators
    for validator in tried:
        try:
            return validator.validate_python(data)
        except ValidationError:
            pass
    return last.validate_python(data)


def _nullable(schema: cs.CoreSchema, nulls: bool) -> cs.CoreSchema:
    return cs.nullable_schema(schema) if nulls else schema


#: The facts of a deployment that gives none: the same read-only mapping, made in C.
_no_facts = itertools.repeat(NO_FACTS).__next__


def _copied(facts: object) -> object:
    return facts.copy() if type(facts) is MappingProxyType else facts


def _known_facts(given: dict[str, object] | None) -> Mapping[str, object]:
    """The facts given a value, read-only: a null leaves a fact unknown, as if it were absent."""
    if not given:
        return NO_FACTS
    if None in given.values():
        given = {name: value for name, value in given.items() if value is not None}
        if not given:
            return NO_FACTS
    return MappingProxyType(given)


def _name_schema(kind: NameKind, vocabulary: Vocabulary | None) -> cs.CoreSchema:
    """The names of a kind `vocabulary` declares, as an enumeration; without one, any text."""
    if vocabulary is None:
        return cs.str_schema(strict=True)
    names = list(kind.names_in(vocabulary))
    if names:
        return cs.literal_schema(names)

    def undeclared(raw: object) -> object:
        raise PydanticCustomError(REFUSED, "the terms declare no {plural}",
                                  {"plural": kind.plural})

    return _shown(cs.no_info_plain_validator_function(undeclared), {"type": "string"})


def _date_schema(*, text_first: bool) -> cs.CoreSchema:
    """Exact `YYYY-MM-DD` text (a real day), or a `datetime.date` (not a datetime).

    `text_first` tries text first (rows as read), else dates (`Deployment` objects).
    """
    text = cs.chain_schema([cs.str_schema(strict=True, pattern=DATE_PATTERN), cs.date_schema()])
    date = cs.date_schema(strict=True)
    return cs.union_schema([text, date] if text_first else [date, text], mode="left_to_right")


def _optional(schema: cs.CoreSchema) -> cs.CoreSchema:
    return cs.with_default_schema(cs.nullable_schema(schema), default=None)


def _required(schema: cs.CoreSchema) -> cs.CoreSchema:
    """A field's schema without its default (a `Deployment` has every field)."""
    return schema["schema"] if schema["type"] == "default" else schema


def _deployment(fields: list[cs.DataclassField]) -> cs.CoreSchema:
    """A `Deployment` from scenario fields."""
    source = cs.dataclass_field(
        "source", cs.with_default_schema(cs.any_schema(), default=None), init=False)
    everything = [*fields, source]
    return cs.dataclass_schema(
        Deployment,
        cs.dataclass_args_schema("Deployment", everything, extra_behavior="forbid"),
        [f["name"] for f in everything],
        slots=True, frozen=True, ref="DeploymentInput",
        metadata={"pydantic_js_functions": [_without_source],
                  "pydantic_js_updates": {"title": "Deployment",
                                          "description": "One proposed deployment."}})


def _without_source(schema: cs.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """A deployment's JSON Schema: `source` is where it was read, not one of its fields."""
    shown = handler.resolve_ref_schema(handler(schema))
    shown["properties"].pop("source", None)
    shown["additionalProperties"] = False
    return shown


def _shown(schema: cs.CoreSchema, json: dict[str, Any]) -> cs.CoreSchema:
    """`schema`, shown in the JSON Schema as `json` (what an editor should accept)."""
    shown = cast(dict[str, Any], schema)
    shown["metadata"] = {"pydantic_js_functions": [lambda _schema, _handler: dict(json)]}
    return schema


def _described(field: str) -> dict[str, Any]:
    """A field's description and examples in the JSON Schema (and null, an optional's default)."""
    description, *examples = _ABOUT[field]
    shown: dict[str, Any] = {"description": description, "examples": examples}
    if field not in REQUIRED_FIELDS:
        shown["default"] = None
    return {"pydantic_js_updates": shown}


_NAME = "Must be declared in the terms (case-sensitive)."
#: The fields of a deployment as the JSON Schema describes them, in the order it lists them.
_ABOUT: dict[str, tuple[Any, ...]] = {
    "id": ("Unique within the scenario.", "coreweave-2025"),
    "party": (f"The party that deploys. {_NAME}", "OpenAI"),
    "workload": (f"The workload (not a workload group). {_NAME}", "training"),
    "provider": (f"The provider it runs on. {_NAME}", "CoreWeave"),
    "region": (f"Where it runs (not a region group). {_NAME}", "US"),
    "capacity": ("Power or a count: `<number>[k|M|B|T] <unit>`, e.g. `300 MW`, `4608 GPU`.",
                 "300 MW", "4608 GPU"),
    "value": ("Money: `<number>[k|M|B|T] <unit>`, e.g. `11.9B USD`.", "11.9B USD"),
    "start": ("ISO date (YYYY-MM-DD) the deployment starts; the date it is judged on unless "
              "the check gives one.", "2025-03-10"),
    "end": ("ISO date it ends; not before `start`.", "2030-03-10"),
    "facts": ("Facts declared in the terms, by name. A boolean fact takes `true` or `false`, an "
              "enumeration one of its members, a number a number or a quantity in the fact's "
              "unit, a date an ISO date. An absent (or null) fact is unknown.",
              {"rofr_declined": True}),
}
#: The fields of a deployment, in the order the scenario schema lists them.
FIELDS: tuple[str, ...] = tuple(_ABOUT)
#: The quantities `rules.units` reads, in the regex dialect JSON Schema uses (no named
#: groups): a comma only between groups of three digits.
QUANTITY_PATTERN = (
    r"^\s*([0-9]{1,3}(,[0-9]{3})+|[0-9][0-9_]*)(\.[0-9]+)?[kMBT]?\s*[A-Za-z][A-Za-z0-9_]*\s*$"
)


def cached(vocabulary: Vocabulary, *, textual: bool = False) -> RowValidator:
    """The `RowValidator` of `vocabulary`, built once for the last few vocabularies."""
    key = (id(vocabulary), textual)
    held = _CACHE.get(key)
    if held is None or held[0] is not vocabulary:
        if len(_CACHE) >= 8:
            _CACHE.clear()
        held = (vocabulary, RowValidator(vocabulary, textual=textual))
        _CACHE[key] = held
    return held[1]


_CACHE: dict[tuple[int, bool], tuple[Vocabulary, RowValidator]] = {}

__all__ = ["DATE_PATTERN", "DEPLOYMENT_FIELDS", "FIELDS", "NO_FACTS", "QUANTITY_PATTERN",
           "REFUSED", "REQUIRED_FIELDS",
           "DeploymentRow", "RowValidator", "as_deployment", "cached", "located"]
