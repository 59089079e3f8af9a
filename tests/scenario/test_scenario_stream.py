"""Streaming CSV and JSON Lines: lazy, bounded memory, validate first, then iterate."""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import os
import queue
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from dealcheck.dsl.diagnostics import DiagnosticsError, render_text
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.read import iter_deployments, load_scenario, open_scenarios, validate_file

ROWS = 50_000


def _row(number: int) -> dict[str, object]:
    return {
        "id": f"d{number}",
        "party": "OpenAI",
        "workload": "training",
        "provider": "Azure",
        "region": "US",
        "capacity": "300 MW",
        "value": "1.5B USD",
        "start": "2025-03-10",
        "facts": {"rofr_declined": number % 2 == 0, "customer": "commercial"},
    }


@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "inventory.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(ROWS):
            out.write(json.dumps(_row(number)) + "\n")
    return path


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "inventory.csv"
    fields = ["id", "party", "workload", "provider", "region", "capacity", "value", "start"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*fields, "facts.rofr_declined", "facts.customer"])
        for number in range(ROWS):
            row = _row(number)
            facts = row["facts"]
            assert isinstance(facts, dict)
            writer.writerow(
                [*(row[f] for f in fields), str(facts["rofr_declined"]).lower(), facts["customer"]]
            )
    return path


def _peak_memory(deployments: Iterator[Deployment], keep: bool) -> tuple[int, int]:
    """Consume `deployments` (keeping them in a list if `keep`); count and peak bytes."""
    tracemalloc.start()
    try:
        count = len(list(deployments)) if keep else sum(1 for _ in deployments)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fixture", ["big_jsonl", "big_csv"])
def test_iter_deployments_is_a_lazy_generator(
    fixture: str, request: pytest.FixtureRequest, vocabulary: Vocabulary
) -> None:
    path: Path = request.getfixturevalue(fixture)
    deployments = iter_deployments(path, vocabulary)
    is_generator = inspect.isgenerator(deployments)  # (kept out of `assert`: no narrowing)
    assert is_generator
    first = next(deployments)
    assert (first.id, first.facts["rofr_declined"]) == ("d0", True)
    assert first.source is not None and first.source.line == (1 if fixture == "big_jsonl" else 2)
    second = next(deployments)
    assert (second.id, second.facts["rofr_declined"]) == ("d1", False)
    deployments.close()  # closes the file


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_each_row_is_yielded_before_the_next_is_written(
    tmp_path: Path, vocabulary: Vocabulary, suffix: str
) -> None:
    # Through a pipe, a reader that materialised the rows would wait for the end
    # of the input; a streaming one yields each row as soon as it is written.
    pipe = tmp_path / f"live{suffix}"
    os.mkfifo(pipe)
    ids: queue.Queue[str | None] = queue.Queue()

    def consume() -> None:
        for deployment in iter_deployments(pipe, vocabulary):
            ids.put(deployment.id)
        ids.put(None)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    with pipe.open("w", encoding="utf-8") as writer:
        if suffix == ".csv":
            writer.write("id,party,workload,provider,start\n")
        for number in range(3):
            row = _row(number)
            if suffix == ".csv":
                writer.write(f"d{number},OpenAI,training,Azure,2025-03-10\n")
            else:
                writer.write(json.dumps(row) + "\n")
            writer.flush()
            assert ids.get(timeout=10) == f"d{number}"
    assert ids.get(timeout=10) is None
    thread.join(timeout=10)


@pytest.mark.slow
def test_streaming_memory_stays_bounded(tmp_path: Path, vocabulary: Vocabulary) -> None:
    # 10k rows rather than 50k: tracemalloc slows allocation-heavy code ~10x.
    path = tmp_path / "inventory.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(10_000):
            out.write(json.dumps(_row(number)) + "\n")
    streamed, stream_peak = _peak_memory(iter_deployments(path, vocabulary), keep=False)
    kept, list_peak = _peak_memory(iter_deployments(path, vocabulary), keep=True)
    assert streamed == kept == 10_000
    # Only the set of seen ids grows; holding the deployments costs several times more.
    assert stream_peak * 4 < list_peak


