"""Resolution pass 5: executable examples — deployments and the verdicts expected of them.

An example's deployments name declared parties, workloads, providers,
regions and facts; each expectation is about one of its deployments or an
aggregate clause, with a verdict that fits it (DC101, DC105, DC116, …).
"""

from __future__ import annotations

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.kinds import DEPLOYMENT_KINDS
from dealcheck.rules.resolve.context import KEYWORD_FIELDS, MEASURES, Context
from dealcheck.rules.resolve.expressions import bad_member, constant, quantity
from dealcheck.rules.resolve.undeclared import unknown
from dealcheck.scenario.model import Deployment, FactValue, SourceLocation

DEPLOYMENT_VERDICTS = ("compliant", "violation", "undetermined", "not_covered")
AGGREGATE_VERDICTS = ("compliant", "violation", "open", "undetermined")


def examples(ctx: Context) -> None:
    """Resolve every example; one with an error is reported and left out."""
    aggregates = frozenset(c.id for c in ctx.clauses if c.kind.is_aggregate)
    all_clauses = frozenset(c.id for c in ctx.clauses)
    for item in ctx.doc.items:
        if isinstance(item, ast.Example):
            found = _Example(ctx, item, aggregates, all_clauses).resolve()
            if found is not None:
                ctx.examples.append(found)


