"""Resolution: typed AST → the terms model, with every name, type, unit and date checked.

All problems are collected; `resolve` returns the model together with its
diagnostics, and `load`-style callers raise when any of them is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dealcheck import limits
from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Related, did_you_mean, error
from dealcheck.dsl.parse import paused_gc
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.dates import ISO_DATE, read_date
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, GROUPED_KINDS, KINDS
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, FactValue, SourceLocation

#: Diagnostic codes of resolution, with what each one means (documented in docs/language.md).
CODES: dict[str, str] = {
    "DC101": "a name that is not declared",
    "DC102": "a name declared twice",
    "DC103": "two clauses with the same id",
    "DC104": "an invalid date",
    "DC105": "an empty or inverted effective window",
    "DC106": "a unit of the wrong dimension",
    "DC107": "an unknown unit",
    "DC108": "a value of the wrong type in a condition",
    "DC109": "a `notwithstanding` target that is never in force while the permission is",
    "DC110": "a `revoke` target that is not in force on the amendment's date",
    "DC111": "`notwithstanding` on a clause that is not a permission, or a permission without it",
    "DC112": "exceptions that override each other in a cycle",
    "DC113": "an aggregate over something other than `value` or `capacity`",
    "DC114": "amendments out of date order",
    "DC115": "a clause that takes effect before the amendment that adds it",
    "DC116": "an invalid executable example",
    "DC117": "a name of the wrong kind (a region where a provider belongs, …)",
    "DC118": "a number out of range",
}

KEYWORD_FIELDS = frozenset(m.DEPLOYMENT_FIELDS)
MEASURES = {"value": ("money",), "capacity": ("power", "count")}
#: The code of the diagnostic for an evaluation date (`as_of`, `--as-of`) that is not a date.
INVALID_AS_OF = "DC910"


@dataclass(slots=True)
class Resolution:
    """The resolved terms (None when errors made it impossible) and every diagnostic."""

    terms: m.Terms | None
    diagnostics: list[Diagnostic]
    uses: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.terms is not None and not any(d.severity == "error" for d in self.diagnostics)


def parse_date(text: str) -> dt.date | str:
    """An ISO date, or a message explaining why it is not one.

    >>> parse_date("2025-02-30")
    'invalid date `2025-02-30`: February 2025 has 28 days'
    """
    found = read_date(text)
    if isinstance(found, dt.date):
        return found
    return f"{'malformed' if found.malformed else 'invalid'} date `{text}`: {found.reason}"


def parse_as_of(value: object, where: str = "as_of") -> dt.date | None:
    """The evaluation date of a check: None, a `date`, ISO text ``YYYY-MM-DD``, or ``today``.

    The one reading of it, for the library (``terms.check(..., as_of=...)``)
    and the CLI (``--as-of``) alike, so that both accept exactly the same dates.

    Raises:
        DiagnosticsError: (DC910) located at `where`, the value's own text as its source.

    >>> parse_as_of("2025-03-10")
    datetime.date(2025, 3, 10)
    """
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if value == "today":  # the one use of the clock: the day the check runs
        return dt.date.today()
    example = "write the date as YYYY-MM-DD, e.g. `2025-03-10`, or `today`"
    if isinstance(value, dt.datetime):
        problem, hint = f"must be a date, found a date and time `{value}`", \
            f"drop the time: `{value.date()}`"
    elif isinstance(value, str):
        parsed = parse_date(value)
        if isinstance(parsed, dt.date):
            return parsed
        if ISO_DATE.fullmatch(value):  # a date that does not exist: the message says why
            problem, hint = parsed.replace(f"`{value}`: ", f"`{value}` in `{where}`: ", 1), None
        else:
            problem, hint = f"malformed date {_shown(value)} in `{where}`", example
        if value.isprintable():
            span = Span(where, 0, len(value), 1, 1, 1, len(value) + 1)
            raise DiagnosticsError([error(INVALID_AS_OF, problem, span, hint)], {where: value})
    else:
        problem, hint = f"must be a date, found {_shown(value)} of type " \
            f"`{type(value).__name__}`", example
    if not problem.startswith(("malformed", "invalid")):
        problem = f"`{where}` {problem}"
    raise DiagnosticsError([error(INVALID_AS_OF, problem, Span.point(where, 1, 1), hint)])


def _shown(value: object) -> str:
    """A value for a message: in backticks, escaped, cut when long."""
    from dealcheck.scenario.tree import code

    return code(value if isinstance(value, str) else repr(value))


class _Resolver:
    def __init__(self, doc: ast.Document, file: str, broken: frozenset[str]) -> None:
        self.doc = doc
        self.file = file
        self.broken = broken
        self.diags: list[Diagnostic] = []
        self.vocab = m.Vocabulary()
        self.group_spans: dict[str, Span] = {}
        self.clause_ids: dict[str, Span] = {}
        self.used: dict[str, set[str]] = {
            k: set() for k in ("fact", "unit", *(f"{g.name}_group" for g in GROUPED_KINDS))}

    # ------------------------------------------------------------ helpers
    def err(self, code: str, message: str, span: Span, help: str | None = None,
            related: Iterable[Related] = ()) -> None:
        self.diags.append(error(code, message, span, help, related))

    def date(self, lit: ast.DateLit | None) -> dt.date | None:
        if lit is None:
            return None
        value = parse_date(lit.text)
        if isinstance(value, str):
            self.err("DC104", value, lit.span, "check the day and month")
            return None
        return value

    def unknown(self, kind: str, name: ast.Name, candidates: Iterable[str],
                extra: str | None = None) -> None:
        if name.value in self.broken:
            return  # its declaration had a syntax error, already reported
        wrong_kind = self.kind_of(name.value)
        if wrong_kind is not None and wrong_kind != kind:
            self.err("DC117", f"`{name.value}` is a {wrong_kind}, not a {kind}", name.span,
                     extra or f"use a {kind} here")
            return
        close = did_you_mean(name.value, candidates)
        if close:
            help_text = f"did you mean `{close}`?"
        else:
            hint = KINDS[kind].declaration.format(
                name=name.value, party=next(iter(self.vocab.parties), "Acme"))
            help_text = f"declare it first, e.g. `{hint}`"
        self.err(KINDS[kind].unknown_code, f"unknown {kind} `{name.value}`", name.span, help_text)

    def kind_of(self, name: str) -> str | None:
        for kind in _KIND_ORDER:
            if name in kind.names_in(self.vocab):
                return kind.name
            if name in kind.groups_in(self.vocab):
                return kind.group_word
        return None

    # ------------------------------------------------------------ vocabulary
    def declare(self, table: dict[str, object], kind: str, name: ast.Name, value: object) -> None:
        if name.value in table:
            first = table[name.value]
            span = first if isinstance(first, Span) else getattr(first, "span", None)
            related = [Related(span, "first declared here")] if isinstance(span, Span) else []
            self.err("DC102", f"{kind} `{name.value}` is declared twice", name.span,
                     "remove one of the declarations", related)
            return
        table[name.value] = value

    def vocabulary(self) -> None:
        v = self.vocab
        groups: list[ast.GroupDecl] = []
        for item in self.doc.items:
            if isinstance(item, ast.PartyDecl):
                for n in item.names:
                    self.declare(v.parties, "party", n, n.span)  # type: ignore[arg-type]
            elif isinstance(item, ast.ProviderDecl):
                self.declare(v.providers, "provider", item.name,  # type: ignore[arg-type]
                             m.Provider(item.name.value, item.operator.value, item.name.span))
            elif isinstance(item, ast.WorkloadDecl):
                for n in item.names:
                    self.declare(v.workloads, "workload", n, n.span)  # type: ignore[arg-type]
            elif isinstance(item, ast.RegionDecl):
                for n in item.names:
                    self.declare(v.regions, "region", n, n.span)  # type: ignore[arg-type]
            elif isinstance(item, ast.UnitDecl):
                if item.name.value in v.units.units:
                    self.err("DC102", f"unit `{item.name.value}` is already defined",
                             item.name.span, "use the existing unit")
                else:
                    v.units.declare(item.name.value)
                    v.declared_units[item.name.value] = item.name.span
            elif isinstance(item, ast.GroupDecl):
                groups.append(item)
        for item in self.doc.items:
            if isinstance(item, ast.FactDecl):
                self.fact(item)
        self.groups(groups)
        for p in v.providers.values():
            if p.operator not in v.parties and p.operator not in self.broken:
                decl = next(i for i in self.doc.items if isinstance(i, ast.ProviderDecl)
                            and i.name.value == p.name)
                self.unknown("party", decl.operator, v.parties)

    def groups(self, decls: list[ast.GroupDecl]) -> None:
        """Resolve groups in any order; a group may name groups declared after it."""
        v = self.vocab
        pending: dict[tuple[str, str], ast.GroupDecl] = {}
        for g in decls:
            kind = _GROUP_KINDS[type(g)]
            if g.name.value in KINDS[kind].names_in(v):
                self.err("DC102", f"`{g.name.value}` is already a {kind}", g.name.span,
                         "give the group a name of its own")
                continue
            key = (kind, g.name.value)
            if key in pending:
                self.err("DC102", f"{kind} group `{g.name.value}` is declared twice",
                         g.name.span, "remove one of the declarations",
                         [Related(pending[key].name.span, "first declared here")])
                continue
            pending[key] = g
        resolving: set[tuple[str, str]] = set()

        def resolve_group(key: tuple[str, str]) -> frozenset[str]:
            kind, name = key
            groups = KINDS[kind].groups_in(v)
            if name in groups:
                return groups[name]
            g = pending[key]
            if key in resolving:
                self.err("DC112", f"{kind} group `{name}` contains itself", g.name.span,
                         "a group lists members or groups declared without it")
                return frozenset()
            resolving.add(key)
            members_table = KINDS[kind].names_in(v)
            members: set[str] = set()
            for n in g.members:
                if n.value in members_table:
                    members.add(n.value)
                elif (kind, n.value) in pending:
                    members |= resolve_group((kind, n.value))
                else:
                    self.unknown(kind, n, [*members_table, *(k[1] for k in pending
                                                            if k[0] == kind)])
            resolving.discard(key)
            groups[name] = frozenset(members)
            self.group_spans[name] = g.name.span
            return groups[name]

        for key in pending:
            resolve_group(key)

    def fact(self, d: ast.FactDecl) -> None:
        v = self.vocab
        name = d.name.value
        if name in KEYWORD_FIELDS:
            self.err("DC102", f"fact `{name}` has the name of a deployment field", d.name.span,
                     "choose another name: conditions read the field `" + name + "` by that name")
            return
        t = d.type
        if isinstance(t, ast.BoolType):
            ftype = m.FactType(m.FactKind.BOOL)
        elif isinstance(t, ast.DateType):
            ftype = m.FactType(m.FactKind.DATE)
        elif isinstance(t, ast.EnumType):
            seen: set[str] = set()
            for value in t.values:
                if value.value in seen:
                    self.err("DC102", f"`{value.value}` is listed twice", value.span,
                             "remove the repeated member")
                seen.add(value.value)
            ftype = m.FactType(m.FactKind.ENUM, tuple(dict.fromkeys(x.value for x in t.values)))
        else:
            unit = t.unit.value if t.unit else None
            dimension = ""
            if t.unit is not None:
                found = v.units.dimension_of(t.unit.value)
                if found is None:
                    self.unknown_unit(t.unit)
                    # Reported once here, not again at each condition that reads it.
                    self.broken = self.broken | {name}
                    return
                dimension = found
                self.used["unit"].add(t.unit.value)
            ftype = m.FactType(m.FactKind.NUMBER, unit=unit, dimension=dimension)
        self.declare(v.facts, "fact", d.name, m.Fact(name, ftype, d.name.span))  # type: ignore[arg-type]

    def unknown_unit(self, unit: ast.Name, dimensions: tuple[str, ...] | None = None) -> None:
        """DC107. Where the quantity must be of `dimensions`, only their units can help:
        a unit declared with `unit NAME` is a dimension of its own."""
        units = self.vocab.units.units
        if dimensions is None:
            close = did_you_mean(unit.value, units)
            self.err("DC107", f"unknown unit `{unit.value}`", unit.span,
                     f"did you mean `{close}`?" if close else
                     f"known units: {', '.join(units)}; declare a new one with "
                     f"`unit {unit.value}`")
            return
        close = did_you_mean(unit.value, [u for u, (d, _) in units.items() if d in dimensions])
        self.err("DC107", f"unknown unit `{unit.value}`", unit.span,
                 f"did you mean `{close}`?" if close else
                 f"write it in {_units_of(self.vocab, dimensions)}")

    # ------------------------------------------------------------ names
    def names(self, names: Iterable[ast.Name], kind: str) -> frozenset[str]:
        """The names of one kind, groups replaced by their members."""
        table = KINDS[kind]
        declared, groups = table.names_in(self.vocab), table.groups_in(self.vocab)
        out: set[str] = set()
        for n in names:
            if n.value in declared:
                out.add(n.value)
            elif n.value in groups:
                out |= groups[n.value]
                self.used[f"{kind}_group"].add(n.value)
            else:
                self.unknown(kind, n, [*declared, *groups])
        return frozenset(out)

    def selection(self, sel: ast.Selection | None, kind: str) -> tuple[frozenset[str] | None, bool]:
        if sel is None or sel.names is None:
            return None, False
        return self.names(sel.names, kind), sel.negated

    def scope(self, p: ast.Pattern) -> m.Scope:
        parties, _ = self.selection(p.parties, "party")
        workloads, _ = self.selection(p.workloads, "workload")
        providers, providers_negated = self.selection(p.providers, "provider")
        regions, regions_negated = self.selection(p.regions, "region")
        return m.Scope(parties, workloads, providers, providers_negated, regions,
                       regions_negated, self.condition(p.when) if p.when else None)

    # ------------------------------------------------------------ conditions
    def condition(self, c: ast.Cond) -> m.Condition:
        if isinstance(c, ast.Group):
            return self.condition(c.item)
        if isinstance(c, ast.Not):
            return m.Not(self.condition(c.item), c.span)
        if isinstance(c, ast.And):
            return m.And(tuple(self.condition(i) for i in c.items), c.span)
        if isinstance(c, ast.Or):
            return m.Or(tuple(self.condition(i) for i in c.items), c.span)
        if isinstance(c, ast.Truthy):
            ref = self.ref(c.name)
            if ref is not None and ref.is_fact:
                fact = self.vocab.facts[ref.name]
                if fact.type.kind is not m.FactKind.BOOL:
                    self.err("DC108", f"`{ref.name}` is not a bool fact", c.name.span,
                             f"compare it, e.g. `{self.example_comparison(ref)}`")
            elif ref is not None:
                self.err("DC108", f"the field `{ref.name}` is not a bool", c.name.span,
                         f"compare it, e.g. `{self.example_comparison(ref)}`")
            return m.Truthy(ref or m.FieldRef(c.name.value, True, c.name.span), c.span)
        if isinstance(c, ast.Member):
            ref = self.ref(c.left)
            values = self.member_values(ref, c.values) if ref else frozenset()
            return m.Member(ref or m.FieldRef(c.left.value, True, c.left.span), values,
                            c.negated, c.span)
        ref = self.ref(c.left)
        value = self.constant(ref, c.op, c.right) if ref else None
        return m.Compare(ref or m.FieldRef(c.left.value, True, c.left.span), m.CmpOp(c.op),
                         value if value is not None else False, c.span)

    def ref(self, name: ast.Name) -> m.FieldRef | None:
        if name.value in KEYWORD_FIELDS:
            return m.FieldRef(name.value, False, name.span)
        if name.value in self.vocab.facts:
            self.used["fact"].add(name.value)
            return m.FieldRef(name.value, True, name.span)
        if name.value in self.broken:
            return None
        candidates = [*self.vocab.facts, *KEYWORD_FIELDS]
        close = did_you_mean(name.value, candidates)
        self.err("DC101", f"unknown fact or field `{name.value}`", name.span,
                 f"did you mean `{close}`?" if close else
                 f"declare it, e.g. `fact {name.value}: bool`, or use a deployment field: "
                 + ", ".join(sorted(KEYWORD_FIELDS)))
        return None

    def example_comparison(self, ref: m.FieldRef) -> str:
        """A comparison of `ref` that resolves in these terms, for help lines."""
        if ref.is_fact:
            ftype = self.vocab.facts[ref.name].type
            if ftype.kind is m.FactKind.ENUM:
                return f"{ref.name} = {ftype.values[0]}"
            if ftype.kind is m.FactKind.NUMBER:
                return f"{ref.name} >= {self.example_quantity((ftype.dimension,))}"
            return f"{ref.name} >= 2025-01-01"
        kind = self.field_kind(ref)
        if kind == "quantity":
            return f"{ref.name} >= {self.example_quantity(MEASURES[ref.name])}"
        if kind == "date":
            return f"{ref.name} >= 2025-01-01"
        names = self.vocab.names_of(kind)
        return f"{ref.name} = {names[0] if names else '…'}"

    def example_quantity(self, dimensions: tuple[str, ...]) -> str:
        """`1` in the first unit of `dimensions` (a plain `1` for plain numbers)."""
        unit = next((u for u, (d, _) in self.vocab.units.units.items() if d in dimensions), None)
        return f"1 {unit}" if unit else "1"

    def field_kind(self, ref: m.FieldRef) -> str:
        """'party', 'workload', 'provider', 'region', 'date', 'quantity' or a fact kind."""
        if ref.is_fact:
            return "fact"
        return m.DEPLOYMENT_FIELDS[ref.name]

    def member_values(self, ref: m.FieldRef, values: tuple[ast.Name, ...]) -> frozenset[str]:
        kind = self.field_kind(ref)
        if kind in ("party", "workload", "provider", "region"):
            return self.names(values, kind)
        if kind == "fact":
            fact = self.vocab.facts[ref.name]
            if fact.type.kind is m.FactKind.ENUM:
                out = set()
                for v in values:
                    if v.value in fact.type.values:
                        out.add(v.value)
                    else:
                        self.bad_member(fact, v)
                return frozenset(out)
        self.err("DC108", f"`{ref.name}` cannot be tested with `in`", ref.span,
                 "`in` takes a list of names: use it with providers, regions, workloads, "
                 "parties or an enumeration fact")
        return frozenset()

    def bad_member(self, fact: m.Fact, v: ast.Name) -> None:
        if v.value in self.broken:
            return
        close = did_you_mean(v.value, fact.type.values)
        self.err("DC108", f"`{v.value}` is not a value of `{fact.name}`", v.span,
                 f"did you mean `{close}`?" if close else
                 f"`{fact.name}` is one of: {', '.join(fact.type.values)}")

    def constant(self, ref: m.FieldRef, op: str, value: ast.Value) -> m.Constant | None:
        kind = self.field_kind(ref)
        ordered = op in ("<", "<=", ">", ">=")
        if kind in ("party", "workload", "provider", "region"):
            if not isinstance(value, ast.Name):
                self.err("DC108", f"`{ref.name}` is compared with a name", value.span,
                         f"write a {kind} name, e.g. `{self.example_comparison(ref)}`")
                return None
            if ordered:
                self.err("DC108", f"`{op}` does not apply to `{ref.name}`", ref.span,
                         "use `=`, `!=`, `in` or `not in`")
                return None
            if value.value in KINDS[kind].groups_in(self.vocab):
                self.err(KINDS[kind].group_as_name_code, f"`{value.value}` is a group: "
                         f"`{ref.name}` is one {kind}", value.span,
                         f"write `{ref.name} in {value.value}`")
                return None
            found = self.names([value], kind)
            return next(iter(found)) if found else None
        if kind == "date":
            return self.date_constant(ref, value)
        if kind == "quantity":
            return self.quantity_constant(ref, value, MEASURES[ref.name])
        fact = self.vocab.facts[ref.name]
        ftype = fact.type
        if ftype.kind is m.FactKind.BOOL:
            if ordered or not isinstance(value, ast.BoolLit):
                self.err("DC108", f"`{ref.name}` is a bool fact", value.span,
                         f"write `{ref.name} = true` or `{ref.name} = false`")
                return None
            return value.value
        if ftype.kind is m.FactKind.ENUM:
            if ordered or not isinstance(value, ast.Name):
                self.err("DC108", f"`{ref.name}` is one of: {', '.join(ftype.values)}",
                         value.span, f"write e.g. `{ref.name} = {ftype.values[0]}`")
                return None
            if value.value not in ftype.values:
                self.bad_member(fact, value)
                return None
            return value.value
        if ftype.kind is m.FactKind.DATE:
            return self.date_constant(ref, value)
        return self.quantity_constant(ref, value, (ftype.dimension,))

    def date_constant(self, ref: m.FieldRef, value: ast.Value) -> dt.date | None:
        if not isinstance(value, ast.DateLit):
            self.err("DC108", f"`{ref.name}` is a date", value.span,
                     f"compare it with a date, e.g. `{ref.name} >= 2025-01-21`")
            return None
        return self.date(value)

    def quantity_constant(self, ref: m.FieldRef, value: ast.Value,
                          dimensions: tuple[str, ...]) -> Quantity | None:
        if not isinstance(value, ast.QuantityLit):
            self.err("DC108", f"`{ref.name}` is a quantity", value.span,
                     f"compare it with a number, e.g. `{ref.name} >= "
                     f"{self.example_quantity(dimensions)}`")
            return None
        return self.quantity(value, dimensions, f"`{ref.name}`")

    def quantity(self, q: ast.QuantityLit, dimensions: tuple[str, ...],
                 what: str) -> Quantity | None:
        unit = q.unit.value if q.unit else None
        if unit is not None and self.vocab.units.dimension_of(unit) is None:
            self.unknown_unit(q.unit, dimensions)  # type: ignore[arg-type]
            return None
        if unit is not None:
            self.used["unit"].add(unit)
        try:
            quantity = self.vocab.units.quantity(q.number, unit)
        except ValueError as exc:
            self.err("DC118", str(exc), q.span, "write a number such as `1.5`, `300M` or `4608`")
            return None
        if quantity.amount > (largest := limits.MAX_QUANTITY.value()):
            shown = q.number if len(q.number) <= 40 else q.number[:39] + "…"
            self.err("DC118", f"`{shown}` is too large", q.span,
                     f"quantities are limited to {largest:.0e} base units; "
                     f"{limits.over_limit_help(limits.MAX_QUANTITY)}")
            return None
        if quantity.dimension not in dimensions:
            wanted = " or ".join(_describe_dimension(d) for d in dimensions)
            got = _describe_dimension(quantity.dimension)
            span = q.unit.span if q.unit else q.span
            self.err("DC106", f"{what} is {wanted}, but `{_q_text(q)}` is {got}", span,
                     f"write it in {_units_of(self.vocab, dimensions)}")
            return None
        return quantity

    # ------------------------------------------------------------ clauses
    def rule(self, c: ast.Clause) -> tuple[m.ClauseKind, m.Scope, m.Rule] | None:
        r = c.rule
        scope = self.scope(r.pattern)
        if isinstance(r, ast.Restriction):
            k = r.kind
            if isinstance(k, ast.OnlyOn):
                allowed = self.names(k.names, "provider")
                return (m.ClauseKind.EXCLUSIVITY, scope,
                        m.Exclusivity("provider", allowed, tuple(n.value for n in k.names)))
            if isinstance(k, ast.OnlyIn):
                allowed = self.names(k.names, "region")
                return (m.ClauseKind.EXCLUSIVITY, scope,
                        m.Exclusivity("region", allowed, tuple(n.value for n in k.names)))
            return m.ClauseKind.REQUIREMENT, scope, m.Requirement(self.condition(k.cond))
        if isinstance(r, ast.Prohibition):
            return m.ClauseKind.PROHIBITION, scope, m.Prohibition()
        if isinstance(r, ast.Permission):
            return m.ClauseKind.PERMISSION, scope, m.Permission()
        measure = r.measure.value
        if measure not in MEASURES:
            close = did_you_mean(measure, MEASURES)
            self.err("DC113", f"cannot total `{measure}`", r.measure.span,
                     f"did you mean `{close}`?" if close else "total `value` or `capacity`")
            return None
        limit = self.quantity(r.limit, MEASURES[measure], f"`{measure}`")
        if r.limit.unit is None and limit is None:
            pass
        window_from, window_through = self.date(r.window_from), self.date(r.window_through)
        if window_from and window_through and window_through < window_from:
            self.err("DC105", "the window ends before it starts", r.window_through.span,  # type: ignore[union-attr]
                     f"`through` must be on or after {window_from.isoformat()}")
        deadline = self.date(r.deadline)
        if limit is None:
            return None
        kind = m.ClauseKind.CAP if r.is_cap else m.ClauseKind.COMMITMENT
        return kind, scope, m.Aggregate(measure, limit, window_from, window_through, deadline)

    def resolve(self) -> m.Terms | None:
        agreement = self.doc.agreement
        effective = self.date(agreement.effective)
        self.vocabulary()
        versions: list[_Version] = []
        by_id: dict[str, list[_Version]] = {}

        def add(c: ast.Clause, intro: dt.date | None, amendment: str | None,
                replacing: bool = False) -> None:
            if c.id.value in by_id and not replacing:
                first = by_id[c.id.value][0].node.id.span
                self.err("DC103", f"clause `{c.id.value}` is defined twice", c.id.span,
                         "give each clause its own id; to change a clause, use "
                         f"`replace clause {c.id.value}` in an amendment",
                         [Related(first, "first defined here")])
                return
            start = self.date(c.from_date)
            through = self.date(c.through_date)
            if start is not None and intro is not None and start < intro:
                where = f"amendment `{amendment}`" if amendment else "the agreement"
                self.err("DC115", f"clause `{c.id.value}` takes effect before {where}",
                         c.from_date.span,  # type: ignore[union-attr]
                         f"use a date on or after {intro.isoformat()}")
            begin = start or intro
            if begin is not None and through is not None and through < begin:
                self.err("DC105", f"clause `{c.id.value}` ends before it starts",
                         c.through_date.span,  # type: ignore[union-attr]
                         f"`through` must be on or after {begin.isoformat()}")
            v = _Version(c, begin, through, amendment)
            versions.append(v)
            by_id.setdefault(c.id.value, []).append(v)

        for item in self.doc.items:
            if isinstance(item, ast.Clause):
                add(item, effective, None)
        previous: tuple[dt.date, ast.Amendment] | None = None
        amendment_ids: dict[str, Span] = {}
        amendments: list[m.Amendment] = []
        for item in self.doc.items:
            if not isinstance(item, ast.Amendment):
                continue
            if item.id.value in amendment_ids:
                self.err("DC102", f"amendment `{item.id.value}` is declared twice", item.id.span,
                         "give each amendment its own id",
                         [Related(amendment_ids[item.id.value], "first declared here")])
            amendment_ids[item.id.value] = item.id.span
            when = self.date(item.effective)
            if when is not None and effective is not None and when < effective:
                self.err("DC114", f"amendment `{item.id.value}` takes effect before the agreement",
                         item.effective.span, f"use a date on or after {effective.isoformat()}")
            if when is not None and previous is not None and when < previous[0]:
                self.err("DC114", f"amendment `{item.id.value}` takes effect before the "
                         f"amendment above it", item.effective.span,
                         "list amendments in the order they take effect",
                         [Related(previous[1].effective.span, "that one takes effect here")])
            if when is not None:
                previous = (when, item)
            added: list[str] = []
            revoked: list[str] = []
            replaced: list[str] = []
            for sub in item.items:
                if isinstance(sub, ast.Revoke):
                    for ident in sub.ids:
                        if self.end_version(ident, when, by_id, item.id.value, "revoke"):
                            revoked.append(ident.value)
                elif isinstance(sub, ast.Replace):
                    ident = sub.clause.id
                    if self.end_version(ident, when, by_id, item.id.value, "replace"):
                        replaced.append(ident.value)
                        add(sub.clause, when, item.id.value, replacing=True)
                else:
                    add(sub, when, item.id.value)
                    added.append(sub.id.value)
            if when is not None:
                amendments.append(m.Amendment(item.id.value, item.title, when, tuple(added),
                                              tuple(revoked), tuple(replaced), item.id.span))

        clauses: list[m.Clause] = []
        for v in versions:
            built = self.rule(v.node)
            if built is None or v.start is None:
                continue
            kind, scope, rule = built
            overrides = tuple(n.value for n in v.node.notwithstanding)
            clauses.append(m.Clause(
                v.node.id.value, kind, scope, rule, v.node.label, v.node.sources, overrides,
                v.start, v.through, v.amendment, v.node.id.span))
        self.check_overrides(versions, by_id, clauses)
        examples = tuple(self.example(e, clauses) for e in self.doc.items
                         if isinstance(e, ast.Example))
        if effective is None:
            return None
        return m.Terms(
            path=self.file, title=agreement.title, effective=effective, vocabulary=self.vocab,
            clauses=tuple(clauses), amendments=tuple(amendments),
            examples=tuple(e for e in examples if e is not None),
        )

    def end_version(self, ident: ast.Name, when: dt.date | None,
                    by_id: dict[str, list[_Version]], amendment: str, verb: str) -> bool:
        """Close the version of `ident` in force on `when`.

        With none in force (revoked, replaced or expired), `revoke` is an error
        and `replace` renews the clause: the new version starts on `when`.
        """
        found = by_id.get(ident.value)
        if not found:
            if ident.value not in self.broken:
                close = did_you_mean(ident.value, by_id)
                self.err("DC101", f"unknown clause `{ident.value}`", ident.span,
                         f"did you mean `{close}`?" if close else f"only an existing clause can "
                         f"be {verb}d")
            return False
        if when is None:
            return False
        current = found[-1]
        if current.ended_by is not None or (current.through is not None
                                            and current.through < when):
            if verb == "replace":
                return True  # a renewal: the new version starts after a gap
            how = (f"it was {current.ended_by[0]}d by `{current.ended_by[1]}`"
                   if current.ended_by else f"it expired on {current.through}")
            self.err("DC110", f"clause `{ident.value}` is not in force on {when.isoformat()}",
                     ident.span, how,
                     [Related(current.node.id.span, "the clause is defined here")])
            return False
        if when == dt.date.min:
            # The version would end the day before: a day no calendar holds.
            self.err("DC104", f"clause `{ident.value}` cannot be {verb}d on "
                     f"{when.isoformat()}: it would end the day before, and no date comes "
                     "before it", ident.span,
                     f"date amendment `{amendment}` on or after "
                     f"{(when + dt.timedelta(days=1)).isoformat()}")
            return False
        day_before = when - dt.timedelta(days=1)
        current.through = day_before if current.through is None else min(current.through,
                                                                         day_before)
        current.ended_by = (verb, amendment)
        return True

    def check_overrides(self, versions: list[_Version], by_id: dict[str, list[_Version]],
                        clauses: list[m.Clause]) -> None:
        graph: dict[str, set[str]] = {}
        kinds = {c.id: c.kind for c in clauses}
        for v in versions:
            c = v.node
            is_permission = isinstance(c.rule, ast.Permission)
            if c.notwithstanding and not is_permission:
                self.err("DC111", f"clause `{c.id.value}` is not a permission",
                         c.notwithstanding[0].span,
                         "only a permission (`… may run …`) can be an exception: write the "
                         "rule as `may run`, or remove `notwithstanding`")
                continue
            if is_permission and not c.notwithstanding:
                restriction = next((r.node.id.value for r in versions
                                    if isinstance(r.node.rule, ast.Restriction | ast.Prohibition)),
                                   None)
                lifts = (f"add `notwithstanding {restriction}` (or the clause it lifts)"
                         if restriction else "add `notwithstanding` and the clause it lifts")
                self.err("DC111", f"permission `{c.id.value}` does not say what it is an "
                         "exception to", c.id.span,
                         f"{lifts} at the end of the header of `{c.id.value}`: a permission "
                         "binds only against the clauses it names")
                continue
            for target in c.notwithstanding:
                if target.value == c.id.value:
                    self.err("DC112", f"clause `{c.id.value}` is an exception to itself",
                             target.span, "name another clause")
                    continue
                tv = by_id.get(target.value)
                if not tv:
                    if target.value not in self.broken:
                        close = did_you_mean(target.value, by_id)
                        self.err("DC101", f"unknown clause `{target.value}`", target.span,
                                 f"did you mean `{close}`?" if close else
                                 "name a clause defined in this file")
                    continue
                graph.setdefault(c.id.value, set()).add(target.value)
                if kinds.get(target.value) is not None and kinds[target.value].is_aggregate:
                    self.err("DC111", f"`{target.value}` is a {kinds[target.value]}",
                             target.span, "a permission can override a restriction or "
                             "another permission, not an aggregate")
                    continue
                if v.start is not None and not any(_overlap(v, t) for t in tv):
                    t = tv[-1]
                    self.err("DC109", f"clause `{target.value}` is never in force while "
                             f"`{c.id.value}` is", target.span,
                             f"`{target.value}` is in force {_window_text(t)}; "
                             f"`{c.id.value}` {_window_text(v)}",
                             [Related(t.node.id.span, "the clause is defined here")])
        for start in sorted(graph):
            cycle = _find_cycle(graph, start)
            if cycle and cycle[0] == start and start == min(cycle):
                span = next(v.node.id.span for v in versions if v.node.id.value == start)
                self.err("DC112", "exceptions override each other in a cycle: "
                         + " → ".join(f"`{x}`" for x in [*cycle, cycle[0]]), span,
                         "an exception chain must end in a restriction")

    # ------------------------------------------------------------ examples
    def example(self, e: ast.Example, clauses: list[m.Clause]) -> m.Example | None:
        as_of = self.date(e.as_of)
        deployments: list[m.ExampleDeployment] = []
        ids: set[str] = set()
        ok = True
        lits = [i for i in e.items if isinstance(i, ast.DeploymentLit)]
        for index, d in enumerate(lits, 1):
            ident = d.id.value if d.id else ("example" if len(lits) == 1 else f"deployment{index}")
            if ident in ids:
                self.err("DC116", f"deployment `{ident}` appears twice in this example",
                         d.id.span if d.id else d.span, "give each deployment its own id")
                ok = False
            ids.add(ident)
            dep = self.example_deployment(ident, d)
            if dep is None:
                ok = False
            else:
                deployments.append(m.ExampleDeployment(dep, d.span))
        if not lits:
            self.err("DC116", f"example `{e.title}` has no deployment", e.span,
                     f"add a line such as `{self.example_deployment_line()}`")
            ok = False
        aggregates = {c.id for c in clauses if c.kind.is_aggregate}
        all_clauses = {c.id for c in clauses}
        expectations: list[m.Expectation] = []
        for x in (i for i in e.items if isinstance(i, ast.Expectation)):
            subject = x.subject.value if x.subject else None
            if subject is None and len(lits) > 1:
                self.err("DC116", "say which deployment this expectation is about", x.span,
                         f"write `expect {lits[0].id.value if lits[0].id else 'deployment1'} "
                         f"is {x.verdict}`")
                ok = False
            elif subject is not None and subject not in ids and subject not in aggregates:
                close = did_you_mean(subject, [*ids, *aggregates])
                self.err("DC116", f"`{subject}` is neither a deployment of this example nor "
                         "an aggregate clause", x.subject.span,  # type: ignore[union-attr]
                         f"did you mean `{close}`?" if close else None)
                ok = False
            is_aggregate = subject in aggregates and subject not in ids
            allowed = (("compliant", "violation", "open", "undetermined") if is_aggregate else
                       ("compliant", "violation", "undetermined", "not_covered"))
            if x.verdict not in allowed:
                self.err("DC116", f"`{x.verdict}` is not a verdict of "
                         f"{'an aggregate' if is_aggregate else 'a deployment'}", x.span,
                         "use one of: " + ", ".join(f"`{a}`" for a in allowed))
                ok = False
            for cl in x.clauses:
                if cl.value not in all_clauses and cl.value not in self.broken:
                    close = did_you_mean(cl.value, all_clauses)
                    self.err("DC101", f"unknown clause `{cl.value}`", cl.span,
                             f"did you mean `{close}`?" if close else None)
                    ok = False
            for f in x.missing:
                if f.value not in self.vocab.facts and f.value not in KEYWORD_FIELDS:
                    self.unknown("fact", f, self.vocab.facts)
                    ok = False
            expectations.append(m.Expectation(subject, x.verdict,
                                              tuple(c.value for c in x.clauses),
                                              tuple(f.value for f in x.missing), x.span))
        if not expectations:
            self.err("DC116", f"example `{e.title}` expects nothing", e.span,
                     "add a line such as `expect compliant`")
            ok = False
        if not ok:
            return None
        return m.Example(e.title, as_of, tuple(deployments), tuple(expectations), e.span)

    def example_deployment_line(self) -> str:
        """A deployment line of an example, in the names these terms declare."""
        v = self.vocab
        names = [next(iter(table), placeholder) for table, placeholder in
                 ((v.parties, "PARTY"), (v.workloads, "WORKLOAD"), (v.providers, "PROVIDER"))]
        when = self.doc.agreement.effective.text
        return f"deployment d: {names[0]} runs {names[1]} on {names[2]} starting {when}"

    def example_deployment(self, ident: str, d: ast.DeploymentLit) -> Deployment | None:
        before = len(self.diags)
        v = self.vocab
        for kind in DEPLOYMENT_KINDS:
            name: ast.Name | None = getattr(d, kind.name)  # the field named after its kind
            declared = kind.names_in(v)
            if name is not None and name.value not in declared:
                self.unknown(kind.name, name, declared)
        start = self.date(d.start)
        end = self.date(d.end)
        if start and end and end < start:
            self.err("DC105", "the deployment ends before it starts", d.end.span,  # type: ignore[union-attr]
                     f"use a date on or after {start.isoformat()}")
        capacity = self.quantity(d.capacity, MEASURES["capacity"], "`capacity`") \
            if d.capacity else None
        value = self.quantity(d.value, MEASURES["value"], "`value`") if d.value else None
        facts: dict[str, FactValue] = {}
        for fv in d.facts:
            fact = v.facts.get(fv.name.value)
            if fact is None:
                self.unknown("fact", fv.name, v.facts)
                continue
            if fv.name.value in facts:
                self.err("DC116", f"fact `{fv.name.value}` is given twice", fv.name.span,
                         "give each fact once")
                continue
            ref = m.FieldRef(fact.name, True, fv.name.span)
            if fact.type.kind is m.FactKind.ENUM and isinstance(fv.value, ast.Name) and \
                    fv.value.value not in fact.type.values:
                self.bad_member(fact, fv.value)
                continue
            const = self.constant(ref, "=", fv.value)
            if const is not None:
                facts[fact.name] = const
        if len(self.diags) != before or start is None:
            return None
        return Deployment(
            id=ident, party=d.party.value, workload=d.workload.value, provider=d.provider.value,
            start=start, region=d.region.value if d.region else None, end=end,
            capacity=capacity, value=value, facts=facts,
            source=SourceLocation(d.span.file, d.span.line, d.span.column),
        )


@dataclass(slots=True)
class _Version:
    node: ast.Clause
    start: dt.date | None
    through: dt.date | None
    amendment: str | None
    ended_by: tuple[str, str] | None = None


def _overlap(a: _Version, b: _Version) -> bool:
    if a.start is None or b.start is None:
        return True
    a_end = a.through or dt.date.max
    b_end = b.through or dt.date.max
    return a.start <= b_end and b.start <= a_end


def _window_text(v: _Version) -> str:
    if v.through is None:
        return f"from {v.start}"
    return f"from {v.start} through {v.through}"


def _find_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in on_path:
            return path[path.index(node):]
        on_path.add(node)
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt)
            if found:
                return found
        on_path.discard(node)
        path.pop()
        return None

    return visit(start)


#: The order in which `kind_of` looks a name up (a name declared twice as
#: different kinds is reported as the first found).
#: The kind of names each group declaration groups.
_GROUP_KINDS: dict[type[ast.GroupDecl], str] = {
    ast.ProviderGroupDecl: "provider", ast.WorkloadGroupDecl: "workload",
    ast.RegionGroupDecl: "region"}

_KIND_ORDER = tuple(KINDS[k] for k in ("provider", "region", "workload", "party", "fact"))


def _describe_dimension(dimension: str) -> str:
    return {"money": "money", "power": "power", "count": "a count", "": "a plain number"}.get(
        dimension, f"a number of `{dimension}`")


def _units_of(vocab: m.Vocabulary, dimensions: tuple[str, ...]) -> str:
    units = [f"`{u}`" for u, (d, _) in vocab.units.units.items() if d in dimensions]
    return ", ".join(units) if units else "plain numbers, without a unit"


def _q_text(q: ast.QuantityLit) -> str:
    return f"{q.number} {q.unit.value}" if q.unit else q.number


def resolve(doc: ast.Document, file: str, source: str = "",
            broken: frozenset[str] = frozenset()) -> Resolution:
    """Resolve a parsed document into the terms model.

    Args:
        doc: the AST from `dsl.parse`.
        file: the file name used in diagnostics.
        source: the file's text (kept on the model for reports and hashing).
        broken: names whose declarations had syntax errors: no "unknown name"
            diagnostics are reported for them.

    Returns:
        A `Resolution` with the terms (None if they cannot be built) and the
        diagnostics, not yet sorted.
    """
    resolver = _Resolver(doc, file, broken)
    with paused_gc():
        terms = resolver.resolve()
    if terms is not None:
        terms.source = source
        terms.sha256 = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return Resolution(terms, resolver.diags, resolver.used)


def iter_scope_names(scope: m.Scope) -> Iterator[frozenset[str]]:
    """Every name set a scope mentions (for analyses that look for overlaps)."""
    for names in (scope.parties, scope.workloads, scope.providers, scope.regions):
        if names is not None:
            yield names
