"""`provider group G = A, B`: a name for several providers, wherever a provider list goes."""

from __future__ import annotations

from pathlib import Path

import pytest

import dealcheck
from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.format import format_source
from dealcheck.dsl.parse import parse
from dealcheck.scenario.read import load_scenario

HEADER = """\
agreement "Clouds" effective 2025-01-01
party OpenAI, Microsoft
provider Azure operated by Microsoft
provider AWS operated by Microsoft
provider GCP operated by Microsoft
provider OCI operated by Microsoft
provider group hyperscalers = AWS, GCP, Azure
provider group rivals = AWS, GCP
workload api, training
"""

TERMS = HEADER + """\
clause api_exclusive:
  OpenAI runs api only on hyperscalers
clause no_rivals:
  OpenAI must not run training on rivals
clause rival_api:
  OpenAI must not run api when provider in rivals and provider != GCP
"""


def _errors(source: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticsError) as caught:
        dealcheck.loads(source, "t.deal")
    return caught.value.diagnostics


def _shown(d: Diagnostic) -> tuple[str, int, int, str, str | None]:
    return d.code, d.span.line, d.span.column, d.message, d.help


def test_a_provider_group_parses_to_its_own_declaration() -> None:
    doc = parse(HEADER, "t.deal")
    groups = [i for i in doc.items if isinstance(i, ast.ProviderGroupDecl)]
    assert [(g.name.value, [n.value for n in g.members]) for g in groups] == [
        ("hyperscalers", ["AWS", "GCP", "Azure"]), ("rivals", ["AWS", "GCP"])]
    assert (groups[0].name.span.line, groups[0].name.span.column) == (7, 16)


def test_a_provider_group_resolves_to_its_members_in_scopes_and_exclusivities() -> None:
    terms = dealcheck.loads(TERMS, "t.deal")
    assert terms.vocabulary.provider_groups == {
        "hyperscalers": frozenset({"AWS", "GCP", "Azure"}), "rivals": frozenset({"AWS", "GCP"})}
    assert "hyperscalers" not in terms.vocabulary.providers


@pytest.mark.parametrize(("workload", "provider", "verdict"), [
    ("api", "Azure", "compliant"),       # a member of `hyperscalers`
    ("api", "OCI", "violation"),         # not a member: `only on hyperscalers`
    ("training", "AWS", "violation"),    # `on rivals`
    ("training", "OCI", "compliant"),
    ("api", "AWS", "violation"),         # `provider in rivals and provider != GCP`
    ("api", "GCP", "compliant"),
])
def test_a_provider_group_is_evaluated_as_its_members(workload: str, provider: str,
                                                      verdict: str) -> None:
    terms = dealcheck.loads(TERMS, "t.deal")
    report = terms.check([{"id": "d", "party": "OpenAI", "workload": workload,
                           "provider": provider, "start": "2025-03-01"}])
    assert str(report.verdict_of("d")) == verdict


def test_a_provider_group_may_name_a_group_declared_below() -> None:
    terms = dealcheck.loads(HEADER + "provider group all = hyperscalers, more\n"
                            "provider group more = OCI\n", "t.deal")
    assert terms.vocabulary.provider_groups["all"] == frozenset({"AWS", "GCP", "Azure", "OCI"})


def test_an_undeclared_member_is_unknown_with_a_suggestion() -> None:
    [d] = _errors(HEADER + "provider group clouds = AWS, Azur\n")
    assert _shown(d) == ("DC101", 10, 30, "unknown provider `Azur`", "did you mean `Azure`?")


def test_a_group_that_contains_itself_is_an_error() -> None:
    [d] = _errors(HEADER + "provider group loop = OCI, loop\n")
    assert _shown(d)[:4] == ("DC112", 10, 16, "provider group `loop` contains itself")


def test_a_group_named_like_a_provider_is_an_error() -> None:
    [d] = _errors(HEADER + "provider group OCI = AWS\n")
    assert _shown(d) == ("DC102", 10, 16, "`OCI` is already a provider",
                         "give the group a name of its own")


def test_a_group_where_one_provider_belongs_is_an_error() -> None:
    [d] = _errors(HEADER + "clause c:\n  OpenAI must not run api when provider = rivals\n")
    assert _shown(d) == ("DC108", 11, 43, "`rivals` is a group: `provider` is one provider",
                         "write `provider in rivals`")


def test_a_group_as_an_example_deployment_provider_is_the_wrong_kind() -> None:
    [d] = _errors(TERMS + 'example "x":\n  deployment d: OpenAI runs api on rivals '
                  "starting 2025-02-01\n  expect violation\n")
    assert _shown(d) == ("DC117", 17, 36, "`rivals` is a provider group, not a provider",
                         "use a provider here")


def test_a_group_as_a_scenario_provider_is_an_error(tmp_path: Path) -> None:
    terms = dealcheck.loads(TERMS, "t.deal")
    path = tmp_path / "s.yaml"
    path.write_text("deployments:\n  - {id: a, party: OpenAI, workload: api, "
                    "provider: rivals, start: 2025-01-01}\n", encoding="utf-8")
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, terms.vocabulary)
    [d] = caught.value.diagnostics
    assert _shown(d) == ("DC303", 2, 53, "`rivals` is a provider group, not a provider",
                         "a deployment names one provider: one of `AWS`, `GCP`")


def test_a_provider_group_formats_and_round_trips() -> None:
    messy = TERMS.replace("provider group rivals = AWS, GCP", "provider  group rivals=AWS ,GCP")
    formatted = format_source(messy, "t.deal")
    assert "\nprovider group rivals = AWS, GCP\n" in formatted
    assert format_source(formatted, "t.deal") == formatted
    assert dealcheck.loads(formatted, "t.deal").vocabulary.provider_groups == \
        dealcheck.loads(TERMS, "t.deal").vocabulary.provider_groups
