"""Every input limit: documented, configurable, enforced before the work it bounds, with a
located diagnostic and exit code 2.

Inputs over a limit are generated here (sparse files where they are large),
never stored in the repository.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from robustness_helpers import ROOT, VOCABULARY, run_cli

import dealcheck
from dealcheck import limits
from dealcheck.dsl.format import format_source
from dealcheck.io_text import read_text

LIMITS_DOC = ROOT / "docs" / "limits.md"
ROW = ('{"id": "d%d", "party": "OpenAI", "workload": "api", "provider": "Azure", '
       '"start": "2025-03-01"}\n')
CSV_HEADER = "id,party,workload,provider,start\n"
TERMS_HEAD = """\
agreement "Limits" effective 2025-01-01
party OpenAI
provider Azure operated by OpenAI
workload api
fact consent: bool
"""


def _errors(*argv: str) -> list[tuple[str, int, int, str]]:
    run = run_cli(*argv, "--error-format", "json")
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    return [(str(d["code"]), int(d["line"]), int(d["column"]), str(d["message"]))  # type: ignore[call-overload]
            for d in run.diagnostics()]


def _check(*scenarios: Path) -> list[tuple[str, int, int, str]]:
    return _errors("check", str(VOCABULARY), *(str(s) for s in scenarios))


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of `size` bytes that takes no room on disk (zeros after `head`)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


# ---------------------------------------------------------------- the table


def test_docs_list_every_limit_with_its_default_and_variable() -> None:
    text = LIMITS_DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(DEALCHECK_[A-Z_]+)` \| ([^|]+) \|", text, re.MULTILINE)
    documented = {env: default.strip() for env, default in rows}
    assert set(documented) == {limit.env for limit in limits.LIMITS}
    for limit in limits.LIMITS:
        literal = re.match(r"`([0-9_.e]+)`", documented[limit.env])
        assert literal, documented[limit.env]
        assert Decimal(literal[1].replace("_", "")) == limit.default, limit.env


def test_environment_variables_change_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for limit in limits.LIMITS:
        assert limit.value() == limit.default
        monkeypatch.setenv(limit.env, "1_000")
        assert limit.value() == 1000
    monkeypatch.setenv("DEALCHECK_MAX_QUANTITY", "1e40")
    assert limits.MAX_QUANTITY.value() == 10**40


def test_configured_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_NESTING", "10")
    with limits.configured(max_nesting=3, max_deployments=7):
        assert (limits.MAX_NESTING.value(), limits.MAX_DEPLOYMENTS.value()) == (3, 7)
    assert limits.MAX_NESTING.value() == 10
    with pytest.raises(ValueError, match="unknown limit 'max_depth'"), \
            limits.configured(max_depth=3):
        pass
    with pytest.raises(ValueError, match="whole number >= 1"), limits.configured(max_nesting=0):
        pass


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "1e999", "12 MB"])
def test_an_invalid_limit_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_NESTING", value)
    run = run_cli("lint", str(VOCABULARY))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert (f"<environment>:1:1: error[DC909]: DEALCHECK_MAX_NESTING must be a whole number "
            f">= 1, found `{value}`") in run.stderr
    assert "help: unset it for the default (64), or write e.g. DEALCHECK_MAX_NESTING=64" \
        in run.stderr


# ---------------------------------------------------------------- file size


def test_terms_over_the_size_limit_are_refused_unread(tmp_path: Path) -> None:
    limit = limits.MAX_FILE_BYTES.default
    path = _sparse(tmp_path / "huge.deal", limit + 1, TERMS_HEAD.encode())
    assert _errors("lint", str(path)) == [
        ("DC902", 1, 1, f"`{path}` is {limit + 1} bytes, over the limit of {limit}")]
    run = run_cli("lint", str(path))
    assert "help: raise the limit with DEALCHECK_MAX_FILE_BYTES if this is intended" in run.stderr


def test_a_scenario_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    size = 4 * 1024**3  # 4 GiB, sparse: reading it would take minutes and all the memory
    for name in ("huge.yaml", "huge.json"):
        path = _sparse(tmp_path / name, size, b"deployments:\n")
        limit = limits.MAX_FILE_BYTES.default
        assert _check(path) == [
            ("DC902", 1, 1, f"`{path}` is {size} bytes, over the limit of {limit}")]


def test_the_size_limit_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("deployments:\n  - {id: d1, party: OpenAI, workload: api, provider: Azure,"
                    " start: 2025-03-01}\n", encoding="utf-8")
    monkeypatch.setenv("DEALCHECK_MAX_FILE_BYTES", "50")
    assert [e[0] for e in _check(path)] == ["DC902"]
    monkeypatch.setenv("DEALCHECK_MAX_FILE_BYTES", "5000")
    assert len(dealcheck.load(VOCABULARY).vocabulary.parties) == 2
    from dealcheck.scenario.read import load_scenario

    assert len(load_scenario(path, dealcheck.load(VOCABULARY).vocabulary).deployments) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_read_only_up_to_the_limit(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_FILE_BYTES", "1000")
    fifo = tmp_path / "terms.deal"
    os.mkfifo(fifo)

    def feed() -> None:
        # BrokenPipeError: the reader stopped at the limit, as it should.
        with fifo.open("wb") as pipe, contextlib.suppress(BrokenPipeError):
            pipe.write(b"#" * 100_000)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        read_text(str(fifo))
    writer.join(10)
    [d] = caught.value.diagnostics
    assert (d.code, d.message) == ("DC902", f"`{fifo}` is over the limit of 1000 bytes")


# ---------------------------------------------------------------- line length


def test_a_streamed_line_over_the_limit_stops_the_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_LINE_BYTES", "200")
    path = tmp_path / "plan.jsonl"
    long_row = ROW.replace('"d%d"', '"' + "x" * 300 + '"')
    path.write_text(ROW % 1 + long_row + ROW % 3, encoding="utf-8")
    assert _check(path) == [("DC905", 2, 1, "line 2 is longer than 200 bytes")]


@pytest.mark.parametrize("name", ["endless.csv", "endless.jsonl"])
def test_a_file_without_line_breaks_is_not_read_whole(tmp_path: Path, name: str) -> None:
    # 2 GiB of zeros and no line break: refused after reading one line's worth.
    path = _sparse(tmp_path / name, 2 * 1024**3)
    limit = limits.MAX_LINE_BYTES.default
    assert _check(path) == [("DC905", 1, 1, f"line 1 is longer than {limit} bytes")]


def test_a_line_exactly_at_the_limit_is_accepted(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    row = ROW % 1
    monkeypatch.setenv("DEALCHECK_MAX_LINE_BYTES", str(len(row.encode()) - 1))  # without "\n"
    path = tmp_path / "plan.jsonl"
    path.write_text(row, encoding="utf-8")
    from dealcheck.scenario.read import validate_file

    assert validate_file(path, dealcheck.load(VOCABULARY).vocabulary) == []


# ---------------------------------------------------------------- number of deployments


def test_too_many_deployments_in_a_stream(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "3")
    jsonl = tmp_path / "plan.jsonl"
    jsonl.write_text("".join(ROW % i for i in range(10)), encoding="utf-8")
    assert _check(jsonl) == [("DC907", 4, 1, "more than 3 deployments")]
    csv = tmp_path / "plan.csv"
    csv.write_text(CSV_HEADER + "".join(f"d{i},OpenAI,api,Azure,2025-03-01\n"
                                        for i in range(10)), encoding="utf-8")
    assert _check(csv) == [("DC907", 5, 1, "more than 3 deployments")]


def test_the_deployment_limit_counts_every_file_of_a_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "3")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.yaml"
    first.write_text(ROW % 1 + ROW % 2, encoding="utf-8")
    second.write_text("deployments:\n" + "".join(
        f"  - {{id: e{i}, party: OpenAI, workload: api, provider: Azure, start: 2025-03-01}}\n"
        for i in range(2)), encoding="utf-8")
    assert _check(first, second) == [("DC907", 3, 5, "more than 3 deployments")]


def test_a_yaml_or_json_list_is_cut_at_the_limit(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_DEPLOYMENTS", "3")
    json_file = tmp_path / "plan.json"
    json_file.write_text('{"deployments": [1, 2, 3, 4, 5]}', encoding="utf-8")
    assert _check(json_file) == [("DC907", 1, 27, "more than 3 items in one list")]
    yaml_file = tmp_path / "plan.yaml"
    yaml_file.write_text("deployments: [1, 2, 3, 4, 5]\n", encoding="utf-8")
    assert _check(yaml_file) == [("DC907", 1, 24, "more than 3 items in one list")]


# ---------------------------------------------------------------- nesting


def _nested(depth: int) -> str:
    return "not (" * (depth // 2) + "consent" + ")" * (depth // 2)


def test_nesting_over_the_limit_is_refused_before_parsing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep.deal"
    path.write_text(TERMS_HEAD + "clause c1:\n  OpenAI runs api only if " + _nested(10) + "\n",
                    encoding="utf-8")
    assert run_cli("lint", str(path)).code == 0
    monkeypatch.setenv("DEALCHECK_MAX_NESTING", "9")
    [(code, line, column, message)] = _errors("lint", str(path))
    assert (code, line, column, message) == (
        "DC906", 7, 51, "condition nested deeper than 9 levels")
    run = run_cli("lint", str(path))
    assert "help: split the condition, or raise the limit with DEALCHECK_MAX_NESTING" in run.stderr


def test_nesting_limit_applies_to_yaml_and_json(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_NESTING", "4")
    ok, deep = tmp_path / "ok.json", tmp_path / "deep.yaml"
    ok.write_text('{"deployments": [{"id": "d1", "party": "OpenAI", "workload": "api", '
                  '"provider": "Azure", "start": "2025-03-01", "facts": {"budget": 5}}]}',
                  encoding="utf-8")
    from dealcheck.scenario.read import validate_file

    assert validate_file(ok, dealcheck.load(VOCABULARY).vocabulary) == []
    deep.write_text("deployments:\n  - facts: {budget: [1]}\n", encoding="utf-8")
    assert _check(deep) == [("DC906", 2, 21, "YAML nested deeper than 4 levels")]


def test_the_default_nesting_is_safe_through_every_stage() -> None:
    """A condition at the nesting limit survives every recursive pass, even called from deep."""
    depth = limits.MAX_NESTING.default
    text = (TERMS_HEAD + "clause c1:\n  OpenAI runs api only if " + _nested(depth) + "\n"
            'example "deep":\n  deployment d: OpenAI runs api on Azure starting 2025-03-01 '
            "with consent = true\n  expect compliant\n")

    def everything(frames: int) -> None:
        if frames:
            everything(frames - 1)
            return
        terms, diagnostics = dealcheck.analyze(text, "deep.deal", warnings=True)
        assert terms is not None, diagnostics
        format_source(text, "deep.deal")
        report = terms.check([{"id": "d", "party": "OpenAI", "workload": "api",
                               "provider": "Azure", "start": "2025-03-01",
                               "facts": {"consent": False}}])
        report.to_json()
        from dealcheck.checker.examples import Coverage, run_examples

        assert all(outcome.passed for outcome in run_examples(terms, Coverage()))

    # Leave room for the callers a library user may have (a web framework, a test runner).
    everything(max(0, sys.getrecursionlimit() // 4))


# ---------------------------------------------------------------- quantities


def test_quantity_limit_in_terms_and_scenarios(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_MAX_QUANTITY", "1000")
    terms = tmp_path / "t.deal"
    terms.write_text(TERMS_HEAD + "clause c1:\n  total capacity of deployments is at most 2 kW\n",
                     encoding="utf-8")
    assert _errors("lint", str(terms)) == [("DC118", 7, 44, "`2` is too large")]
    plan = tmp_path / "plan.csv"
    plan.write_text("id,party,workload,provider,start,capacity\n"
                    "d1,OpenAI,api,Azure,2025-03-01,2000 GPU\n", encoding="utf-8")
    assert _check(plan) == [("DC307", 2, 32, "`2000 GPU` in `capacity` is too large")]
    run = run_cli("check", str(VOCABULARY), str(plan))
    assert ("help: quantities are limited to 1e+03 base units; raise the limit with "
            "DEALCHECK_MAX_QUANTITY if this is intended") in run.stderr
