"""The compiled evaluators and the parallel check give exactly what the reference gives."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker import parallel
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import check
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
                                           ("junit", None), ("text", "2025-11-01")])
def test_jobs_give_the_byte_identical_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             fmt: str, as_of: str | None) -> None:
    # Small pieces, so that each file is cut many times (at line and record boundaries).
    # JSON rows are rendered in the workers; the other formats render in this process.
    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    jsonl, csv = _inventory(tmp_path)
    yaml = EXAMPLES / "microsoft-openai" / "deals.yaml"
    reports = []
    for jobs in ("1", "3"):
        out = tmp_path / f"report{jobs}.{fmt}"
        argv = ["check", str(TERMS[0]), str(jsonl), str(yaml), str(csv), "--format", fmt,
                "-o", str(out), "--jobs", jobs] + (["--as-of", as_of] if as_of else [])
        assert main(argv) in (0, 1)
        reports.append(out.read_bytes())
    assert reports[0] == reports[1]
    if fmt == "json":
        assert (b'"contributors": [\n        "d' in reports[0]
                or b'"contributors": []' in reports[0])
        assert reports[0].count(b'\n      "evaluated_on": ') >= 3000  # every deployment


def test_jobs_render_the_json_rows_in_the_workers(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.report.json import DeploymentText
    from dealcheck.report.output import RenderedRows, rows_renderer
    from dealcheck.scenario import read

    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    jsonl, _ = _inventory(tmp_path)
    terms = dealcheck.load(TERMS[0])
    ct = terms.compiled()
    with parallel.ParallelCheck(str(TERMS[0]), ct, [str(jsonl)], 2, None,
                                rows_renderer("json")) as workers:
        inputs = workers.open()
        got = list(workers.results(inputs, AggregateBook(ct)))
        assert len(got) > 5 and all(isinstance(rows, RenderedRows) for rows in got)
        # Each piece's rows wait in a file of the worker's, until the report is written.
        assert all(rows.path is not None and rows.text == "" for rows in got)
        texts = [Path(rows.path).read_text("utf-8") for rows in got if rows.path]
    expected = check(ct, read.iter_deployments(jsonl, terms.vocabulary)).deployments
    text = DeploymentText("    ")
    # The renderer puts a comma between runs, as between rows.
    assert ",".join(t for t, rows in zip(texts, got, strict=True) if rows.deployments) == "".join(
        "\n    " + text(r) if n == 0 else ",\n    " + text(r) for n, r in enumerate(expected))
    assert sum(rows.deployments for rows in got) == len(expected)
    assert sum(rows.violation for rows in got) == sum(
        r.verdict is dealcheck.Verdict.VIOLATION for r in expected)
    assert sum(rows.not_covered for rows in got) == sum(r.not_covered for r in expected)


def test_split_cuts_csv_only_outside_quotes(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_bytes(b'id,party\n' + b''.join(
        b'"a\nb%d",P\n' % i if i % 3 == 0 else b'x%d,P\n' % i for i in range(500)))
    pieces = parallel.split(str(path), "csv", 256)
    assert pieces is not None and len(pieces) > 5
    data = path.read_bytes()
    for piece in pieces:
        before = data[:piece.start]
        assert before.count(b'"') % 2 == 0 and (not before or before.endswith(b"\n"))
        assert piece.line == before.count(b"\n") + 1  # where its rows' line numbers start


# -- --jobs validates bulk files in pieces, and reports problems as --jobs 1 does ------------


def _rows(count: int, start: int = 0) -> list[str]:
    return [f'{{"id": "d{i}", "party": "OpenAI", "workload": "api", "provider": "Azure", '
            f'"start": "2025-03-01"}}' for i in range(start, start + count)]


def _problem_files(tmp_path: Path) -> dict[str, list[Path]]:
    """Inputs of several pieces (at 4 KiB a piece), each with one kind of problem."""
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
    # A byte order mark at the start of the second piece: allowed only at the file's.
    inner = write("bom.jsonl", rows)
    pieces = parallel.split(str(inner), "jsonl", 4096)
    assert pieces is not None
    data = inner.read_bytes()
    inner.write_bytes(data[:pieces[1].start] + "\ufeff".encode() + data[pieces[1].start:])
    files["byte order mark starting the second piece"] = [inner]
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
def test_jobs_report_every_input_problem_as_one_process_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    monkeypatch.setenv("DEALCHECK_MAX_LINE_BYTES", "300")  # rows are ~100 bytes
    for problem, paths in _problem_files(tmp_path).items():
        assert len(parallel.split(str(paths[0]), paths[0].suffix[1:], 4096) or []) > 1, problem
        if problem == "one too many deployments":
            monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "399")
        else:
            monkeypatch.delenv("DEALCHECK_MAX_DEPLOYMENTS", raising=False)
        outcomes = []
        for jobs in ("1", "3"):
            argv = ["check", str(TERMS[0]), *map(str, paths), "--format", "json",
                    "--error-format", "json", "--jobs", jobs, "-o", str(tmp_path / "r.json")]
            status = main(argv)
            outcomes.append((status, capsys.readouterr().err))
        assert outcomes[0] == outcomes[1], problem
        expected_status = 0 if problem.startswith("valid") else 2
        assert outcomes[0][0] == expected_status, (problem, outcomes[0])


def test_jobs_validate_and_judge_bulk_files_in_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.scenario import load, read

    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    path = tmp_path / "ok.jsonl"
    path.write_text("\n".join(_rows(400)) + "\n", "utf-8")
    in_parent = []
    # Wherever the readers of a whole file are looked up.
    for module, name in ((read, "validate_stream"), (load, "validate_stream"),
                         (read, "iter_validated")):
        monkeypatch.setattr(module, name, lambda *args, n=name: in_parent.append(n) or 1 / 0)
    terms = dealcheck.load(TERMS[0])
    ct = terms.compiled()
    with parallel.ParallelCheck(str(TERMS[0]), ct, [str(path)], 2, None) as workers:
        inputs = workers.open()
        assert inputs.pending is not None and inputs.count is None  # read as it is judged
        results = list(workers.results(inputs, AggregateBook(ct)))
        spool = workers._spool
        assert spool is not None and Path(spool.name).is_dir()
    assert in_parent == []
    assert [r.id for r in results] == [f"d{i}" for i in range(400)]
    expected = check(ct, read.iter_deployments(path, terms.vocabulary)).deployments
    assert results == expected
    assert [r.source for r in results] == [r.source for r in expected]
    assert not Path(spool.name).exists()  # the spool is removed on leaving


def test_jobs_judge_files_validated_in_this_process_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where workers cannot be forked, `open` validates here, and the pieces are
    # only judged by the workers.
    from dealcheck.scenario.read import open_scenarios

    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    path = tmp_path / "ok.jsonl"
    path.write_text("\n".join(_rows(400)) + "\n", "utf-8")
    terms = dealcheck.load(TERMS[0])
    ct = terms.compiled()
    inputs = open_scenarios([str(path)], terms.vocabulary)
    with parallel.ParallelCheck(str(TERMS[0]), ct, [str(path)], 2, None) as workers:
        results = list(workers.results(inputs, AggregateBook(ct)))
        assert workers._spool is None  # nothing was judged ahead
    expected = check(ct, inputs.deployments()).deployments
    assert results == expected
    assert [r.source for r in results] == [r.source for r in expected]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nothing_is_shown_before_every_row_is_known_valid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        jobs: str) -> None:
    # Rows are judged as they are read: a bad last row must leave no partial report.
    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    path = tmp_path / "late.jsonl"
    rows = _rows(400)
    path.write_text("\n".join([*rows[:-1], rows[-1].replace("Azure", "Azur")]) + "\n", "utf-8")
    previous = tmp_path / "report.txt"
    previous.write_text("the previous report\n", "utf-8")
    for output in ([], ["-o", str(previous)]):
        status = main(["check", str(TERMS[0]), str(path), "--jobs", jobs, *output])
        captured = capsys.readouterr()
        assert status == 2
        assert captured.out == ""
        assert "late.jsonl:400:" in captured.err and "undeclared provider `Azur`" in captured.err
    assert previous.read_text("utf-8") == "the previous report\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ids_that_only_share_a_hash_are_checked_the_usual_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        jobs: str) -> None:
    from dealcheck.scenario import read

    monkeypatch.setattr(parallel, "PIECE_BYTES", 4096)
    path = tmp_path / "ok.jsonl"
    path.write_text("\n".join(_rows(400)) + "\n", "utf-8")
    argv = ["check", str(TERMS[0]), str(path), "--format", "json", "--jobs", jobs]
    assert main([*argv[:-1], "1"]) == 0
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