class _Example:
    """One example; `ok` turns False at its first error."""

    def __init__(self, ctx: Context, node: ast.Example, aggregates: frozenset[str],
                 all_clauses: frozenset[str]) -> None:
        self.ctx = ctx
        self.node = node
        self.aggregates = aggregates
        self.all_clauses = all_clauses
        self.lits = [i for i in node.items if isinstance(i, ast.DeploymentLit)]
        self.ids: set[str] = set()
        self.ok = True

    def fail(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.ctx.err(code, message, span, help)
        self.ok = False

    def resolve(self) -> m.Example | None:
        e = self.node
        as_of = self.ctx.date(e.as_of)
        deployments = self.deployments()
        expectations = [self.expectation(x) for x in e.items if isinstance(x, ast.Expectation)]
        if not expectations:
            self.fail("DC116", f"example `{e.title}` expects nothing", e.span,
                      "add a line such as `expect compliant`")
        if not self.ok:
            return None
        return m.Example(e.title, as_of, tuple(deployments), tuple(expectations), e.span)

    # ------------------------------------------------------------ deployments
    def deployments(self) -> list[m.ExampleDeployment]:
        found: list[m.ExampleDeployment] = []
        single = len(self.lits) == 1
        for index, d in enumerate(self.lits, 1):
            ident = d.id.value if d.id else ("example" if single else f"deployment{index}")
            if ident in self.ids:
                self.fail("DC116", f"deployment `{ident}` appears twice in this example",
                          d.id.span if d.id else d.span, "give each deployment its own id")
            self.ids.add(ident)
            dep = example_deployment(self.ctx, ident, d)
            if dep is None:
                self.ok = False
            else:
                found.append(m.ExampleDeployment(dep, d.span))
        if not self.lits:
            self.fail("DC116", f"example `{self.node.title}` has no deployment", self.node.span,
                      f"add a line such as `{example_deployment_line(self.ctx)}`")
        return found

    # ------------------------------------------------------------ expectations
    def expectation(self, x: ast.Expectation) -> m.Expectation:
        subject = self.subject(x)
        self.verdict(x, subject)
        for cl in x.clauses:
            if cl.value not in self.all_clauses and cl.value not in self.ctx.broken:
                close = did_you_mean(cl.value, self.all_clauses)
                self.fail("DC101", f"unknown clause `{cl.value}`", cl.span,
                          f"did you mean `{close}`?" if close else None)
        # A clause whose state a condition may read is missing when it is undetermined.
        states = {c.id for c in self.ctx.clauses if c.kind.is_aggregate}
        for f in x.missing:
            if (f.value not in self.ctx.vocab.facts and f.value not in KEYWORD_FIELDS
                    and f.value not in states):
                unknown(self.ctx, "fact", f, self.ctx.vocab.facts)
                self.ok = False
        return m.Expectation(subject, x.verdict, tuple(c.value for c in x.clauses),
                             tuple(f.value for f in x.missing), x.span)

    def subject(self, x: ast.Expectation) -> str | None:
        """What the expectation is about: a deployment, an aggregate, or the one deployment."""
        if x.subject is None:
            if len(self.lits) > 1:
                first = self.lits[0].id
                self.fail("DC116", "say which deployment this expectation is about", x.span,
                          f"write `expect {first.value if first else 'deployment1'} "
                          f"is {x.verdict}`")
            return None
        subject = x.subject.value
        if subject not in self.ids and subject not in self.aggregates:
            close = did_you_mean(subject, [*self.ids, *self.aggregates])
            self.fail("DC116", f"`{subject}` is neither a deployment of this example nor "
                      "an aggregate clause", x.subject.span,
                      f"did you mean `{close}`?" if close else None)
        return subject

    def verdict(self, x: ast.Expectation, subject: str | None) -> None:
        is_aggregate = subject in self.aggregates and subject not in self.ids
        allowed = AGGREGATE_VERDICTS if is_aggregate else DEPLOYMENT_VERDICTS
        if x.verdict not in allowed:
            self.fail("DC116", f"`{x.verdict}` is not a verdict of "
                      f"{'an aggregate' if is_aggregate else 'a deployment'}", x.span,
                      "use one of: " + ", ".join(f"`{a}`" for a in allowed))


def example_deployment_line(ctx: Context) -> str:
    """A deployment line of an example, in the names these terms declare."""
    v = ctx.vocab
    names = [next(iter(table), placeholder) for table, placeholder in
             ((v.parties, "PARTY"), (v.workloads, "WORKLOAD"), (v.providers, "PROVIDER"))]
    when = ctx.doc.agreement.effective.text
    return f"deployment d: {names[0]} runs {names[1]} on {names[2]} starting {when}"


def example_deployment(ctx: Context, ident: str, d: ast.DeploymentLit) -> Deployment | None:
    """The deployment an example writes; None after any error in it."""
    before = len(ctx.diags)
    for kind in DEPLOYMENT_KINDS:
        name: ast.Name | None = getattr(d, kind.name)  # the field named after its kind
        declared = kind.names_in(ctx.vocab)
        if name is not None and name.value not in declared:
            unknown(ctx, kind.name, name, declared)
    start = ctx.date(d.start)
    end = ctx.date(d.end)
    if start and end and end < start:
        ctx.err("DC105", "the deployment ends before it starts", d.end.span,  # type: ignore[union-attr]
                f"use a date on or after {start.isoformat()}")
    units = ctx.vocab.units
    capacity = quantity(ctx, d.capacity, units.of_kinds(MEASURES["capacity"]), "`capacity`") \
        if d.capacity else None
    value = quantity(ctx, d.value, units.of_kinds(MEASURES["value"]), "`value`") \
        if d.value else None
    facts = fact_values(ctx, d)
    if len(ctx.diags) != before or start is None:
        return None
    return Deployment(
        id=ident, party=d.party.value, workload=d.workload.value, provider=d.provider.value,
        start=start, region=d.region.value if d.region else None, end=end,
        capacity=capacity, value=value, facts=facts,
        source=SourceLocation(d.span.file, d.span.line, d.span.column),
    )


def fact_values(ctx: Context, d: ast.DeploymentLit) -> dict[str, FactValue]:
    """The facts an example deployment gives, each declared, once, of its type."""
    facts: dict[str, FactValue] = {}
    for fv in d.facts:
        fact = ctx.vocab.facts.get(fv.name.value)
        if fact is None:
            unknown(ctx, "fact", fv.name, ctx.vocab.facts)
            continue
        if fv.name.value in facts:
            ctx.err("DC116", f"fact `{fv.name.value}` is given twice", fv.name.span,
                    "give each fact once")
            continue
        ref = m.FieldRef(fact.name, True, fv.name.span)
        if fact.type.kind is m.FactKind.ENUM and isinstance(fv.value, ast.Name) and \
                fv.value.value not in fact.type.values:
            bad_member(ctx, fact, fv.value)
            continue
        if isinstance(fv.value, ast.Shifted):
            from dealcheck.rules.resolve.relations import written_date
            const: m.Constant | None = written_date(ctx, fact, fv.value)
        else:
            const = constant(ctx, ref, "=", fv.value)
        if const is not None:
            facts[fact.name] = const
    return facts
