"""The DuckDB engine gives the Python engine's report, byte for byte, and its diagnostics."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest

import dealcheck
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.engines import duckdb as duckdb_engine
from dealcheck.engines.duckdb import duckdb_run, reads_with_duckdb
from dealcheck.scenario.read import load_scenario
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
MSFT = ROOT / "examples" / "microsoft-openai" / "terms.deal"
STARGATE = ROOT / "examples" / "stargate" / "terms.deal"

FACTS: dict[str, tuple[object, ...]] = {
    "microsoft_consent": (True, False),
    "rofr_declined": (True, False),
    "customer": ("commercial", "us_national_security", "us_government_civilian"),
    "meets_capability_criteria": (True, False),
    "shipped_first_on_azure": (True, False),
    "azure_can_support": (True, False),
}


# ---------------------------------------------------------------- inventories


@cache
def _terms(path: Path) -> dealcheck.Terms:
    """The terms of `path`, loaded once a test process (the tests only read them)."""
    return dealcheck.load(path)


def _records_of(yaml_path: Path, terms: Path) -> list[dict[str, Any]]:
    """The deployments of a YAML scenario as JSON Lines records, quantities as written."""
    scenario = load_scenario(yaml_path, _terms(terms).vocabulary)
    out: list[dict[str, Any]] = []
    for d in scenario.deployments:
        record: dict[str, Any] = {"id": d.id, "party": d.party, "workload": d.workload,
                                  "provider": d.provider, "start": d.start.isoformat()}
        if d.region is not None:
            record["region"] = d.region
        if d.end is not None:
            record["end"] = d.end.isoformat()
        for name in ("capacity", "value"):
            quantity = getattr(d, name)
            if quantity is not None:
                record[name] = str(quantity)
        if d.facts:
            record["facts"] = {k: v if isinstance(v, bool | str) else str(v)
                               for k, v in d.facts.items()}
        out.append(record)
    return out


def _boundary_records(terms: Path) -> list[dict[str, Any]]:
    """Every epoch's first day and the day before, every provider and region, each fact
    absent, null, true and false (or each of its values): a new copy for each caller."""
    return copy.deepcopy(_boundaries(terms))


@cache
def _boundaries(terms: Path) -> list[dict[str, Any]]:
    model = _terms(terms)
    vocabulary = model.vocabulary
    days: set[dt.date] = set()
    for start in model.compiled().starts:
        days.update((start, start - dt.timedelta(days=1)))
    rng = random.Random(15)
    parties, workloads = list(vocabulary.parties), list(vocabulary.workloads)
    providers, regions = list(vocabulary.providers), [*vocabulary.regions, None]
    records: list[dict[str, Any]] = []
    for number, day in enumerate(sorted(days) * 8):
        fact_values: dict[str, object] = {}
        for name, values in FACTS.items():
            if name in vocabulary.facts:
                pick = rng.choice([*values, None, "absent"])
                if pick != "absent":
                    fact_values[name] = pick
        record: dict[str, Any] = {
            "id": f"b{number}", "party": parties[number % len(parties)],
            "workload": workloads[number % len(workloads)],
            "provider": providers[number % len(providers)], "start": day.isoformat(),
            "value": f"{rng.randrange(1, 90)}B USD" if number % 3 else None,
        }
        region = regions[number % len(regions)]
        if region is not None:
            record["region"] = region
        if fact_values:
            record["facts"] = fact_values
        records.append(record)
    return records


def _sample_records(count: int, seed: int) -> list[dict[str, Any]]:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from common import sample_records
    finally:
        sys.path.pop(0)
    records: list[dict[str, Any]] = sample_records(count, seed)
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    columns = ["id", "party", "workload", "provider", "region", "start", "end", "capacity",
               "value"]
    facts = sorted({name for r in records for name in r.get("facts") or {}})
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*columns, *(f"facts.{f}" for f in facts)])
        for r in records:
            given = r.get("facts") or {}
            writer.writerow([r.get(c) or "" for c in columns]
                            + [_cell(given.get(f)) for f in facts])
    return path


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_parquet(path: Path, csv_path: Path) -> Path:
    """A Parquet file of a CSV inventory's rows, every column as text."""
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true)) "
                f"TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def _reports(terms: Path, scenario: Path, tmp_path: Path, *extra: str) -> tuple[str, str]:
    python = run_dealcheck("check", terms, scenario, "--format", "json", "--engine", "python",
                           *extra, cwd=tmp_path)
    duck = run_dealcheck("check", terms, scenario, "--format", "json", "--engine", "duckdb",
                         *extra, cwd=tmp_path)
    assert python.returncode == duck.returncode, duck.stderr
    assert duck.stderr == python.stderr
    return python.stdout, duck.stdout


