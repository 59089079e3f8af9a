"""The evaluation plan: SQL conditions are the reference's Kleene logic; one plan, two dialects."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot

import dealcheck
from dealcheck.checker.codegen import key_shape
from dealcheck.checker.logic import compile_condition
from dealcheck.engines.plan import EvaluationPlan, decimal_fits, fact_column
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment

ROOT = Path(__file__).resolve().parents[2]
MSFT = ROOT / "examples" / "microsoft-openai" / "terms.deal"


def _conditions(terms: m.Terms) -> list[m.Condition]:
    found: list[m.Condition] = []
    for clause in terms.clauses:
        if clause.scope.condition is not None:
            found.append(clause.scope.condition)
        if isinstance(clause.rule, m.Requirement):
            found.append(clause.rule.condition)
    return found


def _plan(terms: m.Terms, as_of: dt.date | None = None) -> EvaluationPlan:
    vocabulary = terms.vocabulary
    pairs = list(itertools.product(vocabulary.parties, vocabulary.workloads))
    return EvaluationPlan(terms.compiled(), {n: f.type for n, f in vocabulary.facts.items()},
                          as_of, pairs)


def test_conditions_in_sql_agree_with_the_reference_on_every_fact_value() -> None:
    terms = dealcheck.load(MSFT)
    facts = terms.vocabulary.facts
    plan = _plan(terms)
    choices: dict[str, list[object]] = {}
    for name, fact in facts.items():
        values: list[object] = ([True, False] if fact.type.kind is m.FactKind.BOOL
                                else list(fact.type.values))
        choices[name] = [None, *values]
    names = sorted(facts)
    deployments: list[Deployment] = []
    for number, combo in enumerate(itertools.islice(
            itertools.product(*(choices[n] for n in names)), 0, None, 7)):
        given = {n: v for n, v in zip(names, combo, strict=True) if v is not None}
        deployments.append(Deployment(id=f"d{number}", party="OpenAI", workload="api",
                                      provider=("Azure", "AWS")[number % 2],
                                      start=dt.date(2025, 1, 1), region="US",
                                      facts=given))  # type: ignore[arg-type]
    con = duckdb.connect()
    columns = ", ".join(f'"{fact_column(n)}" {_sql_type(facts[n].type)}' for n in names)
    con.execute(f"CREATE TABLE rows (rn INT, provider VARCHAR, {columns})")
    for number, d in enumerate(deployments):
        con.execute("INSERT INTO rows VALUES (" + ", ".join(["?"] * (len(names) + 2)) + ")",
                    [number, d.provider, *(d.facts.get(n) for n in names)])
    conditions = _conditions(terms)
    assert conditions
    for cond in conditions:
        sql = plan.condition(cond).sql(dialect="duckdb")
        got = [row[0] for row in con.execute(f"SELECT {sql} FROM rows ORDER BY rn").fetchall()]
        expected = [compile_condition(cond, plan.operators)(d) for d in deployments]
        assert got == expected, sql


def _sql_type(fact: m.FactType) -> str:
    return "BOOLEAN" if fact.kind is m.FactKind.BOOL else "VARCHAR"


@pytest.mark.parametrize("op", list(m.CmpOp))
def test_quantity_and_date_comparisons_are_three_valued(op: m.CmpOp) -> None:
    terms = dealcheck.load(MSFT)
    plan = _plan(terms)
    span = terms.clauses[0].span
    ref = m.FieldRef("capacity", False, span)
    limit = Quantity(Decimal(100_000_000), "power", "100 MW")
    compare = m.Compare(ref, op, limit, span)
    rows = [(Decimal(50_000_000), "power"), (Decimal(100_000_000), "power"),
            (Decimal("2e8"), "power"), (Decimal(5), "count"), (None, None)]
    con = duckdb.connect()
    con.execute("CREATE TABLE rows (rn INT, capacity_amount DECIMAL(38, 9), "
                "capacity_dim VARCHAR, start DATE)")
    for number, (amount, dim) in enumerate(rows):
        con.execute("INSERT INTO rows VALUES (?, ?, ?, ?)",
                    [number, amount, dim, dt.date(2025, 1, number + 1)])
    sql = plan.condition(compare).sql(dialect="duckdb")
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM rows ORDER BY rn").fetchall()]
    test = compile_condition(compare, plan.operators)
    expected = [test(Deployment(id="x", party="OpenAI", workload="api", provider="AWS",
                                start=dt.date(2025, 1, 1),
                                capacity=None if a is None else Quantity(a, str(d))))
                for a, d in rows]
    assert got == expected
    on = m.Compare(m.FieldRef("start", False, span), op, dt.date(2025, 1, 3), span)
    sql = plan.condition(on).sql(dialect="duckdb")
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM rows ORDER BY rn").fetchall()]
    assert got == [compile_condition(on, plan.operators)(
        Deployment(id="x", party="OpenAI", workload="api", provider="AWS",
                   start=dt.date(2025, 1, n + 1))) for n in range(len(rows))]


def test_the_key_holds_the_atoms_of_every_key_shape_and_only_those() -> None:
    terms = dealcheck.load(MSFT)
    plan = _plan(terms)
    ct = terms.compiled()
    expected: set[object] = set()
    for start in ct.starts:
        epoch = ct.epoch(start)
        assert epoch is not None
        for party, workload in plan.pairs:
            expected.update(key_shape(epoch, party, workload).atoms)
    assert set(plan.atoms) == expected
    assert plan.atoms


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_one_plan_renders_in_each_dialect(dialect: str) -> None:
    terms = dealcheck.load(MSFT)
    sql = _plan(terms, dt.date(2025, 10, 28)).select("rows", dialect, carry=("id",))
    parsed = sqlglot.parse_one(sql, read=dialect)
    names = [e.alias_or_name for e in parsed.expressions]
    assert names[:3] == ["rn", "id", "day"]
    assert "k_epoch" in names and any(n.startswith("k_atom") for n in names)


@pytest.mark.parametrize(("amount", "fits"), [
    ("99999999999999999999999999999.999999999", True), ("1.5E+21", True), ("1E+28", True),
    ("1E+29", False), ("-1E+29", False), ("1E-9", True), ("1E-10", False), ("0.5E-9", False),
])
def test_an_amount_fits_the_decimal_columns_to_their_last_digit(amount: str, fits: bool) -> None:
    # Within the 28 digits of the default context, `abs` rounded 10**29 - 1 up to 10**29
    # and `quantize` raised for 1.5E+21 (a quantity of `1.5T GW`).
    assert decimal_fits(Decimal(amount)) is fits
