"""The compiled evaluators, and either engine of a check, give exactly what the reference gives."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import check
from dealcheck.checker.compile import reference_only
from dealcheck.checker.evaluate import evaluate_deployment, evaluate_reference
from dealcheck.cli import main
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, SourceLocation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TERMS = [EXAMPLES / "microsoft-openai" / "terms.deal", EXAMPLES / "stargate" / "terms.deal"]


def _deployments(terms: dealcheck.Terms, count: int, seed: int) -> list[Deployment]:
    vocabulary = terms.vocabulary
    rng = random.Random(seed)
    out = []
    for i in range(count):
        facts: dict[str, object] = {}
        for name, fact in vocabulary.facts.items():
            if rng.random() < 0.4:
                facts[name] = (rng.random() < 0.5 if fact.type.kind == "bool"
                               else rng.choice(fact.type.values))
        start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(3200))
        out.append(Deployment(
            id=f"d{i}", party=rng.choice(list(vocabulary.parties)),
            workload=rng.choice(list(vocabulary.workloads)),
            provider=rng.choice(list(vocabulary.providers)), start=start,
            region=rng.choice([*vocabulary.regions, None]),
            value=rng.choice([None, Quantity(Decimal(10**9), "money", "1B USD")]),
            capacity=rng.choice([None, Quantity(Decimal(10**9), "power", "1 GW")]),
            facts=facts, source=SourceLocation("inventory", i + 1, 1)))
    return out


#: Under ``DEALCHECK_EVALUATOR=reference`` there are no compiled evaluators to compare: the
#: comparison would be of the reference with itself.
GENERATED_ONLY = pytest.mark.skipif(
    reference_only(), reason="compares the generated evaluators with the reference, and "
    "DEALCHECK_EVALUATOR=reference leaves only the reference")


@GENERATED_ONLY
@pytest.mark.parametrize("path", TERMS, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("as_of", [None, dt.date(2025, 11, 1), dt.date(2026, 5, 1)])
def test_compiled_evaluation_equals_the_reference(path: Path, as_of: dt.date | None) -> None:
    terms = dealcheck.load(path)
    ct = terms.compiled()
    deployments = _deployments(terms, 3000, seed=len(str(path)))
    report = check(ct, deployments, as_of)
    for d, got in zip(deployments, report.deployments, strict=True):
        want = evaluate_reference(ct, d, as_of)
        assert got == want and got.source == want.source
        assert evaluate_deployment(ct, d, as_of) == want


@GENERATED_ONLY
def test_aggregates_compiled_observers_equal_the_reference() -> None:
    terms = dealcheck.load(TERMS[1])
    book = AggregateBook(terms.compiled())
    for d in _deployments(terms, 2000, seed=7):
        for tally in book.tallies:
            assert tally.observe(d) == tally.observe_reference(d)


def _inventory(tmp_path: Path) -> tuple[Path, Path]:
    terms = dealcheck.load(TERMS[0])
    lines, rows = [], ["id,party,workload,provider,region,start,value,facts.rofr_declined"]
    for d in _deployments(terms, 1500, seed=3):
        region = f', "region": "{d.region}"' if d.region else ""
        declined = d.facts.get("rofr_declined")
        flag = str(declined).lower()
        fact = "" if declined is None else f', "facts": {{"rofr_declined": {flag}}}'
        lines.append(f'{{"id": "{d.id}", "party": "{d.party}", "workload": "{d.workload}", '
                     f'"provider": "{d.provider}", "start": "{d.start}"{region}'
                     f', "value": "1B USD"{fact}}}')
        cells = [f'"c{d.id} with ""quotes"", commas"', d.party, d.workload, d.provider,
                 d.region or "", d.start.isoformat(), "2B USD",
                 "" if declined is None else str(declined).lower()]
        rows.append(",".join(cells))
        if len(rows) % 100 == 0:
            rows.append("")  # blank lines are skipped
    jsonl, csv = tmp_path / "inventory.jsonl", tmp_path / "inventory.csv"
    jsonl.write_text("\n".join(lines) + "\n", "utf-8")
    csv.write_text("\n".join(rows) + "\n", "utf-8")
    return jsonl, csv


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "as_of"), [("json", None), ("json", "2025-11-01"),
                                           ("jsonl", None), ("junit", None),
                                           ("text", "2025-11-01")])
def test_engines_and_jobs_give_the_byte_identical_report(tmp_path: Path, fmt: str,
                                                         as_of: str | None) -> None:
    # DuckDB reads the bulk files with three threads; beside a YAML file, the
    # Python reader reads them all, in one process whatever `--jobs` says.
    jsonl, csv = _inventory(tmp_path)
    yaml = EXAMPLES / "microsoft-openai" / "deals.yaml"
    runs = [(["--engine", "python"], [jsonl, csv]), (["--engine", "duckdb", "--jobs", "3"],
                                                      [jsonl, csv]),
            (["--engine", "python"], [jsonl, yaml, csv]),
            (["--engine", "auto", "--jobs", "3"], [jsonl, yaml, csv])]
    reports = []
    for number, (options, paths) in enumerate(runs):
        out = tmp_path / f"report{number}.{fmt}"
        argv = ["check", str(TERMS[0]), *map(str, paths), "--format", fmt, "-o", str(out),
                *options] + (["--as-of", as_of] if as_of else [])
        assert main(argv) in (0, 1)
        reports.append(out.read_bytes())
    assert reports[0] == reports[1] and reports[2] == reports[3]
    if fmt == "json":
        assert (b'"contributors": [\n        "d' in reports[0]
                or b'"contributors": []' in reports[0])
        assert reports[0].count(b'\n      "evaluated_on": ') >= 3000  # every deployment


def _rows(count: int, start: int = 0) -> list[str]:
    return [f'{{"id": "d{i}", "party": "OpenAI", "workload": "api", "provider": "Azure", '
            f'"start": "2025-03-01"}}' for i in range(start, start + count)]


def _problem_files(tmp_path: Path) -> dict[str, list[Path]]:
    """Inputs with one kind of problem each, most of them late in the file."""
    rows = _rows(400)
    files: dict[str, list[Path]] = {}

    def write(name: str, lines: list[str], *, bom: bool = False) -> Path:
        path = tmp_path / name
        path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode())
        return path

    files["undeclared name, last piece"] = [write("late.jsonl", [*rows[:-1], rows[-1].replace(
        "Azure", "Azur")])]
    files["duplicate id across pieces"] = [write("dup.jsonl", [*rows, _rows(1, 3)[0]])]
    yaml = tmp_path / "other.yaml"
    yaml.write_text("deployments:\n  - {id: d399, party: OpenAI, workload: api, provider: Azure, "
                    "start: 2025-03-01}\n", "utf-8")
    files["duplicate id across files"] = [write("ok.jsonl", rows), yaml]
    # A byte order mark starting a line in the middle: allowed only at the file's start.
    files["byte order mark starting a line"] = [write("bom.jsonl", [
        *rows[:200], "\ufeff" + rows[200], *rows[201:]])]
    files["line too long, last piece"] = [write("long.jsonl", [
        *rows[:-1], rows[-1][:-1] + ', "facts": {}' + " " * 300 + "}"])]
    files["blank lines only"] = [write("blank.jsonl", [""] * 10_000)]
    files["one too many deployments"] = [write("many.jsonl", rows)]
    files["invalid CSV row, last piece"] = [write("late.csv", [
        "id,party,workload,provider,start",
        *(f"c{i},OpenAI,api,Azure,2025-03-01" for i in range(399)), "c399,OpenAI,api,Azure,"])]
    files["valid, with a byte order mark at the start"] = [write("ok-bom.jsonl", rows, bom=True)]
    return files


@pytest.mark.slow
def test_the_engines_report_every_input_problem_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_LINE_BYTES", "300")  # rows are ~100 bytes
    for problem, paths in _problem_files(tmp_path).items():
        if problem == "one too many deployments":
            monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "399")
        else:
            monkeypatch.delenv("DEALCHECK_MAX_DEPLOYMENTS", raising=False)
        outcomes = []
        for engine in ("python", "duckdb"):
            argv = ["check", str(TERMS[0]), *map(str, paths), "--format", "json",
                    "--error-format", "json", "--engine", engine, "--jobs", "3",
                    "-o", str(tmp_path / "r.json")]
            status = main(argv)
            outcomes.append((status, capsys.readouterr().err))
        assert outcomes[0] == outcomes[1], problem
        expected_status = 0 if problem.startswith("valid") else 2
        assert outcomes[0][0] == expected_status, (problem, outcomes[0])


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_nothing_is_shown_before_every_row_is_known_valid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str) -> None:
    # The python engine judges rows as it reads them: a bad last row must leave no
    # partial report (DuckDB validates them all first).
    path = tmp_path / "late.jsonl"
    rows = _rows(400)
    path.write_text("\n".join([*rows[:-1], rows[-1].replace("Azure", "Azur")]) + "\n", "utf-8")
    previous = tmp_path / "report.txt"
    previous.write_text("the previous report\n", "utf-8")
    for output in ([], ["-o", str(previous)]):
        status = main(["check", str(TERMS[0]), str(path), "--engine", engine, *output])
        captured = capsys.readouterr()
        assert status == 2
        assert captured.out == ""
        assert "late.jsonl:400:" in captured.err and "undeclared provider `Azur`" in captured.err
    assert previous.read_text("utf-8") == "the previous report\n"


def test_ids_that_only_share_a_hash_are_checked_the_usual_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dealcheck.scenario import read

    path = tmp_path / "ok.jsonl"
    path.write_text("\n".join(_rows(400)) + "\n", "utf-8")
    argv = ["check", str(TERMS[0]), str(path), "--format", "json", "--engine", "python"]
    assert main(argv) == 0
    expected = capsys.readouterr().out

    def collide(self: read.Pending) -> None:
        raise read.PiecesRejected("ids")  # as if two ids had the same hash

    monkeypatch.setattr(read.Pending, "finish", collide)
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (expected, "")


def test_a_renderer_that_streams_is_held_back_until_every_row_is_valid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dealcheck.report import output

    class LineByLine:
        def begin(self, meta: object) -> list[str]:
            return ["begin\n"]

        def deployment(self, result: dealcheck.DeploymentResult) -> list[str]:
            return [f"{result.id}\n"]

        def end(self, aggregates: object, summary: object) -> list[str]:
            return ["end\n"]

    monkeypatch.setattr(output, "make_renderer", lambda *args, **kwargs: LineByLine())
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text("\n".join(_rows(3)) + "\n", "utf-8")
    bad.write_text("\n".join([*_rows(2), _rows(1, 2)[0].replace("Azure", "Azur")]) + "\n")
    assert main(["check", str(TERMS[0]), str(good)]) == 0
    assert capsys.readouterr().out == "begin\nd0\nd1\nd2\nend\n"
    assert main(["check", str(TERMS[0]), str(bad)]) == 2
    assert capsys.readouterr().out == ""
