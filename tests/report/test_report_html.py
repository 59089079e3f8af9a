"""The HTML report without a browser: its numbers, escaping, determinism and self-containment."""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from html_page import FOREIGN, HOSTILE_SCENARIO, HOSTILE_TERMS, json_value, read_page
from hypothesis import given, settings
from hypothesis import strategies as st
from report_samples import TEST_VERSION, build_report

import dealcheck
from dealcheck import checked_inputs
from dealcheck.checked_inputs import html_context
from dealcheck.checker.results import Report
from dealcheck.report import html as html_module
from dealcheck.report.html import embedded_json, render_html
from dealcheck.report.json import render_json
from dealcheck.report.output import REPORT_FORMATS
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "microsoft-openai"


def example_page(tmp_path: Path, name: str = "report.html") -> str:
    out = tmp_path / name
    done = run_dealcheck("check", "terms.deal", "deals.yaml", "--format", "html", "-o", out,
                         cwd=EXAMPLE)
    assert done.returncode == 0, done.stderr
    return out.read_text("utf-8")


def test_html_is_a_report_format() -> None:
    assert "html" in REPORT_FORMATS


def test_doctests() -> None:
    assert doctest.testmod(html_module).failed == 0


def test_numbers_shown_equal_the_json_report(report: Report) -> None:
    page = read_page(render_html(report, version=TEST_VERSION))
    document = json.loads(render_json(report, version=TEST_VERSION))
    assert page.embedded() == document
    expected = {"verdict", "summary.deployments", "summary.compliant", "summary.violation",
                "summary.undetermined", "summary.not_covered"}
    expected |= {f"aggregates.{i}.{key}" for i in range(len(report.aggregates))
                 for key in ("total", "limit")}
    assert expected <= page.fields.keys()
    for path, shown in page.fields.items():
        assert shown == [json_value(document, path)] * len(shown), path


def test_equal_reports_give_byte_identical_pages(tmp_path: Path) -> None:
    first = example_page(tmp_path, "a.html")
    assert first == example_page(tmp_path, "b.html")
    page = read_page(first)
    assert page.embedded()["dealcheck_version"] == dealcheck.__version__


@pytest.mark.slow
def test_processes_with_other_hash_seeds_give_the_same_page(tmp_path: Path) -> None:
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"{seed}.html"
        done = subprocess.run(
            [sys.executable, "-m", "dealcheck", "check", "terms.deal", "deals.yaml", "--format",
             "html", "-o", str(out)], cwd=EXAMPLE, capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
    assert pages[0].decode("utf-8") == example_page(tmp_path)


def test_the_page_refers_to_nothing_outside_itself(tmp_path: Path) -> None:
    html = example_page(tmp_path)
    page = read_page(html)
    tags = [tag for tag, _ in page.tags]
    assert not FOREIGN & set(tags)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "report"}]
    attributes = {name for _, attrs in page.tags for name in attrs}
    assert not {"src", "href", "xlink:href", "action"} & attributes
    assert not [name for name in attributes if name.startswith("on")]
    assert "url(" not in html and "@import" not in html
    policy = [a["content"] for tag, a in page.tags if a.get("http-equiv")]
    assert policy and "default-src 'none'" in (policy[0] or "")


def test_the_example_page_has_every_section(tmp_path: Path) -> None:
    page = read_page(example_page(tmp_path))
    text = "".join(page.text)
    assert {"summary", "non-compliant", "aggregates", "timeline", "matrix"} <= page.ids()
    # The clause text and its source, the amendments, the providers of the matrix.
    assert "OpenAI runs non_api off Azure only if rofr_declined" in text
    assert "build additional capacity, primarily for research and training" in text
    assert "Stargate announcement" in text and "Definitive agreement" in text
    headers = [a.get("scope") for tag, a in page.tags if tag == "th"]
    assert headers.count("row") == 8  # AWS, Azure, Cerebras, CoreWeave, GCP, Nscale, OCI, Stargate
    failing = [d["id"] for d in page.embedded()["deployments"] if d["verdict"] != "compliant"]
    assert all(ident in text for ident in failing)


