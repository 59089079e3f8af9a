"""The pytest plugin, used from a separate sample project (found through its entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from oracles import ROOT

import dealcheck

pytest_plugins = ["pytester"]

SAMPLE_TERMS = """\
agreement "Sample" effective 2025-01-01
party Acme
provider Cloud operated by Acme
provider Other operated by Acme
workload api, training
fact consent: bool

clause api_on_cloud:
  Acme runs api only on Cloud

clause consented notwithstanding api_on_cloud:
  Acme may run api on any provider when consent

example "the API on its own cloud":
  deployment home: Acme runs api on Cloud starting 2025-02-01
  expect compliant of api_on_cloud

example "the API elsewhere, expected to comply":
  deployment away: Acme runs api on Other starting 2025-02-01 with consent = false
  expect compliant
"""

SAMPLE_TESTS = """\
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealcheck.testing import deployments, fact_values, scenarios


def test_the_fixture_loads_terms_next_to_the_test(deal_terms):
    assert deal_terms("../terms.deal").title == "Sample"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_api_off_cloud_without_consent_complies(deal_terms, data):
    terms = deal_terms("../terms.deal")
    d = data.draw(deployments(terms, workload="api", provider="Other",
                              start=st.dates(min_value=terms.effective),
                              facts=fact_values(terms, consent=st.sampled_from([False, None]))))
    assert terms.check([d]).verdict_of(d.id) != "compliant"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scenarios_have_unique_ids(deal_terms, data):
    ds = data.draw(scenarios(deal_terms("../terms.deal"), max_size=5))
    assert len({d.id for d in ds}) == len(ds)
"""


#: The user's cache directory, before pytester gives each test a home of its own: the
#: sample runs keep finding dealcheck's built parser there (building it costs seconds).
USER_CACHE = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")


@pytest.fixture(autouse=True)
def _users_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", USER_CACHE)


@pytest.fixture
def sample(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a terms file and a test module, and no conftest: nothing names the
    plugin by path."""
    pytester.makefile(".deal", terms=SAMPLE_TERMS)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_terms_properties.py").write_text(SAMPLE_TESTS)
    return pytester


@pytest.mark.slow
def test_the_plugin_runs_examples_strategies_and_fixture(sample: pytest.Pytester) -> None:
    result = sample.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["plugins:*dealcheck-*"])   # a distribution's entry point
    result.stdout.fnmatch_lines([
        "terms.deal::the API on its own cloud PASSED*",
        "terms.deal::the API elsewhere, expected to comply FAILED*",
    ])
    result.assert_outcomes(passed=4, failed=1)


def test_a_failing_example_shows_its_explanation(sample: pytest.Pytester) -> None:
    result = sample.runpytest_inprocess("terms.deal", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        '*terms.deal:18: example "the API elsewhere, expected to comply" failed',
        "*`away`: expected compliant, got violation*",
        "explanation of `away`:",
        "*deployment `away`: Acme runs api on Other, starting 2025-02-01",
        "*api_on_cloud: scopes it*",
        "*fix: run on `Cloud`*",
        "*consented: does not scope it*",
        "*verdict: violation",
    ])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.slow
def test_terms_that_do_not_load_fail_with_their_diagnostics(pytester: pytest.Pytester) -> None:
    pytester.makefile(".deal", broken=SAMPLE_TERMS.replace("only on Cloud", "only on Clod"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*broken.deal: the terms do not load (1 error)",
        "*broken.deal:9:25: error?DC101?: unknown provider `Clod`",
        "*help: did you mean `Cloud`?",
    ])


@pytest.mark.slow
def test_files_without_examples_are_not_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".deal", plain=SAMPLE_TERMS.split("example")[0])
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.slow
def test_collection_can_be_turned_off(sample: pytest.Pytester) -> None:
    sample.makeini("[pytest]\ndealcheck_examples = false\n")
    result = sample.runpytest_inprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    assert "terms.deal" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*3 tests collected*"])


@pytest.mark.slow
def test_examples_run_with_pytest_examples(pytester: pytest.Pytester) -> None:
    expected = sum(len(dealcheck.load(p).examples) for p in ROOT.glob("examples/*/*.deal"))
    # `-n 0`: one process, as a plain `pytest examples/` would print it (the
    # project's own configuration runs a worker per core).
    result = pytester.runpytest_subprocess(str(ROOT / "examples"), "-p", "no:cacheprovider",
                                           "-n", "0", "--rootdir", str(ROOT))
    result.assert_outcomes(passed=expected)
    result.stdout.fnmatch_lines([f"collected {expected} items"])


@pytest.mark.slow
def test_examples_carry_the_dealcheck_marker(sample: pytest.Pytester) -> None:
    result = sample.runpytest_inprocess("-p", "no:cacheprovider", "-m", "dealcheck",
                                        "--collect-only", "-q")
    result.stdout.fnmatch_lines(["terms.deal::the API on its own cloud",
                                 "terms.deal::the API elsewhere, expected to comply",
                                 "*2/5 tests collected (3 deselected)*"])
