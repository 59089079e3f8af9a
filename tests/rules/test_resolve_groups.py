"""The groups pass: groups of providers, workloads and regions, in any order."""

from __future__ import annotations

import pytest
from located import HEADER, errors, located

import dealcheck
from dealcheck.dsl import ast
from dealcheck.rules.kinds import GROUPED_KINDS, NameKind
from dealcheck.rules.resolve.groups import group_kind


@pytest.mark.parametrize("kind", GROUPED_KINDS, ids=lambda k: k.name)
def test_every_kind_with_groups_resolves_its_groups(kind: NameKind) -> None:
    member = {"provider": "Azure", "workload": "api", "region": "EU"}[kind.name]
    terms = dealcheck.loads(HEADER + f"{kind.name} group all = inner\n"
                            f"{kind.name} group inner = {member}\n", "t.deal")
    assert kind.groups_in(terms.vocabulary) == {
        "inner": frozenset({member}), "all": frozenset({member})}


def test_each_group_declaration_names_its_kind_in_the_table() -> None:
    source = HEADER + ("provider group p = Azure\nworkload group w = api\n"
                       "region group r = EU\n")
    decls = [i for i in dealcheck.parse(source, "t.deal").items if isinstance(i, ast.GroupDecl)]
    assert [group_kind(d) for d in decls] == [k.name for k in GROUPED_KINDS]


def test_a_group_named_like_a_name_of_its_kind() -> None:
    assert located(HEADER + "region group EU = US\n") == [
        ("DC102", 6, 14, "`EU` is already a region")]


def test_a_group_declared_twice_points_at_the_first() -> None:
    [found] = errors(HEADER + "workload group ai = api\nworkload group ai = training\n")
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC102", 7, 16, "workload group `ai` is declared twice")
    assert [(r.span.line, r.span.column, r.message) for r in found.related] == [
        (6, 16, "first declared here")]


def test_groups_that_contain_each_other() -> None:
    source = HEADER + "region group a = b\nregion group b = a, US\n"
    assert located(source) == [("DC112", 6, 14, "region group `a` contains itself")]


def test_an_unknown_member_suggests_names_and_groups_of_its_kind() -> None:
    [found] = errors(HEADER + "region group west = US, eastt\nregion group east = EU\n")
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC101", 6, 25, "unknown region `eastt`")
    assert found.help == "did you mean `east`?"


def test_a_member_of_another_kind() -> None:
    source = HEADER + "fact consent: bool\nprovider group clouds = Azure, consent\n"
    assert located(source) == [("DC117", 7, 32, "`consent` is a fact, not a provider")]