@pytest.mark.slow
def test_iter_raises_at_the_first_invalid_row_after_yielding_the_rows_before(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = tmp_path / "late.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(ROWS - 1):
            out.write(json.dumps(_row(number)) + "\n")
        out.write(json.dumps({**_row(ROWS), "provider": "Azur"}) + "\n")
    yielded = 0
    with pytest.raises(DiagnosticsError) as caught:
        for _ in iter_deployments(path, vocabulary):
            yielded += 1
    assert yielded == ROWS - 1
    (found,) = caught.value.diagnostics
    last_line = path.read_text(encoding="utf-8").splitlines()[-1]
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC303",
        ROWS,
        last_line.index('"Azur"') + 1,
        "undeclared provider `Azur`",
    )
    # The sources hold only the lines the diagnostics point at, enough for carets.
    rendered = render_text(caught.value.diagnostics, caught.value.sources)
    assert f"{ROWS} | " in rendered and "^^^^^^" in rendered


def test_validate_file_collects_every_error_in_one_pass(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,party,workload,provider,start\n"
        "a,OpenAl,api,AWS,2025-01-01\n"
        "b,OpenAI,api,AWS,2025-01-01\n"
        "c,OpenAI,api,AWS,2025-02-30\n"
        "a,OpenAI,api,AWS,2025-01-01\n",
        encoding="utf-8",
    )
    found = validate_file(path, vocabulary)
    assert [(d.code, d.span.line, d.span.column) for d in found] == [
        ("DC303", 2, 3),
        ("DC306", 4, 18),
        ("DC304", 5, 1),
    ]
    assert validate_file(path, vocabulary, max_errors=2) == found[:2]
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    assert caught.value.diagnostics == found


def test_validate_file_reports_a_missing_file(tmp_path: Path, vocabulary: Vocabulary) -> None:
    (found,) = validate_file(tmp_path / "gone.jsonl", vocabulary)
    assert (found.code, found.message) == (
        "DC310",
        f"cannot read `{tmp_path / 'gone.jsonl'}`: no such file or directory",
    )


def test_iter_deployments_reads_yaml_whole(vocabulary: Vocabulary) -> None:
    from scenario_helpers import FIXTURES

    ids = [d.id for d in iter_deployments(FIXTURES / "plan.yaml", vocabulary)]
    assert ids == ["azure-training", "aws-api", "2025"]