def _engine_reads(terms: Path, *paths: Path) -> bool:
    """Whether the DuckDB engine checks the files itself (rather than handing them back, or
    having the Python reader explain a row it refuses)."""
    try:
        with duckdb_run(_terms(terms), paths, None) as run:
            return run is not None
    except DiagnosticsError:
        return False


# ---------------------------------------------------------------- the same report


@pytest.mark.parametrize(("terms", "scenario"), [
    (MSFT, ROOT / "examples" / "microsoft-openai" / "deals.yaml"),
    (STARGATE, ROOT / "examples" / "stargate" / "buildout.yaml"),
    (STARGATE, ROOT / "examples" / "stargate" / "over-cap.yaml"),
])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize("as_of", [None, pytest.param("2025-06-30", marks=pytest.mark.slow)])
def test_shipped_examples_give_the_same_report(tmp_path: Path, terms: Path, scenario: Path,
                                               kind: str, as_of: str | None,
                                               opened: list[bool]) -> None:
    records = _records_of(scenario, terms)
    path = tmp_path / f"{scenario.stem}.{kind}"
    (write_jsonl if kind == "jsonl" else write_csv)(path, records)
    extra = ("--as-of", as_of) if as_of else ()
    python, duck = _reports(terms, path, tmp_path, *extra)
    assert opened == [True]  # the engine read the rows itself
    assert json.loads(python)["deployments"]  # a report with something in it
    assert duck == python


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize("as_of", [None, pytest.param("2025-10-28", marks=pytest.mark.slow)])
def test_boundary_inventory_gives_the_same_report(tmp_path: Path, kind: str,
                                                  as_of: str | None, opened: list[bool]) -> None:
    records = _boundary_records(MSFT)
    path = tmp_path / f"bounds.{kind}"
    (write_jsonl if kind == "jsonl" else write_csv)(path, records)
    python, duck = _reports(MSFT, path, tmp_path, *(("--as-of", as_of) if as_of else ()))
    assert opened == [True]
    verdicts = {d["verdict"] for d in json.loads(python)["deployments"]}
    assert verdicts == ({"compliant", "undetermined"} if as_of else
                        {"compliant", "violation", "undetermined"})
    assert duck == python


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_texts_found_in_their_lists_give_the_same_report(
        tmp_path: Path, kind: str, opened: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    # No text converted in SQL: every date, quantity and fact is found at its slot in
    # list literals of the judged texts (`ValueJudge.lookup`), each of its own type.
    from dealcheck.engines import values

    found: list[str] = []
    lookup = values.ValueJudge.lookup

    def spy(self: values.ValueJudge, name: str, *args: str) -> Any:
        found.append(name)
        return lookup(self, name, *args)

    monkeypatch.setattr(values.ValueJudge, "strict", lambda self, *args: None)
    monkeypatch.setattr(values.ValueJudge, "direct", lambda self, *args: None)
    monkeypatch.setattr(values.ValueJudge, "lookup", spy)
    path = tmp_path / f"bounds.{kind}"
    (write_jsonl if kind == "jsonl" else write_csv)(path, _boundary_records(MSFT))
    python, duck = _reports(MSFT, path, tmp_path)
    assert opened == [True]
    assert {"start", "value", "fact:rofr_declined"} <= set(found)
    assert duck == python


@pytest.mark.slow
def test_generated_inventory_in_two_files_gives_the_same_report(tmp_path: Path) -> None:
    records = _sample_records(4000, seed=7)
    first = write_jsonl(tmp_path / "a.jsonl", records[:2500])
    second = write_csv(tmp_path / "b.csv", records[2500:])
    assert _engine_reads(MSFT, first, second)
    python = run_dealcheck("check", MSFT, first, second, "--format", "json", "--engine",
                           "python", cwd=tmp_path)
    duck = run_dealcheck("check", MSFT, first, second, "--format", "json", "--engine", "duckdb",
                         "--jobs", "2", cwd=tmp_path)
    assert (duck.returncode, duck.stdout) == (python.returncode, python.stdout)


def test_auto_reads_bulk_files_with_duckdb_and_documents_with_python(tmp_path: Path) -> None:
    bulk = write_jsonl(tmp_path / "a.jsonl", _sample_records(3, seed=1))
    assert reads_with_duckdb([bulk])
    assert not reads_with_duckdb([ROOT / "examples" / "stargate" / "buildout.yaml"])
    assert not reads_with_duckdb([bulk, ROOT / "examples" / "stargate" / "buildout.yaml"])
    assert not reads_with_duckdb([tmp_path / "missing.csv"])


# ---------------------------------------------------------------- Parquet


def test_parquet_inventory_gives_the_jsonl_report(tmp_path: Path) -> None:
    records = _boundary_records(MSFT)
    as_csv = write_csv(tmp_path / "bounds.csv", records)
    parquet = write_parquet(tmp_path / "bounds.parquet", as_csv)
    jsonl = write_jsonl(tmp_path / "bounds.jsonl", records)
    from_parquet = run_dealcheck("check", MSFT, parquet, "--format", "json", cwd=tmp_path)
    from_jsonl = run_dealcheck("check", MSFT, jsonl, "--format", "json", "--engine", "python",
                               cwd=tmp_path)
    assert from_parquet.returncode == from_jsonl.returncode, from_parquet.stderr
    report, expected = json.loads(from_parquet.stdout), json.loads(from_jsonl.stdout)
    # A Parquet row's line is its row number, as a JSON Lines row's is its line.
    assert report["scenarios"][0]["path"] == str(parquet)
    for name in ("scenarios",):
        report.pop(name), expected.pop(name)
    text = json.dumps(report).replace(str(parquet), str(jsonl))
    assert text == json.dumps(expected)


# ---------------------------------------------------------------- bad rows


BAD_ROWS: dict[str, tuple[str, object]] = {
    "undeclared party": ("party", "OpenAl"),
    "malformed date": ("start", "2025-13-01"),
    "a year after 9999": ("start", "10000-01-01"),
    "malformed quantity": ("value", "12 USDX"),
    "wrong fact type": ("facts", {"rofr_declined": "yes"}),
    "undeclared fact": ("facts", {"rofr_declinde": True}),
    "unknown field": ("regoin", "US"),
    "missing id": ("id", None),
    "end before start": ("end", "2001-01-01"),
    "duplicate id": ("id", "d3"),
}


# The fast tier reads each bad row from JSON Lines; CSV reading has its own tests below.
@pytest.mark.parametrize("kind", ["jsonl", pytest.param("csv", marks=pytest.mark.slow)])
@pytest.mark.parametrize("problem", sorted(BAD_ROWS))
def test_bad_rows_read_as_the_python_engine_says(tmp_path: Path, kind: str,
                                                 problem: str, opened: list[bool],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.checker import files

    checked: list[str] = []  # each check of the rows by the Python reader
    run = files._run
    monkeypatch.setattr(files, "_run", lambda *args: checked.append("run") or run(*args))
    records = _sample_records(200, seed=3)
    field, value = BAD_ROWS[problem]
    if value is None:
        del records[120][field]
    else:
        records[120][field] = value
    if kind == "csv" and field not in ("facts", "regoin"):
        path = write_csv(tmp_path / "bad.csv", records)
    elif kind == "csv":
        path = write_csv(tmp_path / "bad.csv", records)
        text = path.read_text(encoding="utf-8")
        if field == "regoin":  # an unknown column
            text = text.replace("region,", "regoin,", 1)
        path.write_text(text, encoding="utf-8")
    else:
        path = write_jsonl(tmp_path / "bad.jsonl", records)
    python = run_dealcheck("check", MSFT, path, "--engine", "python", cwd=tmp_path)
    assert checked  # the Python engine checks the rows, then reads them again to explain
    checked.clear()
    duck = run_dealcheck("check", MSFT, path, "--engine", "duckdb", cwd=tmp_path)
    assert opened == [False]  # handed back to the Python reader, which explains
    # At once, as the engine found a row the reader refuses (the reader refuses a CSV
    # header of an unknown column as it starts: the engine does not read that file).
    assert not checked or (kind == "csv" and field in ("facts", "regoin"))
    assert python.returncode == 2, python.stdout
    assert (duck.returncode, duck.stdout, duck.stderr) == (2, python.stdout, python.stderr)


@pytest.mark.parametrize("text", [
    '{"id": "a", "id": "b", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01"}\n',
    '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01"}\n\n{"id": "b", "party": "OpenAI", "workload": "api", '
    '"provider": "AWS", "start": "2025-01-01"}\n',
    '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01"\n',
    '[1, 2]\n',
    '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01", "facts": "rofr_declined"}\n',
    '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01", "facts": {"rofr_declined": true, "rofr_declined": false}}\n',
    '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01", "facts": {"customer": {"kind": "commercial"}}}\n',
    '{"id": 12, "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01"}\n',
    '{"id": "caf\u00e9", "party": "OpenAI", "workload": "api", "provider": "AWS", '
    '"start": "2025-01-01", "capacity": 12}\n',
])
def test_unusual_json_lines_are_the_python_readers(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(text, encoding="utf-8")
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


@pytest.mark.parametrize("text", [
    "id,party,workload,provider,start\na,OpenAI,api,AWS,2025-01-01\n,,,,\n",
    'id,party,workload,provider,start\n"a\nb",OpenAI,api,AWS,2025-01-01\n',
    "id,party,workload,provider,start\na,OpenAI,api,AWS,2025-01-01,extra\n",
    "id,party,workload,provider,start\na,OpenAI ,api,AWS,\t2025-01-01\n",
    "id,party,workload,provider,start\r\na,OpenAI,api,AWS,2025-01-01\r\n",
    "\ufeffid,party,workload,provider,start\na,OpenAI,api,AWS,2025-01-01\n",
    "id,party,workload,provider\na,OpenAI,api,AWS\n",
])
def test_unusual_csv_is_the_python_readers(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(text.encode("utf-8"))
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


def test_invalid_utf8_reads_as_the_python_engine_says(tmp_path: Path) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(b"id,party,workload,provider,start\na\xff,OpenAI,api,AWS,2025-01-01\n")
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


def test_bad_parquet_rows_are_located_at_their_row_and_column(tmp_path: Path) -> None:
    records = _sample_records(50, seed=5)
    records[9]["start"] = "2025-02-30"
    records[20]["id"] = records[3]["id"]
    parquet = write_parquet(tmp_path / "bad.parquet", write_csv(tmp_path / "bad.csv", records))
    result = run_dealcheck("check", MSFT, parquet, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "unsupported scenario format" not in result.stderr
    start = ["id", "party", "workload", "provider", "region", "start"].index("start") + 1
    assert f"bad.parquet:10:{start}: error[DC" in result.stderr
    assert "invalid date `2025-02-30`" in result.stderr
    assert "bad.parquet:21:1: error[DC" in result.stderr
    assert "duplicate" in result.stderr
    assert "Traceback" not in result.stderr


def test_parquet_rows_the_engine_hands_back_are_read_one_by_one(tmp_path: Path) -> None:
    # Ids that are not plain ASCII are the reader's to judge: valid here, so checked.
    records = _sample_records(40, seed=9)
    records[4]["id"] = "caf\u00e9-1"
    parquet = write_parquet(tmp_path / "odd.parquet", write_csv(tmp_path / "odd.csv", records))
    jsonl = write_jsonl(tmp_path / "odd.jsonl", records)
    assert not _engine_reads(MSFT, tmp_path / "odd.csv")
    from_parquet = run_dealcheck("check", MSFT, parquet, "--format", "json", cwd=tmp_path)
    from_jsonl = run_dealcheck("check", MSFT, jsonl, "--format", "json", "--engine", "python",
                               cwd=tmp_path)
    assert from_parquet.returncode == from_jsonl.returncode, from_parquet.stderr
    report, expected = json.loads(from_parquet.stdout), json.loads(from_jsonl.stdout)
    assert report.pop("scenarios")[0]["path"] == str(parquet)
    expected.pop("scenarios")
    assert json.dumps(report).replace(str(parquet), str(jsonl)) == json.dumps(expected)


def test_a_region_is_undeclared_when_the_terms_declare_none(tmp_path: Path,
                                                             opened: list[bool]) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text('agreement "No regions" effective 2025-01-01\n\nparty OpenAI, Microsoft\n\n'
                     "provider Azure operated by Microsoft\n\nworkload api\n\n"
                     "clause azure_only:\n  OpenAI runs api only on Azure\n", encoding="utf-8")
    path = write_jsonl(tmp_path / "r.jsonl", [
        {"id": "a", "party": "OpenAI", "workload": "api", "provider": "Azure",
         "start": "2025-02-01", "region": "US"}])
    python, duck = _reports(terms, path, tmp_path)
    assert duck == python
    assert opened == [False]


def test_null_values_are_read_by_the_engine_line_by_line(tmp_path: Path,
                                                         opened: list[bool]) -> None:
    # A key with a null value has no field: the per-file count of keys and fields
    # differs, and each line's keys are then looked at on the line.
    records = _sample_records(300, seed=11)
    records[7]["region"] = None
    records[8]["facts"] = {"customer": None}
    path = write_jsonl(tmp_path / "nulls.jsonl", records)
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python
    assert opened == [True]


# ---------------------------------------------------------------- Parquet beside other files


def _halves(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = _sample_records(60, seed=seed)
    return records[:30], records[30:]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_bad_file_beside_parquet_reports_its_own_errors_alone(tmp_path: Path,
                                                                 kind: str) -> None:
    in_parquet, in_other = _halves(seed=21)
    in_other[4]["start"] = "2025-02-30"
    parquet = write_parquet(tmp_path / "part.parquet",
                            write_csv(tmp_path / "for-parquet.csv", in_parquet))
    other = (write_csv if kind == "csv" else write_jsonl)(tmp_path / f"rest.{kind}", in_other)
    both = run_dealcheck("check", MSFT, parquet, other, cwd=tmp_path)
    alone = run_dealcheck("check", MSFT, other, "--engine", "python", cwd=tmp_path)
    assert both.returncode == alone.returncode == 2, both.stdout
    assert "unsupported scenario format" not in both.stderr
    assert "invalid date `2025-02-30`" in both.stderr
    assert both.stderr == alone.stderr


def test_bad_rows_in_parquet_and_csv_are_reported_together(tmp_path: Path) -> None:
    in_parquet, in_csv = _halves(seed=22)
    in_parquet[2]["start"] = "2025-13-01"
    in_csv[4]["start"] = "2025-02-30"
    parquet = write_parquet(tmp_path / "part.parquet",
                            write_csv(tmp_path / "for-parquet.csv", in_parquet))
    rest = write_csv(tmp_path / "rest.csv", in_csv)
    result = run_dealcheck("check", MSFT, parquet, rest, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "unsupported scenario format" not in result.stderr
    start = ["id", "party", "workload", "provider", "region", "start"].index("start") + 1
    assert f"part.parquet:3:{start}: error[DC" in result.stderr
    assert "rest.csv:6:" in result.stderr
    assert "invalid date `2025-13-01`" in result.stderr
    assert "invalid date `2025-02-30`" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_id_in_parquet_and_in_csv_is_a_duplicate(tmp_path: Path) -> None:
    in_parquet, in_csv = _halves(seed=23)
    in_csv[7]["id"] = in_parquet[1]["id"]
    parquet = write_parquet(tmp_path / "part.parquet",
                            write_csv(tmp_path / "for-parquet.csv", in_parquet))
    rest = write_csv(tmp_path / "rest.csv", in_csv)
    result = run_dealcheck("check", MSFT, parquet, rest, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"duplicate deployment id `{in_parquet[1]['id']}`" in result.stderr
    assert "rest.csv:9:1: error[DC" in result.stderr


def test_parquet_beside_a_file_the_engine_hands_back_is_checked_in_input_order(
        tmp_path: Path) -> None:
    # A CSV id that is not plain ASCII is the reader's to judge: valid, so both are checked.
    in_parquet, in_csv = _halves(seed=24)
    in_csv[3]["id"] = "caf\u00e9-2"
    parquet = write_parquet(tmp_path / "part.parquet",
                            write_csv(tmp_path / "for-parquet.csv", in_parquet))
    rest = write_csv(tmp_path / "rest.csv", in_csv)
    jsonl = write_jsonl(tmp_path / "part.jsonl", in_parquet)
    assert not _engine_reads(MSFT, rest)
    mixed = run_dealcheck("check", MSFT, rest, parquet, "--format", "json", cwd=tmp_path)
    python = run_dealcheck("check", MSFT, rest, jsonl, "--format", "json", "--engine", "python",
                           cwd=tmp_path)
    assert mixed.returncode == python.returncode, mixed.stderr
    report, expected = json.loads(mixed.stdout), json.loads(python.stdout)
    assert [s["path"] for s in report.pop("scenarios")] == [str(rest), str(parquet)]
    expected.pop("scenarios")
    assert json.dumps(report).replace(str(parquet), str(jsonl)) == json.dumps(expected)
    assert report["deployments"][3]["id"] == "caf\u00e9-2"


def test_a_yaml_document_beside_parquet_is_checked_with_it(tmp_path: Path) -> None:
    records = _sample_records(30, seed=25)
    parquet = write_parquet(tmp_path / "part.parquet", write_csv(tmp_path / "part.csv", records))
    jsonl = write_jsonl(tmp_path / "part.jsonl", records)
    yaml = ROOT / "examples" / "microsoft-openai" / "deals.yaml"
    assert reads_with_duckdb([yaml, parquet])
    mixed = run_dealcheck("check", MSFT, yaml, parquet, "--format", "json", cwd=tmp_path)
    python = run_dealcheck("check", MSFT, yaml, jsonl, "--format", "json", "--engine",
                           "python", cwd=tmp_path)
    assert "unsupported scenario format" not in mixed.stderr
    assert mixed.returncode == python.returncode, mixed.stderr
    report, expected = json.loads(mixed.stdout), json.loads(python.stdout)
    assert [s["path"] for s in report.pop("scenarios")] == [str(yaml), str(parquet)]
    expected.pop("scenarios")
    assert json.dumps(report).replace(str(parquet), str(jsonl)) == json.dumps(expected)


def test_the_python_engine_refuses_parquet_without_showing_its_bytes(tmp_path: Path) -> None:
    records = _sample_records(5, seed=26)
    parquet = write_parquet(tmp_path / "part.parquet", write_csv(tmp_path / "part.csv", records))
    result = run_dealcheck("check", MSFT, parquet, "--engine", "python", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr == (
        f"{parquet}:1:1: error[DC310]: the python engine does not read Parquet files like "
        "`part.parquet`\n"
        "  help: check it with `--engine duckdb` (or `--engine auto`, the default)\n"
        "found 1 error\n")


def _stamped(source: Path, path: Path, late: str = "") -> Path:
    """`source` with `start` as a timestamp at midnight (as data frames write dates), but for
    the row of id `late`, an hour later."""
    con = duckdb.connect()
    con.execute("COPY (SELECT * REPLACE (CAST(start AS TIMESTAMP) + CASE WHEN id = ? "
                f"THEN INTERVAL 1 HOUR ELSE INTERVAL 0 HOUR END AS start) FROM '{source}') "
                f"TO '{path}' (FORMAT parquet)", [late])
    con.close()
    return path


def test_parquet_dates_written_as_midnight_timestamps_are_days(tmp_path: Path) -> None:
    records = _sample_records(30, seed=27)
    text = write_parquet(tmp_path / "text.parquet", write_csv(tmp_path / "rows.csv", records))
    stamped = _stamped(text, tmp_path / "stamped.parquet")
    from_text = run_dealcheck("check", MSFT, text, "--format", "json", cwd=tmp_path)
    from_stamped = run_dealcheck("check", MSFT, stamped, "--format", "json", cwd=tmp_path)
    assert from_stamped.returncode == from_text.returncode, from_stamped.stderr
    report, expected = json.loads(from_stamped.stdout), json.loads(from_text.stdout)
    report.pop("scenarios")
    expected.pop("scenarios")
    assert json.dumps(report).replace(str(stamped), str(text)) == json.dumps(expected)


def test_a_parquet_timestamp_past_midnight_is_a_malformed_date(tmp_path: Path) -> None:
    records = _sample_records(30, seed=28)
    text = write_parquet(tmp_path / "text.parquet", write_csv(tmp_path / "rows.csv", records))
    late = _stamped(text, tmp_path / "late.parquet", late=records[4]["id"])
    result = run_dealcheck("check", MSFT, late, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    start = ["id", "party", "workload", "provider", "region", "start"].index("start") + 1
    # Read row by row, the other rows' midnights are days still: one error.
    assert result.stderr == (
        f"{late}:5:{start}: error[DC306]: malformed date `{records[4]['start']} 01:00:00` in "
        "`start`\n  help: write dates as YYYY-MM-DD, e.g. `2025-03-10`\nfound 1 error\n")


def _parquet_of_jsonl(jsonl: Path, path: Path) -> Path:
    """A Parquet file as DuckDB converts a JSON Lines one: `facts` a struct column."""
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_json('{jsonl}')) TO '{path}' (FORMAT parquet)")
    kinds = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                             f"FROM read_parquet('{path}'))").fetchall())
    con.close()
    assert str(kinds["facts"]).startswith("STRUCT(")
    return path


def test_a_facts_struct_column_holds_the_facts(tmp_path: Path) -> None:
    records = _sample_records(30, seed=29)
    jsonl = write_jsonl(tmp_path / "rows.jsonl", records)
    parquet = _parquet_of_jsonl(jsonl, tmp_path / "rows.parquet")
    from_parquet = run_dealcheck("check", MSFT, parquet, "--format", "json", cwd=tmp_path)
    from_jsonl = run_dealcheck("check", MSFT, jsonl, "--format", "json", cwd=tmp_path)
    assert from_parquet.returncode == from_jsonl.returncode, from_parquet.stderr
    report, expected = json.loads(from_parquet.stdout), json.loads(from_jsonl.stdout)
    report.pop("scenarios")
    expected.pop("scenarios")
    assert json.dumps(report).replace(str(parquet), str(jsonl)) == json.dumps(expected)


def test_a_bad_fact_in_a_facts_struct_is_located_at_its_column(tmp_path: Path) -> None:
    records = _sample_records(30, seed=30)
    records[3].setdefault("facts", {})["customer"] = "commerical"
    parquet = _parquet_of_jsonl(write_jsonl(tmp_path / "rows.jsonl", records),
                                tmp_path / "rows.parquet")
    with duckdb.connect() as con:
        names = [row[0] for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{parquet}')").fetchall()]
    result = run_dealcheck("check", MSFT, parquet, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"rows.parquet:4:{names.index('facts') + 1}: error[DC" in result.stderr
    assert "`commerical`" in result.stderr
    assert "must be a mapping" not in result.stderr
    assert result.stderr.endswith("found 1 error\n")


def test_a_file_named_parquet_that_is_not_is_a_located_diagnostic(tmp_path: Path) -> None:
    fake = tmp_path / "rows.parquet"
    fake.write_text("id,party,workload,provider,start\n", "utf-8")
    rows = write_csv(tmp_path / "rows.csv", _sample_records(5, seed=31))
    result = run_dealcheck("check", MSFT, rows, fake, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"{fake}:1:1: error[DC310]: `rows.parquet` is not a readable Parquet file\n"
        "  help: write it as Parquet, or name it for its format: `.csv`, `.jsonl`, `.yaml` "
        "or `.json`\nfound 1 error\n")


@pytest.mark.parametrize("line", [1, 3])
def test_a_carriage_return_alone_in_csv_reads_as_the_python_engine_says(tmp_path: Path,
                                                                         line: int) -> None:
    rows = write_csv(tmp_path / "rows.csv", _sample_records(5, seed=32))
    lines = rows.read_text("utf-8").replace("\r\n", "\n").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(",", "\r,", 1)
    rows.write_text("".join(lines), "utf-8", newline="")
    duck = run_dealcheck("check", MSFT, rows, "--engine", "duckdb", cwd=tmp_path)
    python = run_dealcheck("check", MSFT, rows, "--engine", "python", cwd=tmp_path)
    assert python.returncode == duck.returncode == 2, duck.stderr
    assert "carriage return" in python.stderr
    assert duck.stderr == python.stderr


def test_quantities_of_more_than_28_digits_read_as_the_python_engine_says(
        tmp_path: Path, opened: list[bool]) -> None:
    # 1.5T GW is 1.5E+21 W: 31 digits with the columns' 9 decimals, beyond the default
    # decimal context (an internal error, once); 10**29 USD does not fit the columns.
    records = _sample_records(40, seed=3)
    records[0].update(party="OpenAI", provider="Azure", start="2025-11-01",
                      value="99999999999999999999999999999 USD")
    records[1]["capacity"] = "1.5T GW"
    path = write_csv(tmp_path / "big.csv", records)
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python
    records[0]["value"] = "100000000000000000000000000000 USD"
    path = write_csv(tmp_path / "bigger.csv", records)
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python
    assert opened == [True, False]


# ---------------------------------------------------------------- one scan, or two


def _canonical_records() -> list[dict[str, Any]]:
    """Sample rows whose texts are all canonical: dates, `825M USD`, capacities, booleans."""
    records = _sample_records(200, seed=23)
    for number, record in enumerate(records):
        if number % 3 == 0:
            record["capacity"] = ("300 MW", "1.5 GW", "4608 GPU", "0.25k GPUs")[number % 4]
        if number % 7 == 0:
            record["end"] = "2031-12-31"
        if number % 11 == 0:
            record.update(party="OpenAI", provider="Azure", start="2025-11-03",
                          value=f"{number}.5B USD")
    return records


def _surveys(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each survey of the run found (`_Session._survey`: the two-scan path)."""
    found: list[int] = []
    survey = duckdb_engine._Session._survey

    def spy(self: duckdb_engine._Session) -> Any:
        surveyed = survey(self)
        found.append(sum(surveyed.rows.values()))
        return surveyed

    monkeypatch.setattr(duckdb_engine._Session, "_survey", spy)
    return found


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_canonical_texts_are_checked_in_one_scan(tmp_path: Path, kind: str,
                                                 opened: list[bool],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    surveys = _surveys(monkeypatch)
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"a.{kind}",
                                                           _canonical_records())
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python
    assert json.loads(duck)["aggregates"][0]["total"] != "0 USD"
    assert opened == [True]
    assert surveys == []  # no survey: one scan


@pytest.mark.parametrize("probe", [2048, 50])
@pytest.mark.parametrize(("kind", "field", "text"), [
    ("csv", "start", " 2025-11-03"),  # the CSV reader trims a cell
    ("csv", "fact", " true"),
    ("jsonl", "value", "825,000,000 USD"),
    ("jsonl", "value", "1_000M  USD"),
    ("csv", "capacity", "300MW"),
])
def test_a_text_not_in_canonical_form_is_judged_after_a_survey(
        tmp_path: Path, kind: str, field: str, text: str, probe: int, opened: list[bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One valid text that the canonical scan does not convert (on row 78: in the rows
    probed first, or past them, then once every row is typed): the texts are surveyed
    and judged, as the Python reader judges them."""
    surveys = _surveys(monkeypatch)
    monkeypatch.setattr(duckdb_engine, "PROBE_ROWS", probe)
    probed: list[bool] = []
    probe_ = duckdb_engine._Session._probe

    def spy(self: duckdb_engine._Session) -> bool:
        probed.append(probe_(self))
        return probed[-1]

    monkeypatch.setattr(duckdb_engine._Session, "_probe", spy)
    records = _canonical_records()
    row = records[77]
    row.update(party="OpenAI", provider="Azure", start="2025-11-03")
    if field == "fact":
        row["facts"] = {**row.get("facts", {}), "microsoft_consent": text}
    else:
        row[field] = text
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"a.{kind}", records)
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python
    assert opened == [True]
    assert surveys == [len(records)]
    assert probed == [probe < 78]


#: Terms reading a fact of every kind, capacities and values, and summing both.
EVERY_KIND = """agreement "Every kind of text" effective 2025-01-01

party OpenAI, Microsoft
provider Azure operated by Microsoft
provider OCI operated by OpenAI

workload api, training

region US, EU

unit TPU
unit EUR: money
fact pods: number TPU
fact draw: number MW
fact share: number
fact signed: date
fact consent: bool
fact customer: one of commercial, government

clause pods_cap:
  OpenAI runs training outside EU only if pods <= 64 TPU and signed >= 2025-03-01 and draw < 1.5 GW
clause shared:
  OpenAI runs api off Azure only if share >= 0.5 or consent or customer = government
clause capacity_total:
  total capacity of deployments by OpenAI reaches 2 GW
clause value_total:
  total value of deployments by OpenAI on Azure reaches 1B USD
"""


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_texts_of_every_kind_in_canonical_form_are_checked_in_one_scan(
        tmp_path: Path, kind: str, opened: list[bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    surveys = _surveys(monkeypatch)
    terms = tmp_path / "terms.deal"
    terms.write_text(EVERY_KIND, encoding="utf-8")
    rng = random.Random(5)
    records: list[dict[str, Any]] = []
    for number in range(150):
        record: dict[str, Any] = {
            "id": f"r{number}", "party": rng.choice(["OpenAI", "Microsoft"]),
            "workload": rng.choice(["api", "training"]), "provider": rng.choice(["Azure", "OCI"]),
            "region": rng.choice(["US", "EU", None]),
            "start": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
        if rng.random() < 0.5:
            record["capacity"] = rng.choice(["300 MW", "1.5 GW", "64 GPU", "0.5k W", "7 GPUs"])
        if rng.random() < 0.5:
            record["value"] = rng.choice(["825M USD", "1.25B USD", "3 EUR", "0.000000001 USD"])
        facts = {"pods": rng.choice(["64", "65 TPU", "1.5k"]), "draw": rng.choice(["1499", "2 GW"]),
                 "share": rng.choice(["0.5", "0.499999999"]),
                 "signed": rng.choice(["2025-02-28", "2025-03-01"]),
                 "consent": rng.choice([True, False]),
                 "customer": rng.choice(["commercial", "government"])}
        record["facts"] = {k: v for k, v in facts.items() if rng.random() < 0.6}
        records.append({k: v for k, v in record.items() if v is not None})
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"a.{kind}", records)
    python, duck = _reports(terms, path, tmp_path)
    assert duck == python
    report = json.loads(duck)
    assert {d["verdict"] for d in report["deployments"]} == {
        "compliant", "violation", "undetermined"}
    assert all(a["total"][0] != "0" for a in report["aggregates"])
    assert opened == [True]
    assert surveys == []


def test_more_rows_than_the_limit_are_refused_after_one_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[bool]) -> None:
    from dealcheck.checker import files

    monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "30")
    path = write_jsonl(tmp_path / "many.jsonl", _sample_records(40, seed=9))
    python = run_dealcheck("check", MSFT, path, "--engine", "python", cwd=tmp_path)
    scans: list[str] = []
    monkeypatch.setattr(duckdb_engine._Session, "_survey",
                        lambda self: scans.append("survey") or pytest.fail("surveyed"))
    monkeypatch.setattr(files, "_run", lambda *args: pytest.fail("checked by the reader"))
    duck = run_dealcheck("check", MSFT, path, "--engine", "duckdb", cwd=tmp_path)
    assert opened == [False] and not scans
    assert "DC907" in python.stderr and "more than 30 deployments" in python.stderr
    assert (duck.returncode, duck.stdout, duck.stderr) == (2, python.stdout, python.stderr)
