"""The terms and the report as the library's callers hold them (the facade's own types).

`rules.model.Terms` is data: what a terms file says, and nothing that
evaluates it. `Terms` here extends it with what a caller does with it —
compile it once, check a batch of deployments, decide one — and `Report`
extends the checker's report with its JSON text, so that the arrows point
down: the checker reads the rules and the renderers read the checker's
results, never the other way.

Validation of what callers pass (dicts or `Deployment` objects) goes through
`scenario.validate.parse_deployment` and `parse_deployments` alone (as
`validate_deployment` and `validate_deployments` call them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dealcheck.checker import results
from dealcheck.rules import model as m
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    from dealcheck.analysis.findings import Analysis
    from dealcheck.checker.agreements import Judges
    from dealcheck.checker.compile import CompiledTerms
    from dealcheck.checker.results import DeploymentResult
    from dealcheck.scenario.generated import DeploymentRow
    from dealcheck.scenario.rowpass import Judge

#: What a caller may pass as a deployment: a `Deployment`, or its fields as a scenario entry.
DeploymentInput = Deployment | Mapping[str, object]


# The stages are imported on first use: `import dealcheck` (and so the
# start-up of every command) does not pay for the parser, the resolver, the
# scenario readers or the evaluator until they are needed. A single decision
# reaches them through the cached loaders below, not an import statement per
# call (which would cost about as much as judging the deployment).


@functools.cache
def _read_one() -> Callable[[Mapping[str, object], Vocabulary], Deployment]:
    from dealcheck.scenario.read import parse_deployment

    return parse_deployment


@functools.cache
def _read_many() -> Callable[..., list[Deployment]]:
    from dealcheck.scenario.read import parse_deployments

    return parse_deployments


@functools.cache
def _read_to_judge() -> Callable[[Iterable[DeploymentInput], Vocabulary, Judge | None],
                                   Sequence[Deployment] | Sequence[DeploymentRow]]:
    from dealcheck.scenario.validate import deployments_to_judge

    return deployments_to_judge


@functools.cache
def _judge_one() -> Callable[[CompiledTerms, Deployment, dt.date | None], DeploymentResult]:
    from dealcheck.checker.codegen import decide

    return decide


def validate_deployment(vocabulary: Vocabulary, deployment: DeploymentInput) -> Deployment:
    """One deployment checked against the names the terms declare (`Terms.decide`).

    A mapping is read like a scenario entry (diagnostics located at
    ``<input>:1:1``); a `Deployment` is checked too, since an undeclared name
    must never silently match nothing.

    Raises:
        DiagnosticsError: with every problem found.
    """
    if isinstance(deployment, Deployment):
        return _read_many()((deployment,), vocabulary)[0]
    return _read_one()(deployment, vocabulary)


def validate_deployments(vocabulary: Vocabulary, deployments: Iterable[DeploymentInput], *,
                         returned: bool = True) -> list[Deployment]:
    """Every deployment of a batch checked against the vocabulary (`Terms.check`).

    Diagnostics name each item as ``deployments[i]``, duplicate ids included.
    The objects of the last valid batch are remembered, and not checked again
    when they come back; `returned=False` says that the deployments made from
    mappings stay with the caller (`Terms.check`), not worth remembering.

    Raises:
        DiagnosticsError: with every problem in every item.
    """
    return _read_many()(deployments, vocabulary, returned=returned)


def deployments_to_judge(vocabulary: Vocabulary,
                         deployments: Iterable[DeploymentInput], judge: Judge | None = None,
                         ) -> Sequence[Deployment] | Sequence[DeploymentRow]:
    """A batch checked against the vocabulary as `Terms.check` judges it (and never returns it).

    Dicts all valid as they are are checked row by row and judged as they
    are (a `DictBatch`, read as the `DeploymentRow`s it describes; with
    `judge`, each judged as it is read); anything else is validated as
    `validate_deployments` does.

    Raises:
        DiagnosticsError: with every problem in every item.
    """
    return _read_to_judge()(deployments, vocabulary, judge)


@dataclass(slots=True, eq=False)
class Report(results.Report):
    """The outcome of one check (`Terms.check`, `dealcheck.check_files`), with its JSON text."""

    @classmethod
    def of(cls, report: results.Report) -> Report:
        """The checker's report as the library returns it (its results are shared, not copied)."""
        if isinstance(report, cls):
            return report
        return cls(**{f.name: getattr(report, f.name) for f in dataclasses.fields(results.Report)})

    def to_json(self) -> str:
        """The JSON report, as ``dealcheck check --format json`` writes it."""
        from dealcheck.report.json import render_json

        return render_json(self)