def test_open_scenarios_validates_all_files_then_reads_them(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    from scenario_helpers import FIXTURES

    inventory = tmp_path / "more.jsonl"
    inventory.write_text(
        "\n".join(json.dumps({**_row(n), "id": f"extra-{n}"}) for n in range(3)) + "\n",
        encoding="utf-8",
    )
    inputs = open_scenarios([FIXTURES / "plan.yaml", inventory], vocabulary)
    assert [(s.path, s.name, s.count) for s in inputs.sources] == [
        (str(FIXTURES / "plan.yaml"), "OpenAI compute plan 2025", 3),
        (str(inventory), None, 3),
    ]
    assert inputs.sources[1].sha256 == hashlib.sha256(inventory.read_bytes()).hexdigest()
    assert inputs.count == 6
    ids = ["azure-training", "aws-api", "2025", "extra-0", "extra-1", "extra-2"]
    assert [d.id for d in inputs.deployments()] == ids
    assert [d.id for d in inputs.deployments()] == ids  # readable again


def test_open_scenarios_reports_every_file_and_ids_shared_across_files(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    from scenario_helpers import FIXTURES

    clash = tmp_path / "clash.csv"
    clash.write_text(
        "id,party,workload,provider,start\naws-api,OpenAI,api,AWS,2025-01-01\n"
        "x,OpenAI,api,AWZ,2025-01-01\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("deployments: [\n", encoding="utf-8")
    with pytest.raises(DiagnosticsError) as caught:
        open_scenarios([FIXTURES / "plan.yaml", clash, broken], vocabulary)
    found = [(d.code, d.span.file, d.span.line) for d in caught.value.diagnostics]
    assert sorted(found) == sorted(
        [
            ("DC304", str(clash), 2),
            ("DC303", str(clash), 3),
            ("DC310", str(broken), 2),
        ]
    )
    duplicate = next(d for d in caught.value.diagnostics if d.code == "DC304")
    assert (duplicate.related[0].span.file, duplicate.related[0].span.line) == (
        str(FIXTURES / "plan.yaml"),
        14,
    )
    assert set(caught.value.sources) == {str(clash), str(broken), str(FIXTURES / "plan.yaml")}


# -- ids: 8 bytes each while streaming, duplicates found at the end ------------------------


def _write_rows(path: Path, numbers: list[int]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for number in numbers:
            out.write(json.dumps(_row(number)) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_streaming_finds_every_duplicate_id_with_its_first_use(
    tmp_path: Path, vocabulary: Vocabulary, suffix: str
) -> None:
    numbers = [*range(1000), 3, 500, 3]  # d3 three times, d500 twice
    if suffix == ".jsonl":
        path = _write_rows(tmp_path / "dup.jsonl", numbers)
    else:
        path = tmp_path / "dup.csv"
        path.write_text(
            "id,party,workload,provider,start\n"
            + "".join(f"d{n},OpenAI,api,AWS,2025-01-01\n" for n in numbers),
            encoding="utf-8",
        )
    header = suffix == ".csv"
    found = validate_file(path, vocabulary)
    assert [(d.code, d.span.line, d.message, [r.span.line for r in d.related]) for d in found] == [
        ("DC304", 1001 + header, "duplicate deployment id `d3`", [4 + header]),
        ("DC304", 1002 + header, "duplicate deployment id `d500`", [501 + header]),
        ("DC304", 1003 + header, "duplicate deployment id `d3`", [4 + header]),
    ]
    # Exactly what reading the file whole (one exact table of ids) reports.
    with pytest.raises(DiagnosticsError) as whole:
        load_scenario(path, vocabulary)
    assert whole.value.diagnostics == found
    # The id's own column (the JSON string, quotes included), for the duplicate
    # and for its first use.
    line = path.read_text(encoding="utf-8").splitlines()[1000 + header]
    assert found[0].span.column == line.index('"d3"' if suffix == ".jsonl" else "d3") + 1
    assert found[0].related[0].span.column == found[0].span.column


def test_iter_deployments_raises_for_a_duplicate_id_once_every_row_is_yielded(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = _write_rows(tmp_path / "dup.jsonl", [0, 1, 2, 1])
    yielded = []
    with pytest.raises(DiagnosticsError) as caught:
        for deployment in iter_deployments(path, vocabulary):
            yielded.append(deployment.id)
    assert yielded == ["d0", "d1", "d2", "d1"]
    (found,) = caught.value.diagnostics
    assert (found.code, found.span.line, found.related[0].span.line) == ("DC304", 4, 2)
    assert "duplicate deployment id `d1`" in render_text([found], caught.value.sources)


def test_ids_that_only_share_a_hash_are_not_duplicates(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    from dealcheck.scenario.load import find_duplicates
    from dealcheck.scenario.validate import IdDigests

    path = _write_rows(tmp_path / "ok.jsonl", [1, 2, 3, 2])
    # As if `d1` and `d3` had collided in the digests: the closer look clears them.
    suspects = frozenset({hash("d1"), hash("d3"), hash("d2")})
    found = find_duplicates([path], vocabulary, suspects)
    assert [(d.message, d.span.line) for d in found] == [("duplicate deployment id `d2`", 4)]
    digests = IdDigests()
    for ident in ["a", "b", "a", "c", "b", "a"]:
        digests.fresh(ident, "f", 1)
    assert digests.colliding() == {hash("a"), hash("b")}


@pytest.mark.slow
def test_the_ids_of_a_streamed_file_cost_a_few_bytes_each(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    peaks = []
    for rows in (4_000, 24_000):
        path = _write_rows(tmp_path / f"ids{rows}.jsonl", list(range(rows)))
        tracemalloc.start()
        try:
            assert validate_file(path, vocabulary) == []
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    per_row = (peaks[1] - peaks[0]) / 20_000
    # 8 bytes of hash per id (and the arrays' slack); a table of ids with their
    # locations would cost ~200.
    assert per_row < 24, per_row


# -- dealcheck check reads bulk files once, validating as it goes ---------------------------


@pytest.mark.parametrize(("name", "text"), [
    ("header-only.csv", "id,party,workload,provider,start\n"),
    ("one.jsonl", json.dumps(_row(1)) + "\n"),
    ("one.csv", "id,party,workload,provider,start\nd1,OpenAI,api,AWS,2025-01-01\n"),
])
def test_the_deferred_reader_reads_valid_files_as_the_others_do(
    tmp_path: Path, vocabulary: Vocabulary, name: str, text: str
) -> None:
    # Found by fuzzing: a CSV with only its header (valid, no deployments) was
    # rejected, which only cost a second reading but broke the readers' agreement.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    inputs = open_scenarios([path], vocabulary, defer=True)
    assert inputs.pending is not None and inputs.count is None
    expected = load_scenario(path, vocabulary).deployments
    assert inputs.expected == len(expected)  # what the progress bar counts to
    assert tuple(inputs.deployments()) == expected


def test_the_progress_bar_expects_a_deployment_a_line_of_pending_files(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    from scenario_helpers import FIXTURES

    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(_row(i)) for i in range(5)), encoding="utf-8")
    inputs = open_scenarios([FIXTURES / "plan.yaml", rows], vocabulary, defer=True)
    assert inputs.expected == 3 + 5  # the YAML's three, counted; the last line has no break
    assert len(list(inputs.deployments())) == 8


@pytest.mark.parametrize(("name", "text"), [
    ("empty.jsonl", "\n\n"),
    ("bad.csv", "id,party,workload,provider,start\nd1,OpenAI,api,AWZ,2025-01-01\n"),
    ("dup.jsonl", json.dumps(_row(1)) + "\n" + json.dumps(_row(1)) + "\n"),
])
def test_the_deferred_reader_rejects_invalid_files(
    tmp_path: Path, vocabulary: Vocabulary, name: str, text: str
) -> None:
    from dealcheck.scenario.read import PiecesRejected

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    inputs = open_scenarios([path], vocabulary, defer=True)
    with pytest.raises(PiecesRejected):
        list(inputs.deployments())
    assert validate_file(path, vocabulary) != []


def test_the_quick_builder_builds_what_the_constructor_builds() -> None:
    import dataclasses
    import datetime as dt
    from decimal import Decimal
    from types import MappingProxyType

    from dealcheck.rules.units import Quantity
    from dealcheck.scenario.model import (
        Deployment,
        SourceLocation,
        new_deployment,
    )

    where = SourceLocation("inventory.jsonl", 7, 3)
    values = ("d1", "OpenAI", "api", "Azure", dt.date(2025, 3, 1), "US", dt.date(2026, 1, 1),
              Quantity(Decimal(5_000_000), "power", "5 MW"),
              Quantity(Decimal(10**9), "money", "1B USD"),
              MappingProxyType({"rofr_declined": True}), where)
    built = new_deployment(*values)
    expected = Deployment(*values)
    assert type(built) is Deployment
    assert [getattr(built, f.name) for f in dataclasses.fields(Deployment)] == list(values)
    assert built == expected and built.source == expected.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.id = "d2"  # type: ignore[misc]
