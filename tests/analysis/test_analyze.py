"""`dealcheck analyze` (DESIGN §6b): a planted instance of each kind, and no false positive.

Every finding is a claim about all deployments ("no deployment it scopes can
break it"); over generated terms with small vocabularies each claim is
checked on every deployment of a grid (every name, every landmark date and
value, and the days and amounts beside them), and each witness must show
what its finding says.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

import dealcheck
from dealcheck.analysis.findings import Finding
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment
from dealcheck.testing import terms_sources
from helpers import run_dealcheck
from hypothesis_profiles import examples

PLANTED = '''agreement "Planted" effective 2025-01-01
party Acme
provider Cloud operated by Acme
provider Other operated by Acme
provider Third operated by Acme
workload api, batch
fact consent: bool

clause cloud_only:
  Acme runs api only on Cloud

clause other_only:
  Acme runs api only on Other

clause batch_anywhere:
  Acme runs batch only on Cloud, Other, Third

clause nobody:
  Acme must not run batch when provider = Cloud and provider = Other

clause lift notwithstanding cloud_only:
  Acme may run api on Cloud when consent

clause batch_cloud:
  Acme runs batch only on Cloud when consent

clause batch_cloud_strict:
  Acme runs batch only on Cloud, Other when consent

amendment first effective 2025-03-01:
  clause old_rule:
    Acme must not run api on Third

amendment second effective 2025-03-01:
  revoke old_rule
'''

_DAY = dt.timedelta(days=1)


def _plans(terms: dealcheck.Terms, d: Deployment) -> dict[int, tuple[bool, bool]]:
    """Per clause position in force on `d`'s start: (scopes it, breaks it); permissions
    (applies, False)."""
    epoch = terms.compiled().epoch(d.start)
    if epoch is None:
        return {}
    at = {id(c): i for i, c in enumerate(terms.clauses)}
    out: dict[int, tuple[bool, bool]] = {}
    for plan in epoch.restrictions_for(d.party, d.workload):
        scoped = plan.full_match(d) is True
        out[at[id(plan.clause)]] = (scoped, scoped and plan.breach(d) is True)
    for plan in epoch.permissions_for(d.party, d.workload):
        out[at[id(plan.clause)]] = (plan.full_match(d) is True, False)
    return out


def test_each_kind_planted() -> None:
    terms = dealcheck.loads(PLANTED, "planted.deal")
    found = {(f.kind, f.clauses) for f in terms.analyze().findings}
    assert found == {
        ("conflict", ("cloud_only", "other_only")),
        ("vacuous", ("batch_anywhere",)),
        ("dead", ("nobody",)),
        ("dead", ("old_rule",)),
        ("shadowed", ("lift", "cloud_only")),
        ("redundant", ("batch_cloud_strict", "batch_cloud")),
    }
    for f in terms.analyze().findings:
        assert f.location.file == "planted.deal" and f.location.line > 1
        assert_witness(terms, f)


def test_cli_json_and_lint_warnings(tmp_path: Path) -> None:
    path = tmp_path / "planted.deal"
    path.write_text(PLANTED, "utf-8")
    run = run_dealcheck("analyze", path, "--format", "json", cwd=tmp_path)
    assert run.returncode == 1
    assert '"kind": "conflict"' in run.stdout and '"witness": {' in run.stdout
    _, diagnostics = dealcheck.analyze(PLANTED, "planted.deal", warnings=True)
    codes = {d.code for d in diagnostics}
    assert {"DC230", "DC231", "DC232", "DC233", "DC234"} <= codes


def test_shipped_examples_have_no_findings() -> None:
    root = Path(__file__).resolve().parents[2] / "examples"
    for path in sorted(root.glob("*/terms*.deal")):
        assert dealcheck.load(path).analyze().findings == (), path


# ---------------------------------------------------------------- no false positive


def assert_witness(terms: dealcheck.Terms, f: Finding) -> None:
    if f.witness is None:
        assert f.kind == "dead" or f.kind == "vacuous"
        return
    status = _plans(terms, f.witness)
    ids = {i: c.id for i, c in enumerate(terms.clauses)}
    mine = {ids[i]: s for i, s in status.items()}
    first = mine[f.clauses[0]]
    if f.kind == "vacuous":
        assert first == (True, False)
    elif f.kind == "conflict":
        assert first[0] and mine[f.clauses[1]][0]
    elif f.kind == "redundant":
        assert first == (True, True) and mine[f.clauses[1]] == (True, True)
    elif f.kind == "shadowed":
        assert first[0] and any(mine.get(t, (False, False))[0] for t in f.clauses[1:])


def _dates(values: list[object]) -> list[dt.date]:
    out = {v + d for v in values if isinstance(v, dt.date) for d in (-_DAY, dt.timedelta(), _DAY)
           if dt.date.min + _DAY < v < dt.date.max - _DAY}
    return sorted(out)


def grid(terms: dealcheck.Terms) -> list[Deployment]:
    """Every name, and every date and amount the terms mention with the ones beside it."""
    from dealcheck.analysis.space import clause_constants

    vocab = terms.vocabulary
    marks: dict[str, list[object]] = {}
    for c in terms.clauses:
        for name, constants in clause_constants(c).items():
            marks.setdefault(name, []).extend(constants)
    starts = _dates([*(c.in_force_from for c in terms.clauses),
                     *(c.in_force_through for c in terms.clauses if c.in_force_through),
                     *marks.get("start", [])])
    facts: list[list[tuple[str, object]]] = []
    for name, fact in vocab.facts.items():
        kind = fact.type.kind
        if kind is m.FactKind.BOOL:
            values: list[object] = [True, False]
        elif kind is m.FactKind.ENUM:
            values = [*fact.type.values]
        elif kind is m.FactKind.DATE:
            values = [*_dates(marks.get(name, []))][:5] or [dt.date(2025, 1, 1)]  # type: ignore[assignment]
        else:
            amounts = {q.amount + d for q in marks.get(name, []) if isinstance(q, Quantity)
                       for d in (Decimal(-1), Decimal(0), Decimal(1)) if q.amount + d >= 0}
            values = [Quantity(a, fact.type.dimension) for a in sorted(amounts)[:5]] or [
                Quantity(Decimal(1), fact.type.dimension)]
        facts.append([(name, v) for v in values])
    for name, states in terms.states().items():   # a clause state is read like a fact
        facts.append([(name, v) for v in states])
    out: list[Deployment] = []
    regions: list[str | None] = [*vocab.regions] or [None]
    names = itertools.product(vocab.parties, vocab.workloads, vocab.providers, regions, starts)
    for n, (first, chosen) in enumerate(itertools.product(names, itertools.product(*facts))):
        party, workload, provider, region, start = first
        out.append(Deployment(f"g{n}", party, workload, provider, start, region,
                              facts=dict(chosen)))  # type: ignore[arg-type]
    return out


def _plain(terms: dealcheck.Terms) -> bool:
    """Terms whose clauses read only names, start and facts: the grid covers them."""
    reads = {"end", "capacity", "value"}
    for c in terms.clauses:
        found = clause_constants_names(c)
        if found & reads:
            return False
    return not any(True for _ in m.relations_of(terms))


def clause_constants_names(c: m.Clause) -> set[str]:
    from dealcheck.checker.complete import clause_reads

    return set(clause_reads(c))


def assert_no_false_positive(terms: dealcheck.Terms, most: int) -> None:
    findings = terms.analyze().findings
    if not findings:
        return
    points = grid(terms)
    if len(points) > most:
        assume(False)    # too many points to judge (only a property's examples reach this)
    table = [(_plans(terms, d)) for d in points]
    position = {c.id: [i for i, x in enumerate(terms.clauses) if x.id == c.id]
                for c in terms.clauses}
    for f in findings:
        assert_witness(terms, f)
        # A finding is located at the version it is about (a conflict: at the later one).
        mine = [i for i, c in enumerate(terms.clauses) if c.span == f.location]
        if f.kind == "conflict":
            assert_conflict(terms, f, mine, table)
            continue
        for status in table:
            own = [status[i] for i in mine if i in status]
            if f.kind == "dead" and "never" not in f.message:
                assert not any(s[0] for s in own), f.message
            elif f.kind == "vacuous" and terms.clauses[mine[0]].kind.is_restriction:
                assert not any(s[1] for s in own), f.message
            elif f.kind == "redundant" and any(s[1] for s in own):
                other = [status[i] for i in position[f.clauses[1]] if i in status]
                assert any(s[1] for s in other), f.message


def assert_conflict(terms: dealcheck.Terms, f: Finding, later: list[int],
                    table: list[dict[int, tuple[bool, bool]]]) -> None:
    """Some earlier version of the first clause and the later version the finding is
    located at are never both kept where both scope a deployment (other versions of
    either, in force on other days, may well agree)."""
    earlier = [i for i, c in enumerate(terms.clauses)
               if c.id == f.clauses[0] and i < max(later)]

    def clash(a: int, b: int) -> bool:
        return all(s[a][1] or s[b][1] for s in table
                   if a in s and b in s and s[a][0] and s[b][0])

    assert any(clash(a, b) for a in earlier for b in later), f.message


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                       HealthCheck.filter_too_much])


def _case(text: str, most: int) -> None:
    terms = dealcheck.loads(text, "<generated>.deal")
    assume(_plain(terms))
    assert_no_false_positive(terms, most)


@settings(max_examples=6, **_SETTINGS)  # type: ignore[arg-type]
@given(terms_sources(max_clauses=3, max_amendments=1, overlapping=True))
def test_generated_terms_no_false_positive(text: str) -> None:
    _case(text, 600)


@pytest.mark.slow
@settings(max_examples=examples(200), **_SETTINGS)  # type: ignore[arg-type]
@given(terms_sources(max_clauses=5, max_amendments=2, overlapping=True))
def test_generated_terms_no_false_positive_long(text: str) -> None:
    _case(text, 6000)


def test_a_conflict_with_a_replaced_clause_is_about_the_replacement() -> None:
    """`c2` conflicts with the replacement of `c1` (from 2025-01-02), not with the `c1`
    it replaced, with which it agrees on 2025-01-01: the check reads those two versions."""
    text = ('agreement "R" effective 2025-01-01\nparty Acme\nprovider Sky operated by Acme\n'
            "provider Vault operated by Acme\nworkload api\nclause c1:\n"
            "  Acme runs any workload only on Sky\namendment a1 effective 2025-01-01:\n"
            "  clause c2:\n    Acme runs any workload only on Sky\n"
            "amendment a2 effective 2025-01-02:\n  replace clause c1:\n"
            "    Acme runs any workload only on Vault\n")
    terms = dealcheck.loads(text, "replaced.deal")
    [conflict] = terms.analyze().of_kind("conflict")
    assert conflict.clauses == ("c2", "c1") and "(from 2025-01-02)" in conflict.message
    assert_no_false_positive(terms, 600)


_MONTHS = ('agreement "R" effective 2025-01-01\nparty A\nprovider P operated by A\n'
           "provider Q operated by A\nworkload w\nfact signed: date\nfact due: date\n"
           "clause c:\n  A runs w only on P when {condition}\n")


@pytest.mark.parametrize(("condition", "facts", "start"), [
    # Only a `signed` late in January or in February leaves a day between the two.
    ("start > signed + 1 month and start < signed + 31 days",
     {"signed": dt.date(2025, 2, 1)}, dt.date(2025, 3, 2)),
    # One month after January 30 and after January 31 is the same day.
    ("signed + 1 month = due + 1 month and signed != due",
     {"signed": dt.date(2025, 1, 30), "due": dt.date(2025, 1, 31)}, dt.date(2025, 3, 2)),
])
def test_a_relation_over_calendar_months_is_not_dead(
        condition: str, facts: dict[str, object], start: dt.date) -> None:
    """The search for a cell's deployment also tries the ends of months: these
    conditions hold on few days, none of them beside the terms' own dates."""
    terms = dealcheck.loads(_MONTHS.format(condition=condition), "months.deal")
    d = Deployment("d", "A", "w", "Q", start, facts=facts)  # type: ignore[arg-type]
    assert str(terms.check([d]).verdict_of("d")) == "violation"
    assert [f.kind for f in terms.analyze().findings] == []
    revoked = dealcheck.loads(_MONTHS.format(condition=condition) + (
        "amendment a effective 2026-01-01:\n  revoke c\n"), "months.deal")
    diff = dealcheck.diff(revoked, revoked, old_as_of="2025-06-01", new_as_of="2026-06-01")
    change = diff.change_of(d)
    assert change is not None and (change.old_verdict, change.new_verdict) == (
        "violation", "compliant")


STATES = """agreement "States" effective 2025-01-01
party Acme
provider Cloud operated by Acme
provider Other operated by Acme
workload api
clause minimums:
  total capacity of deployments by Acme reaches 10 GPU by 2025-12-31
clause cloud_only:
  Acme runs api only on Cloud when minimums is compliant
"""


def test_a_clause_that_reads_a_state_is_judged_for_every_state() -> None:
    """`cloud_only` scopes deployments while `minimums` is compliant: not dead."""
    terms = dealcheck.loads(STATES, "states.deal")
    assert terms is not None
    assert [f.kind for f in terms.analyze().findings] == []
    assert_no_false_positive(terms, 50)


def test_diff_refuses_terms_that_read_a_state(tmp_path: Path) -> None:
    path = tmp_path / "states.deal"
    path.write_text(STATES, "utf-8")
    run = run_dealcheck("diff", path, path, cwd=tmp_path)
    assert run.returncode == 2, run.stdout
    assert f"{path}:9:36: error[DC235]" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
