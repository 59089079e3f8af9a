"""The examples pass: example deployments and the verdicts expected of them."""

from __future__ import annotations

import datetime as dt

from located import HEADER, errors, located

import dealcheck

TERMS = HEADER + ("fact consent: bool\nfact tier: one of gold, silver\n"
                  "clause c:\n  Acme runs api only on Azure\n"
                  "clause cap:\n  total value of deployments by Acme is at most 5 USD\n")
#: The line of an example's first item.
FIRST = TERMS.count("\n") + 2


def example(*items: str, head: str = 'example "x":') -> str:
    return TERMS + head + "\n" + "".join(f"  {i}\n" for i in items)


def test_an_example_resolves_its_deployments_and_expectations() -> None:
    terms = dealcheck.loads(example(
        "deployment d: Acme runs api on Azure in EU starting 2025-02-01 ending 2025-03-01 "
        "value 3 USD with consent = true, tier = gold",
        "expect d is violation of c missing consent", "expect cap is open",
        head='example "x" as of 2025-02-15:'), "t.deal")
    [found] = terms.examples
    assert found.as_of == dt.date(2025, 2, 15)
    [d] = found.deployments
    assert (d.deployment.id, d.deployment.region, d.deployment.facts) == (
        "d", "EU", {"consent": True, "tier": "gold"})
    assert [(x.subject, x.verdict, x.clauses, x.missing) for x in found.expectations] == [
        ("d", "violation", ("c",), ("consent",)), ("cap", "open", (), ())]


def test_an_example_with_no_deployment_and_no_expectation() -> None:
    [deployment] = errors(example("expect compliant"))
    assert (deployment.code, deployment.message) == ("DC116", "example `x` has no deployment")
    assert deployment.help == (
        "add a line such as `deployment d: Acme runs api on Azure starting 2025-01-01`")
    source = example("deployment: Acme runs api on Azure starting 2025-02-01")
    assert located(source) == [("DC116", FIRST - 1, 1, "example `x` expects nothing")]


def test_deployment_names_dates_and_quantities() -> None:
    source = example(
        "deployment d: Acme runs apii on Azure in Mars starting 2025-02-01 ending 2025-01-01 "
        "capacity 5 USD",
        "expect compliant")
    assert located(source) == [
        ("DC101", FIRST, 27, "unknown workload `apii`"),
        ("DC101", FIRST, 44, "unknown region `Mars`"),
        ("DC105", FIRST, 76, "the deployment ends before it starts"),
        ("DC106", FIRST, 98, "`capacity` is power or a count, but `5 USD` is money")]


def test_deployment_facts() -> None:
    source = example(
        "deployment d: Acme runs api on Azure starting 2025-02-01 "
        "with consent = true, consent = false, tier = bronze, nope = true, tier = 5",
        "expect compliant")
    assert located(source) == [
        ("DC116", FIRST, 81, "fact `consent` is given twice"),
        ("DC108", FIRST, 105, "`bronze` is not a value of `tier`"),
        ("DC101", FIRST, 113, "unknown fact `nope`"),
        ("DC108", FIRST, 133, "`tier` is one of: gold, silver")]


def test_deployment_ids() -> None:
    source = example("deployment d: Acme runs api on Azure starting 2025-02-01",
                     "deployment d: Acme runs api on Azure starting 2025-02-01",
                     "expect d is compliant")
    assert located(source) == [
        ("DC116", FIRST + 1, 14, "deployment `d` appears twice in this example")]


def test_expectations_name_a_subject_a_verdict_clauses_and_facts() -> None:
    source = example("deployment a: Acme runs api on Azure starting 2025-02-01",
                     "deployment b: Acme runs api on Azure starting 2025-02-01",
                     "expect compliant",
                     "expect capp is compliant",
                     "expect cap is not_covered",
                     "expect a is open",
                     "expect a is violation of c, cx missing consnt")
    found = errors(source)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("DC116", FIRST + 2, 3, "say which deployment this expectation is about"),
        ("DC116", FIRST + 3, 10, "`capp` is neither a deployment of this example nor an "
         "aggregate clause"),
        ("DC116", FIRST + 4, 3, "`not_covered` is not a verdict of an aggregate"),
        ("DC116", FIRST + 5, 3, "`open` is not a verdict of a deployment"),
        ("DC101", FIRST + 6, 31, "unknown clause `cx`"),
        ("DC101", FIRST + 6, 42, "unknown fact `consnt`")]
    assert [d.help for d in found][:2] == ["write `expect a is compliant`", "did you mean `cap`?"]
