"""Property tests of the formatter over random ASTs: print, parse back, print again.

The documents are built from the AST classes directly (not from text), so
they cover combinations a hand-written corpus misses: every optional part
present or absent, nested conditions with explicit groups, odd strings.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hypothesis_profiles
from dealcheck.dsl import ast
from dealcheck.dsl.escape import BIDI_CONTROLS, UNFIT_CATEGORIES
from dealcheck.dsl.format import format_document, format_source
from dealcheck.dsl.parse import parse
from helpers import grammar_keywords

#: Identifiers that are no keyword of the language (checked below against the grammar).
NAMES = ("a", "b2", "OpenAI", "Azure", "api_x", "_p", "US", "x_1", "Zz", "grp")
UNITS = ("MW", "USD", "GPU", "W", "B", "k")
#: A measure follows `total`, where even a keyword is read as a name.
MEASURES = ("value", "capacity", "spend")
VERDICTS = ("compliant", "violation", "undetermined", "not_covered", "open")
OPERATORS = ("<=", ">=", "!=", "=", "<", ">")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUMBER = re.compile(r"[0-9][0-9_]*(\.[0-9]+)?[kMBT]?")


def keywords() -> set[str]:
    """Every word the grammar spells out, plus the verdicts."""
    return grammar_keywords() | set(VERDICTS)


def test_the_name_pools_hold_no_keyword() -> None:
    assert not (set(NAMES) | set(UNITS)) & keywords()


# ---------------------------------------------------------------- strategies

names = st.sampled_from(NAMES).map(ast.Name)
name_lists = st.lists(names, min_size=1, max_size=3).map(tuple)
optional_names = st.lists(names, max_size=2).map(tuple)
dates = st.from_regex(DATE, fullmatch=True).map(ast.DateLit)
optional_dates = st.none() | dates
texts = st.text(st.characters(exclude_characters="".join(BIDI_CONTROLS),
                              exclude_categories=UNFIT_CATEGORIES), max_size=12)
quantities = st.builds(
    ast.QuantityLit,
    st.from_regex(NUMBER, fullmatch=True),
    st.none() | st.sampled_from(UNITS).map(ast.Name),
)
values: st.SearchStrategy[ast.Value] = st.one_of(
    names, dates, quantities, st.booleans().map(ast.BoolLit)
)

atoms: st.SearchStrategy[ast.Cond] = st.one_of(
    st.builds(ast.Compare, names, st.sampled_from(OPERATORS), values),
    st.builds(ast.Member, names, name_lists, st.booleans()),
    st.builds(ast.Truthy, names),
)


def operands(depth: int) -> st.SearchStrategy[ast.Cond]:
    """What `not` and `and` take: an atom, a negation or a parenthesised condition."""
    if depth == 0:
        return atoms
    return st.one_of(atoms, conditions(depth - 1).map(ast.Group), operands(depth - 1).map(ast.Not))


def conjunctions(depth: int) -> st.SearchStrategy[ast.Cond]:
    return st.lists(operands(depth - 1), min_size=2, max_size=3).map(
        lambda items: ast.And(tuple(items))
    )


def conditions(depth: int) -> st.SearchStrategy[ast.Cond]:
    """Conditions nested up to `depth`, shaped as the parser builds them.

    `Or` holds conjunctions or operands, `And` holds operands; precedence is
    never broken without an explicit `Group`.
    """
    if depth == 0:
        return operands(0)
    disjuncts = (
        operands(depth - 1)
        if depth == 1
        else st.one_of(operands(depth - 1), conjunctions(depth - 1))
    )
    disjunctions = st.lists(disjuncts, min_size=2, max_size=3).map(
        lambda items: ast.Or(tuple(items))
    )
    return st.one_of(operands(depth), conjunctions(depth), disjunctions)


CONDITIONS = conditions(3)
selections = st.one_of(st.just(ast.Selection(None)), name_lists.map(ast.Selection))
providers = st.one_of(
    st.none(),
    st.just(ast.Selection(None)),
    st.builds(ast.Selection, name_lists, st.booleans()),
)
patterns = st.builds(
    ast.Pattern, selections, selections, providers, providers, st.none() | CONDITIONS
)
restriction_kinds: st.SearchStrategy[ast.RestrictionKind] = st.one_of(
    st.builds(ast.OnlyOn, name_lists),
    st.builds(ast.OnlyIn, name_lists),
    st.builds(ast.OnlyIf, CONDITIONS),
)


@st.composite
def aggregates(draw: st.DrawFn) -> ast.Aggregate:
    scope = st.one_of(st.just(ast.Selection(None)), name_lists.map(ast.Selection))
    pattern = ast.Pattern(
        draw(scope), draw(scope), draw(providers), draw(providers), draw(st.none() | CONDITIONS)
    )
    window_from, window_through = draw(optional_dates), draw(optional_dates)
    is_cap = draw(st.booleans())
    counted = draw(st.booleans())
    # `number of deployments` is written with the word `number`, whatever the measure.
    measure = "number" if counted else draw(st.sampled_from(MEASURES + NAMES))
    share = draw(st.none() | shares_of(scope))
    if share is not None:
        # A share's limit is a percentage; it has no deadline and no strict form.
        percent = ast.QuantityLit(draw(st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?",
                                                     fullmatch=True)), None)
        return ast.Aggregate(ast.Name(measure), pattern, window_from, window_through, is_cap,
                             percent, None, counted, False, share)
    return ast.Aggregate(
        ast.Name(measure),
        pattern,
        window_from,
        window_through,
        is_cap,
        draw(quantities),
        None if is_cap else draw(optional_dates),
        counted,
        draw(st.booleans()),
        None,
        draw(st.sampled_from((None, "calendar year", "quarter", "contract year"))),
    )


@st.composite
def shares_of(draw: st.DrawFn, scope: st.SearchStrategy[ast.Selection]) -> ast.ShareOf:
    """The whole of a share: a total without a window or a `when`."""
    counted = draw(st.booleans())
    measure = "number" if counted else draw(st.sampled_from(MEASURES + NAMES))
    return ast.ShareOf(ast.Name(measure), counted,
                       ast.Pattern(draw(scope), draw(scope), draw(providers), draw(providers)))


rules: st.SearchStrategy[ast.Rule] = st.one_of(
    st.builds(ast.Restriction, patterns, restriction_kinds),
    st.builds(ast.Prohibition, patterns),
    st.builds(ast.Permission, patterns),
    aggregates(),
)
clauses = st.builds(
    ast.Clause,
    names,
    st.none() | texts,
    optional_dates,
    optional_dates,
    optional_names,
    st.lists(texts, max_size=2).map(tuple),
    rules,
)
fact_types: st.SearchStrategy[ast.FactTypeNode] = st.one_of(
    st.just(ast.BoolType()),
    st.builds(ast.EnumType, name_lists),
    st.builds(ast.NumberType, st.none() | st.sampled_from(UNITS).map(ast.Name)),
    st.just(ast.DateType()),
)
declarations: st.SearchStrategy[ast.Item] = st.one_of(
    st.builds(ast.PartyDecl, name_lists),
    st.builds(ast.ProviderDecl, names, names),
    st.builds(ast.WorkloadDecl, name_lists),
    st.builds(ast.WorkloadGroupDecl, names, name_lists),
    st.builds(ast.RegionDecl, name_lists),
    st.builds(ast.RegionGroupDecl, names, name_lists),
    st.builds(ast.FactDecl, names, fact_types),
    st.builds(ast.UnitDecl, names, st.none() | st.sampled_from(("money", "count")).map(ast.Name)),
)
amendment_items: st.SearchStrategy[ast.AmendmentItem] = st.one_of(
    st.builds(ast.Revoke, name_lists), clauses, st.builds(ast.Replace, clauses)
)
amendments = st.builds(
    ast.Amendment,
    names,
    st.none() | texts,
    dates,
    st.lists(amendment_items, min_size=1, max_size=3).map(tuple),
)
fact_values = st.builds(ast.FactValueLit, names, values)
deployments = st.builds(
    ast.DeploymentLit,
    st.none() | names,
    names,
    names,
    names,
    st.none() | names,
    dates,
    optional_dates,
    st.none() | quantities,
    st.none() | quantities,
    st.lists(fact_values, max_size=2).map(tuple),
)
expectations = st.builds(
    ast.Expectation, st.none() | names, st.sampled_from(VERDICTS), optional_names, optional_names
)
examples = st.builds(
    ast.Example,
    texts,
    optional_dates,
    st.lists(st.one_of(deployments, expectations), min_size=1, max_size=3).map(tuple),
)
documents = st.builds(
    ast.Document,
    st.builds(ast.Agreement, texts, dates),
    st.lists(st.one_of(declarations, clauses, amendments, examples), max_size=6).map(tuple),
)


# ---------------------------------------------------------------- properties


@pytest.mark.slow
@settings(max_examples=hypothesis_profiles.examples(200), deadline=None)
@given(documents)
def test_printing_a_document_parses_back_to_it(doc: ast.Document) -> None:
    text = format_document(doc)
    assert parse(text) == doc


@pytest.mark.slow
@settings(max_examples=hypothesis_profiles.examples(200), deadline=None)
@given(documents)
def test_printed_documents_are_already_canonical(doc: ast.Document) -> None:
    text = format_document(doc)
    assert format_source(text) == text


@settings(max_examples=hypothesis_profiles.examples(200), deadline=None)
@given(CONDITIONS)
def test_conditions_keep_their_shape(cond: ast.Cond) -> None:
    rule = ast.Restriction(
        ast.Pattern(ast.Selection((ast.Name("a"),)), ast.Selection(None)), ast.OnlyIf(cond)
    )
    doc = ast.Document(
        ast.Agreement("t", ast.DateLit("2025-01-01")),
        (ast.Clause(ast.Name("c"), None, None, None, (), (), rule),),
    )
    assert parse(format_document(doc)) == doc