def test_hostile_ids_titles_and_sources_stay_text(tmp_path: Path) -> None:
    terms = shutil.copy(HOSTILE_TERMS, tmp_path)
    scenario = shutil.copy(HOSTILE_SCENARIO, tmp_path)
    out = tmp_path / "hostile.html"
    done = run_dealcheck("check", terms, scenario, "--format", "html", "-o", out, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # a violation
    page = read_page(out.read_text("utf-8"))
    assert not [i for i in page.ids() if i.startswith("pwn")]
    assert not FOREIGN & {tag for tag, _ in page.tags}
    assert [tag for tag, _ in page.tags].count("script") == 1
    text = "".join(page.text)
    for shown in ("</script><img id=pwn-id src=x onerror=alert(1)>",
                  "Hostile <b id=pwn-title>deal</b> & co",
                  "<svg id=pwn-cap onload=alert(1)>",
                  "<u id=pwn-amendment>amended</u>"):
        assert shown in text
    ids = [d["id"] for d in page.embedded()["deployments"]]
    assert "</script><img id=pwn-id src=x onerror=alert(1)>" in ids


@given(st.text())
def test_embedded_json_is_inert_and_parses_back(value: str) -> None:
    inert = embedded_json(json.dumps({"id": value}, ensure_ascii=False))
    assert "<" not in inert and ">" not in inert and "&" not in inert
    assert json.loads(inert) == {"id": value}


def test_a_changed_input_is_left_out_of_the_context(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("terms.deal", "deals.yaml"):
        shutil.copy(EXAMPLE / name, tmp_path)
    report = dealcheck.check_files(tmp_path / "terms.deal", [tmp_path / "deals.yaml"])
    context = html_context(report)
    assert [t.title for t in context.agreements] == ["Microsoft–OpenAI partnership"]
    assert len(context.deployments) == len(report.deployments)
    monkeypatch.setattr(checked_inputs, "MAX_CONTEXT", len(report.deployments) - 1)
    assert html_context(report).agreements and not html_context(report).deployments
    monkeypatch.undo()
    with (tmp_path / "deals.yaml").open("a", encoding="utf-8") as stream:
        stream.write("# changed\n")
    changed = html_context(report)
    assert changed.agreements and not changed.deployments
    page = read_page(render_html(report, context=changed))
    assert "matrix" in page.ids()
    assert not [a for tag, a in page.tags if tag == "table"]


@pytest.mark.parametrize("rows", [0, 1])
def test_long_lists_are_cut_and_say_so(report: Report, rows: int) -> None:
    failing = sum(1 for d in report.deployments if d.verdict.value != "compliant")
    text = "".join(read_page(render_html(report, max_rows=rows)).text)
    assert f"… and {failing - rows} more not shown" in text


def _with_text(report: Report, value: str) -> Report:
    """`report` with `value` as every text a deployment, finding and aggregate holds."""
    deployments = [dataclasses.replace(
        d, id=f"{value}{i}",
        findings=tuple(dataclasses.replace(f, clause=value, message=value, agreement=value,
                                           fix=value if f.fix else None,
                                           missing_facts=tuple(value for _ in f.missing_facts))
                       for f in d.findings))
        for i, d in enumerate(report.deployments)]
    aggregates = [dataclasses.replace(a, clause=value, message=value, agreement=value)
                  for a in report.aggregates]
    return dataclasses.replace(report, deployments=deployments, aggregates=aggregates,
                               terms=dataclasses.replace(report.terms, path=value))


_MARKUP = st.text(st.sampled_from("<>&\"'/=!-[]` abcSCRIPTimg\\\u2028"), min_size=1)
_ANY = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1)


@settings(max_examples=50)
@given(st.one_of(_MARKUP, _ANY))
def test_no_text_changes_the_page_s_elements(value: str) -> None:
    report = build_report()
    plain = read_page(render_html(_with_text(report, "x"), version=TEST_VERSION))
    page = read_page(render_html(_with_text(report, value), version=TEST_VERSION))
    assert [tag for tag, _ in page.tags] == [tag for tag, _ in plain.tags]
    assert value in "".join(page.text)
    assert page.embedded()["deployments"][0]["id"] == f"{value}0"


def test_bars_are_the_totals_part_of_the_limit(report: Report) -> None:
    page = read_page(render_html(report))
    bars = [(a["class"], a["width"]) for tag, a in page.tags
            if tag == "rect" and (a.get("class") or "").startswith("bar-")]
    # 38B of 250B USD: 15.2% of 640; 520B of 500B USD: a full bar, not more.
    assert bars[:2] == [("bar-open", "97.3"), ("bar-violation", "640.0")]
