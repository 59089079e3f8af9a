"""Ids that look the same are the same: NFC, and no invisible format characters.

`aws-api` and `aws\\u200b-api`, or `café` typed two ways, print identically;
they must not pass as two deployments.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from scenario_helpers import write

import dealcheck
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.read import load_scenario, open_scenarios
from dealcheck.scenario.validate import parse_deployments

NFC = "caf\u00e9"
NFD = "cafe\u0301"
ZERO_WIDTH = "aws\u200b-api"
FIELDS = {"party": "OpenAI", "workload": "api", "provider": "AWS", "start": "2025-01-01"}


def rows(*ids: str) -> list[dict[str, str]]:
    return [{"id": ident, **FIELDS} for ident in ids]


def as_format(name: str, *ids: str) -> str:
    if name.endswith(".csv"):
        return "id,party,workload,provider,start\n" + "".join(
            f"{ident},OpenAI,api,AWS,2025-01-01\n" for ident in ids)
    if name.endswith(".jsonl"):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(*ids))
    if name.endswith(".json"):
        return json.dumps({"deployments": rows(*ids)}, ensure_ascii=False)
    return "deployments:\n" + "".join(
        f"  - {{id: \"{ident}\", party: OpenAI, workload: api, provider: AWS, "
        "start: 2025-01-01}\n" for ident in ids)


FORMATS = ("s.csv", "s.jsonl", "s.json", "s.yaml")


def problems(path: Path, vocabulary: Vocabulary) -> list[tuple[str, int, str]]:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    return sorted((d.code, d.span.line, d.message) for d in caught.value.diagnostics)


def line_of(name: str, row: int) -> int:
    """The line of the `row`-th deployment (from 1) in `as_format`'s text."""
    return 1 if name == "s.json" else row + (0 if name == "s.jsonl" else 1)


@pytest.mark.parametrize("name", FORMATS)
def test_nfc_and_nfd_spellings_are_one_id(tmp_path: Path, vocabulary: Vocabulary,
                                          name: str) -> None:
    path = write(tmp_path, name, as_format(name, NFC, NFD))
    assert problems(path, vocabulary) == [
        ("DC304", line_of(name, 2), f"duplicate deployment id `{NFC}`")]


@pytest.mark.parametrize("name", FORMATS)
def test_an_nfd_id_is_kept_in_nfc(tmp_path: Path, vocabulary: Vocabulary, name: str) -> None:
    path = write(tmp_path, name, as_format(name, NFD))
    (deployment,) = load_scenario(path, vocabulary).deployments
    assert deployment.id == NFC


@pytest.mark.parametrize("name", FORMATS)
def test_a_zero_width_space_is_refused_and_seen_as_a_duplicate(
        tmp_path: Path, vocabulary: Vocabulary, name: str) -> None:
    path = write(tmp_path, name, as_format(name, "aws-api", ZERO_WIDTH))
    line = line_of(name, 2)
    assert problems(path, vocabulary) == [
        ("DC304", line, "duplicate deployment id `aws-api`"),
        ("DC311", line, "`id` contains an invisible format character `\\u200b`"),
    ]


def test_the_arabic_letter_mark_is_a_bidirectional_control(
        tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(tmp_path, "s.jsonl", as_format("s.jsonl", "aws\u061c-api"))
    assert problems(path, vocabulary) == [
        ("DC311", 1, "`id` contains a bidirectional text control `\\u061c`")]


@pytest.mark.parametrize("invisible", ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u200d"])
def test_every_invisible_format_character_is_refused(
        vocabulary: Vocabulary, invisible: str) -> None:
    assert unicodedata.category(invisible) == "Cf"
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        parse_deployments(rows(f"a{invisible}b"), vocabulary)
    assert [d.code for d in caught.value.diagnostics] == ["DC311"]


def test_the_library_normalises_and_compares_ids_alike(vocabulary: Vocabulary) -> None:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        parse_deployments(rows(NFC, NFD, "aws-api", ZERO_WIDTH), vocabulary)
    assert sorted((d.code, d.span.file, d.message) for d in caught.value.diagnostics) == [
        ("DC304", "deployments[1]", f"duplicate deployment id `{NFC}`"),
        ("DC304", "deployments[3]", "duplicate deployment id `aws-api`"),
        ("DC311", "deployments[3]", "`id` contains an invisible format character `\\u200b`"),
    ]
    objects = [dealcheck.Deployment(NFD, "OpenAI", "api", "AWS", dt.date(2025, 1, 1))]
    assert [d.id for d in parse_deployments(objects, vocabulary)] == [NFC]


def test_duplicates_across_streamed_files_are_shown_with_their_lines(
        tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(tmp_path, "s.csv", as_format("s.csv", "aws-api", ZERO_WIDTH, NFC, NFD))
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        open_scenarios([path], vocabulary)
    excerpt = caught.value.sources[str(path)].splitlines()
    # Every line a diagnostic or its note points at is there to show.
    assert [excerpt[n - 1].split(",")[0] for n in (2, 3, 4, 5)] == [
        "aws-api", ZERO_WIDTH, NFC, NFD]