@dataclass(slots=True)
class Terms(m.Terms):
    """A resolved terms file, ready to check deployments against (what `dealcheck.load` returns).

    The data (vocabulary, clauses, amendments, examples) is `rules.model.Terms`;
    this adds the compiled form, made once on first use, and the two ways to
    judge: `check` a batch into a report, `decide` one deployment.
    """

    _compiled: CompiledTerms | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, data: m.Terms) -> Terms:
        """The terms `data` holds, ready to judge (the clauses are shared, not copied)."""
        if isinstance(data, cls):
            return data
        return cls(**{f.name: getattr(data, f.name) for f in dataclasses.fields(m.Terms)})

    def compiled(self) -> CompiledTerms:
        """The terms compiled for evaluation (compiled once, on first use)."""
        if self._compiled is None:
            from dealcheck.checker.compile import compile_terms

            self._compiled = compile_terms(self)
        return self._compiled

    def check(self, deployments: Iterable[DeploymentInput],
              as_of: dt.date | str | None = None, *,
              facts: Mapping[str, object] | None = None) -> Report:
        """Check deployments (objects or scenario-style dicts) against these terms.

        `as_of` is a date or ``YYYY-MM-DD`` text, read as ``--as-of`` reads it.
        `facts` are facts of the whole check, as ``--fact`` gives them: every
        deployment that does not give its own value holds them (values as in a
        scenario's `facts`); the report records them.
        Raises `dealcheck.DiagnosticsError` when a deployment, a fact or `as_of`
        is invalid; nothing is evaluated until every deployment is valid.
        """
        from dealcheck._speed import paused_gc
        from dealcheck.checker.batch import DictJudge
        from dealcheck.checker.check import check
        from dealcheck.rules.resolve import parse_as_of

        when = parse_as_of(as_of)
        compiled = self.compiled()
        world = None
        if facts:
            from dealcheck.scenario.model import with_scenario_facts, written_facts
            from dealcheck.scenario.world import check_facts

            world = check_facts(facts, self.vocabulary)
        # One pause for both stages: the collector, back on between them, would
        # scan every deployment just built (none forms a cycle).
        with paused_gc():
            valid = ([with_scenario_facts(d, world)
                      for d in validate_deployments(self.vocabulary, deployments)]
                     if world else deployments_to_judge(
                         self.vocabulary, deployments,
                         None if compiled.reference else DictJudge(compiled, when)))
            report = Report.of(check(compiled, valid, when))
        if world:
            report.facts = written_facts(world)
        return report

    def analyze(self) -> Analysis:
        """Dead, vacuous, shadowed, conflicting and redundant clauses (`dealcheck analyze`).

        Raises:
            DiagnosticsError: (DC960) when a clause compares two fields or facts.
        """
        from dealcheck.analysis.findings import analyze_terms

        return analyze_terms(self)

    def decide(self, deployment: DeploymentInput,
               as_of: dt.date | str | None = None) -> DeploymentResult:
        """Judge one deployment (an object or a scenario-style dict): its verdict and findings.

        What `check` gives for that deployment alone, without the report:
        caps and commitments, which sum over a whole plan, are not judged.
        `as_of` is read as in `check`.

        Raises:
            DiagnosticsError: when the deployment or `as_of` is invalid.
        """
        if as_of is None:
            when = None
        else:
            from dealcheck.rules.resolve import parse_as_of

            when = parse_as_of(as_of)
        ct = self._compiled or self.compiled()
        d = validate_deployment(self.vocabulary, deployment)
        if ct.states:  # clause states: those of the aggregates over `d` alone
            from dealcheck.checker.states import in_context

            d = in_context(ct, d, lambda: (d,), when)
        return _judge_one()(ct, d, when)


@dataclass(slots=True, eq=False)
class Agreements:
    """Several agreements checked together (what `dealcheck.load_all` returns).

    Each deployment is judged against every agreement, each with its own
    clauses; a deployment may use any name one of them declares. The report's
    findings and aggregates name their agreement by its title, and
    `Report.agreements` lists the agreements (`Report.terms` is the first).
    """

    terms: tuple[Terms, ...]
    _judges: Judges | None = field(default=None, repr=False)

    def judges(self) -> Judges:
        """The agreements compiled to judge together (made once, on first use).

        Raises:
            DiagnosticsError: when their vocabularies cannot be merged (DC950, DC951).
        """
        if self._judges is None:
            from dealcheck.checker.agreements import judges_of

            self._judges = judges_of(self.terms, [t.compiled() for t in self.terms])
        return self._judges

    @property
    def vocabulary(self) -> Vocabulary:
        """Every name one of the agreements declares: what their deployments may use."""
        return self.judges().vocabulary

    def check(self, deployments: Iterable[DeploymentInput],
              as_of: dt.date | str | None = None, *,
              facts: Mapping[str, object] | None = None) -> Report:
        """Check deployments against every agreement, as `Terms.check` does against one.

        `facts` are facts of the whole check, as in `Terms.check`: any fact
        one of the agreements declares.

        Raises:
            DiagnosticsError: when a deployment, a fact or `as_of` is invalid.
        """
        from dealcheck._speed import paused_gc
        from dealcheck.checker.agreements import check_agreements
        from dealcheck.rules.resolve import parse_as_of
        from dealcheck.scenario.model import with_scenario_facts, written_facts
        from dealcheck.scenario.world import check_facts

        when = parse_as_of(as_of)
        judges = self.judges()
        world = check_facts(facts, judges.vocabulary)
        with paused_gc():
            report = Report.of(check_agreements(
                judges, [with_scenario_facts(d, world) for d in
                         validate_deployments(judges.vocabulary, deployments)], when))
        if world:
            report.facts = written_facts(world)
        return report
