"""Invalid scenarios: one test per error kind and format, asserting file, line, column and help."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_helpers import Expected, check, diagnostics_of, write

from dealcheck.dsl.diagnostics import DiagnosticsError, render_text
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.errors import CODES
from dealcheck.scenario.read import load_scenario

CSV_HEADER = "id,party,workload,provider,region,capacity,value,start,end"
OK_JSONL = (
    '{"id": "ok", "party": "OpenAI", "workload": "api", "provider": "AWS", "start": "2025-01-01"}\n'
)


def test_every_code_has_a_description() -> None:
    assert sorted(CODES) == [*(f"DC3{n:02}" for n in range(1, 14)), "DC320", "DC321"]
    assert all(text and text[0].islower() and not text.endswith(".") for text in CODES.values())


# -- DC301 unknown field ------------------------------------------------------------


def test_yaml_unknown_field_suggests_the_closest(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    regoin: US
    start: 2025-01-01
""",
        Expected("DC301", 6, 5, "unknown field `regoin`", help="did you mean `region`?"),
    )


def test_yaml_unknown_field_lists_the_fields(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01, colour: red}
""",
        Expected(
            "DC301",
            2,
            77,
            "unknown field `colour`",
            help="expected one of: `id`, `party`, `workload`, `provider`, `region`, `capacity`, "
            "`value`, `start`, `end`, `facts`",
        ),
    )


def test_unknown_top_level_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "scenario: x\ndeployment: []\n",
        Expected("DC302", 1, 1, "missing required field `deployments`"),
        Expected("DC301", 2, 1, "unknown field `deployment`", help="did you mean `deployments`?"),
    )


def test_deployment_field_at_top_level(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [], "party": "OpenAI"}',
        Expected(
            "DC301",
            1,
            21,
            "unknown field `party` at the top of the scenario",
            help="deployment fields belong to an item of `deployments`",
        ),
    )


def test_json_unknown_field(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        """\
{"deployments": [
  {"id": "a", "party": "OpenAI", "workload": "api",
   "provider": "AWS", "start": "2025-01-01", "strt": "2025-01-02"}
]}
""",
        Expected("DC301", 3, 46, "unknown field `strt`", help="did you mean `start`?"),
    )


def test_jsonl_unknown_field(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL
        + (
            '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
            '"start": "2025-01-01", "regoin": "US"}\n'
        ),
        Expected("DC301", 2, 93, "unknown field `regoin`", help="did you mean `region`?"),
    )


def test_csv_unknown_column_is_reported_at_the_header(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload,provider,regoin,start,facts
a,OpenAI,api,AWS,US,2025-01-01,x
""",
        Expected("DC301", 1, 28, "unknown column `regoin`", help="did you mean `region`?"),
        Expected(
            "DC301",
            1,
            41,
            "unknown column `facts`",
            help="give each fact its own column, named `facts.NAME`",
        ),
    )


# -- DC302 missing required field ------------------------------------------------------


def test_yaml_missing_fields_are_named_together(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    workload: api
""",
        Expected(
            "DC302",
            2,
            5,
            "missing required fields `party`, `provider` and `start`",
            help="a deployment needs `id`, `party`, `workload`, `provider` and `start`",
        ),
    )


def test_yaml_required_field_without_value(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider:
    start: 2025-01-01
""",
        Expected("DC302", 5, 5, "missing value for required field `provider`"),
    )


def test_json_missing_field(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "party": "OpenAI", "workload": "api", "start": '
        '"2025-01-01"}]}',
        Expected("DC302", 1, 18, "missing required field `provider`"),
    )


def test_missing_deployments(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "scenario: x\n",
        Expected(
            "DC302",
            1,
            1,
            "missing required field `deployments`",
            help="list the deployments under `deployments:`",
        ),
    )


def test_csv_empty_required_cell_points_at_the_cell(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,,,,,2025-01-01,
""",
        Expected("DC302", 2, 14, "missing value for required field `provider`"),
    )


def test_csv_missing_required_columns_reported_once(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload
a,OpenAI,api
b,OpenAI,api
""",
        Expected("DC302", 1, 1, "missing required columns `provider` and `start`"),
    )


def test_jsonl_missing_field(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        '\n  {"id": "a", "party": "OpenAI", "provider": "AWS", "start": "2025-01-01"}\n',
        Expected("DC302", 2, 3, "missing required field `workload`"),
    )


# -- DC303 undeclared name -------------------------------------------------------------


def test_yaml_undeclared_names_suggest(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAl
    workload: trainig
    provider: Azur
    region: Eu
    start: 2025-01-01
    facts: {rofr_decline: true}
""",
        Expected("DC303", 3, 12, "undeclared party `OpenAl`", help="did you mean `OpenAI`?"),
        Expected("DC303", 4, 15, "undeclared workload `trainig`", help="did you mean `training`?"),
        Expected("DC303", 5, 15, "undeclared provider `Azur`", help="did you mean `Azure`?"),
        Expected("DC303", 6, 13, "undeclared region `Eu`", help="did you mean `EU`?"),
        Expected(
            "DC303", 8, 13, "undeclared fact `rofr_decline`", help="did you mean `rofr_declined`?"
        ),
    )


def test_undeclared_name_without_a_close_match_lists_the_declared(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api, provider: CoreWeave, start: 2025-01-01}
""",
        Expected(
            "DC303",
            2,
            53,
            "undeclared provider `CoreWeave`",
            help="declared providers: `Azure`, `AWS`",
        ),
    )


def test_a_workload_group_is_not_a_workload(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api_products, provider: AWS, start: 2025-01-01}
""",
        Expected(
            "DC303",
            2,
            38,
            "`api_products` is a workload group, not a workload",
            help="a deployment names one workload: one of `api`",
        ),
    )


def test_json_undeclared_party(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "party": "openai", "workload": "api", '
        '"provider": "AWS", "start": "2025-01-01"}]}',
        Expected("DC303", 1, 39, "undeclared party `openai`", help="did you mean `OpenAI`?"),
    )


def test_csv_undeclared_name_points_at_the_cell(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,"Azur",US,,,2025-01-01,
""",
        Expected("DC303", 2, 14, "undeclared provider `Azur`", help="did you mean `Azure`?"),
    )


def test_csv_undeclared_fact_column(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload,provider,start,facts.rofr_decline
a,OpenAI,api,AWS,2025-01-01,true
""",
        Expected(
            "DC303",
            1,
            34,
            "undeclared fact `rofr_decline`",
            help="did you mean `facts.rofr_declined`?",
        ),
    )


def test_jsonl_undeclared_fact(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        '{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
        '"start": "2025-01-01", "facts": {"custmer": "commercial"}}\n',
        Expected("DC303", 1, 103, "undeclared fact `custmer`", help="did you mean `customer`?"),
    )


# -- DC304 duplicate id ------------------------------------------------------------------


def test_yaml_duplicate_id(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01}
  - {id: b, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01}
  - {id: a, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01}
""",
        Expected(
            "DC304",
            4,
            10,
            "duplicate deployment id `a`",
            help="give each deployment its own id",
            related_line=2,
        ),
    )


def test_csv_duplicate_id(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
party,id,workload,provider,start
OpenAI,a,api,AWS,2025-01-01
OpenAI,a,api,AWS,2025-01-01
""",
        Expected("DC304", 3, 8, "duplicate deployment id `a`", related_line=2),
    )


def test_jsonl_duplicate_id(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL + "\n" + OK_JSONL,
        Expected("DC304", 3, 8, "duplicate deployment id `ok`", related_line=1),
    )


def test_duplicate_id_among_invalid_deployments(tmp_path: Path, vocabulary: Vocabulary) -> None:
    found = check(
        tmp_path,
        vocabulary,
        "s.json",
        """\
{"deployments": [
  {"id": "a", "party": "Nobody", "workload": "api", "provider": "AWS", "start": "2025-01-01"},
  {"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", "start": "2025-01-01"}
]}
""",
        Expected("DC303", 2, 24, "undeclared party `Nobody`"),
        Expected("DC304", 3, 10, "duplicate deployment id `a`", related_line=2),
    )
    assert found[1].related[0].span.column == 10


# -- DC305 duplicate key ----------------------------------------------------------------


def test_yaml_duplicate_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    party: Microsoft
    start: 2025-01-01
""",
        Expected("DC305", 6, 5, "duplicate key `party`", help="give each key once", related_line=3),
    )


def test_json_duplicate_key_in_facts(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        """\
{"deployments": [{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS",
  "start": "2025-01-01", "facts": {"rofr_declined": true,
                                   "rofr_declined": false}}]}
""",
        Expected("DC305", 3, 36, "duplicate key `rofr_declined`", related_line=2),
    )


def test_json_duplicate_top_level_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [],\n "deployments": []}',
        Expected("DC305", 2, 2, "duplicate key `deployments`", related_line=1),
    )


def test_jsonl_duplicate_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL[:-2] + ', "id": "b"}\n',
        Expected("DC305", 1, 94, "duplicate key `id`", related_line=1),
    )


def test_csv_duplicate_column(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload,provider,start,party
a,OpenAI,api,AWS,2025-01-01,Microsoft
""",
        Expected("DC305", 1, 34, "duplicate column `party`", related_line=1),
    )


# -- DC306 malformed date ---------------------------------------------------------------


def test_yaml_malformed_and_impossible_dates(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-02-30
    end: 2026/01/01
    facts: {signed: 2025-13-01}
  - {id: b, party: OpenAI, workload: api, provider: AWS, start: 2025-03-10 10:00:00}
""",
        Expected(
            "DC306", 6, 12, "invalid date `2025-02-30` in `start`", help="February 2025 has 28 days"
        ),
        Expected(
            "DC306",
            7,
            10,
            "malformed date `2026/01/01` in `end`",
            help="write dates as YYYY-MM-DD, e.g. `2025-03-10`",
        ),
        Expected(
            "DC306",
            8,
            21,
            "invalid date `2025-13-01` in fact `signed`",
            help="there is no month 13",
        ),
        Expected("DC306", 9, 65, "malformed date `2025-03-10 10:00:00` in `start`"),
    )


def test_json_date_of_the_wrong_type(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "party": "OpenAI", "workload": "api", '
        '"provider": "AWS", "start": 20250101}]}',
        Expected(
            "DC306",
            1,
            96,
            "`start` must be a date such as `2025-03-10`, found an integer `20250101`",
        ),
    )


def test_csv_malformed_date(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,AWS,,,,2025-1-5,
""",
        Expected("DC306", 2, 21, "malformed date `2025-1-5` in `start`"),
    )


def test_jsonl_leap_day(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL.replace("2025-01-01", "2025-02-29"),
        Expected(
            "DC306", 1, 80, "invalid date `2025-02-29` in `start`", help="February 2025 has 28 days"
        ),
    )


# -- DC307 malformed quantity -------------------------------------------------------------


def test_yaml_malformed_quantity_and_unknown_unit(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-01-01
    capacity: 300 MWh
    value: lots of USD
""",
        Expected("DC307", 7, 15, "unknown unit `MWh` in `capacity`", help="did you mean `MW`?"),
        Expected(
            "DC307",
            8,
            12,
            "malformed quantity `lots of USD` in `value`",
            help="write a number, an optional k, M, B or T, and a unit, e.g. `11.9B USD`",
        ),
    )


def test_csv_negative_quantity(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,AWS,,-5 MW,,2025-01-01,
""",
        Expected("DC307", 2, 19, "malformed quantity `-5 MW` in `capacity`"),
    )


def test_json_quantity_of_the_wrong_type(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "party": "OpenAI", "workload": "api", '
        '"provider": "AWS", "start": "2025-01-01", "value": true}]}',
        Expected(
            "DC307", 1, 119, "`value` must be a quantity such as `300 MW`, found a boolean `true`"
        ),
    )


# -- DC308 fact of the wrong type --------------------------------------------------------


def test_yaml_facts_of_the_wrong_type(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-01-01
    facts:
      rofr_declined: yes
      customer: comercial
      budget: true
      signed: 20250101
  - {id: b, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01,
     facts: {rofr_declined: "false", customer: 3}}
""",
        Expected(
            "DC308",
            8,
            22,
            "fact `rofr_declined` must be `true` or `false`, found text `yes`",
            help="`rofr_declined` is a yes/no fact",
        ),
        Expected(
            "DC308",
            9,
            17,
            "`comercial` is not a value of fact `customer`",
            help="did you mean `commercial`?",
        ),
        Expected("DC308", 10, 15, "fact `budget` must be a number in USD, found a boolean `true`"),
        Expected(
            "DC308",
            11,
            15,
            "fact `signed` must be a date such as `2025-03-10`, found an integer `20250101`",
        ),
        Expected(
            "DC308",
            13,
            29,
            "fact `rofr_declined` must be `true` or `false`, found text `false`",
            help="write the boolean without quotes",
        ),
        Expected(
            "DC308",
            13,
            48,
            "fact `customer` must be one of `commercial`, "
            "`us_national_security`, found an integer `3`",
        ),
    )


def test_csv_bool_fact_takes_true_or_false(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload,provider,start,facts.rofr_declined,facts.customer
a,OpenAI,api,AWS,2025-01-01,False,commercial
b,OpenAI,api,AWS,2025-01-01,no,other
""",
        Expected("DC308", 3, 29, "fact `rofr_declined` must be `true` or `false`, found text `no`"),
        Expected(
            "DC308",
            3,
            32,
            "`other` is not a value of fact `customer`",
            help="expected one of: `commercial`, `us_national_security`",
        ),
    )


def test_jsonl_bool_fact_as_text(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL[:-2] + ', "facts": {"rofr_declined": "true"}}\n',
        Expected(
            "DC308",
            1,
            121,
            "fact `rofr_declined` must be `true` or `false`, found text `true`",
            help="write the boolean without quotes",
        ),
    )


# -- DC309 wrong unit dimension ---------------------------------------------------------


def test_yaml_quantities_of_the_wrong_dimension(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-01-01
    capacity: 11.9B USD
    value: 300 MW
    facts: {budget: 5 GW}
  - {id: b, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01, capacity: 300}
""",
        Expected(
            "DC309",
            7,
            15,
            "`capacity` must be power or a count, found money `11.9B USD`",
            help="write capacity as power or a count, e.g. `300 MW` or `4608 GPU`",
        ),
        Expected(
            "DC309",
            8,
            12,
            "`value` must be money, found power `300 MW`",
            help="write value in USD, e.g. `11.9B USD`",
        ),
        Expected(
            "DC309",
            9,
            21,
            "fact `budget` is in USD (money), found power `5 GW`",
            help="write it in USD (money)",
        ),
        Expected("DC309", 10, 87, "`capacity` needs a unit, found `300`"),
    )


def test_csv_value_without_unit(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,AWS,,4608 GPU,"1,000",2025-01-01,
""",
        Expected("DC309", 2, 28, "`value` needs a unit, found `1,000`"),
    )


def test_a_declared_unit_is_not_a_capacity(tmp_path: Path, vocabulary: Vocabulary) -> None:
    # Refused, not read as a capacity that every total then counts as missing.
    vocabulary.units.declare("Trainium2")
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL[:-2] + ', "capacity": "500000 Trainium2"}\n',
        Expected(
            "DC309",
            1,
            106,
            "`capacity` must be power or a count, found a quantity of `Trainium2` "
            "`500000 Trainium2`",
            help="write capacity as power or a count, e.g. `300 MW` or `4608 GPU`",
        ),
    )


# -- DC310 malformed file ---------------------------------------------------------------


def test_yaml_syntax_error(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI: Microsoft
""",
        Expected("DC310", 3, 18, "invalid YAML: mapping values are not allowed here"),
    )


def test_yaml_tab_indentation(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "deployments:\n\t- id: a\n",
        Expected(
            "DC310",
            2,
            1,
            "invalid YAML: found character `\\t` that cannot start any token",
            help="indent with spaces: YAML does not allow tabs",
        ),
    )


def test_yaml_several_documents(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "deployments: []\n---\ndeployments: []\n",
        Expected(
            "DC310",
            2,
            1,
            "invalid YAML: expected a single document in the stream, but found another document",
        ),
    )


def test_yaml_control_character(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "deployments:\n  - id: a\x07\n",
        Expected("DC310", 2, 10, "invalid YAML: control character `\\x07` is not allowed"),
    )


def test_json_syntax_error(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [\n  {"id": "a" ,}\n]}\n',
        Expected("DC310", 2, 14, "invalid JSON: a comma after the last member of an object",
                 help="remove the comma: JSON allows none there"),
    )


def test_json_comma_after_the_last_item_of_an_array(tmp_path: Path,
                                                    vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [\n  {"id": "a"},\n\n]}\n',
        Expected("DC310", 2, 14, "invalid JSON: a comma after the last item of an array",
                 help="remove the comma: JSON allows none there"),
    )
    # The help applied: the file is JSON (its deployment then lacks its fields).
    fixed = write(tmp_path, "fixed.json", '{"deployments": [\n  {"id": "a"}\n\n]}\n')
    assert "DC310" not in {d.code for d in diagnostics_of(fixed, vocabulary)}


def test_json_missing_member_after_a_comma(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [\n  {"id": "a", 1}\n]}\n',
        Expected("DC310", 2, 15, "invalid JSON: expecting property name enclosed in double quotes"),
    )


def test_json_truncated(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [\n',
        Expected("DC310", 1, 18, "invalid JSON: expecting value"),
    )


def test_json_nan_is_not_json(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "value": NaN}]}',
        Expected("DC310", 1, 39, "invalid JSON: `NaN` is not valid JSON"),
    )


def test_json_accepts_no_yaml(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        "deployments: []\n",
        Expected("DC310", 1, 1, "invalid JSON: expecting value"),
    )


def test_jsonl_syntax_errors_on_each_line(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL + '{"id": "b",\n' + OK_JSONL.replace('"ok"', '"c"') + "{'id': 'd'}\n",
        Expected("DC310", 2, 12, "invalid JSON: expecting property name enclosed in double quotes"),
        Expected("DC310", 4, 2, "invalid JSON: expecting property name enclosed in double quotes"),
    )


def test_csv_bad_quoting(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,"AW"S,,,,2025-01-01,
b,OpenAI,api,AWS,,,,2025-01-01,
""",
        Expected("DC310", 2, 1, 'invalid CSV: `,` expected after `"`'),
    )


def test_csv_line_numbers_are_physical(tmp_path: Path, vocabulary: Vocabulary) -> None:
    # A quoted cell spanning lines 2-3 and a blank line 4 do not shift line numbers.
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,AWS,"U
S",,,2025-01-01,

b,OpenAI,api,AWZ,,,,2025-01-01,
""",
        Expected("DC303", 2, 18, "undeclared region `U\\nS`"),
        Expected("DC303", 5, 14, "undeclared provider `AWZ`"),
    )


@pytest.mark.parametrize(
    ("name", "data", "column"),
    [
        ("s.yaml", b"deployments:\n  - id: caf\xe9\n", 12),
        ("s.json", b'{"deployments": [\n  {"id": "caf\xe9"}]}', 14),
        ("s.csv", b"id,party,workload,provider,start\ncaf\xe9,OpenAI,api,AWS,2025-01-01\n", 4),
        ("s.jsonl", OK_JSONL.encode() + OK_JSONL.encode().replace(b'"ok"', b'"caf\xe9"'), 12),
    ],
)
def test_not_utf8(
    tmp_path: Path, vocabulary: Vocabulary, name: str, data: bytes, column: int
) -> None:
    # CSV and JSON Lines skip the line and still read the others (here all
    # valid); YAML and JSON cannot be parsed at all.
    check(
        tmp_path,
        vocabulary,
        name,
        data,
        Expected("DC310", 2, column, "invalid UTF-8 (byte `e9`)", help="save the file as UTF-8"),
    )


@pytest.mark.parametrize("name", ["s.yaml", "s.json", "s.csv", "s.jsonl"])
@pytest.mark.parametrize("text", ["", "\n  \n", "\ufeff"])
def test_empty_file(tmp_path: Path, vocabulary: Vocabulary, name: str, text: str) -> None:
    (found,) = check(
        tmp_path, vocabulary, name, text, Expected("DC310", 1, 1, "empty scenario file")
    )
    assert found.help is not None


def test_yaml_comments_only(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path, vocabulary, "s.yaml", "# to do\n", Expected("DC310", 1, 1, "empty scenario file")
    )


def test_unsupported_extension(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(tmp_path, "plan.txt", "deployments: []\n")
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    (found,) = caught.value.diagnostics
    assert (found.code, found.span.file, found.message) == (
        "DC310",
        str(path),
        "unsupported scenario format `.txt`",
    )


def test_missing_file(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    (found,) = caught.value.diagnostics
    assert (found.code, found.message) == (
        "DC310",
        f"cannot read `{path}`: no such file or directory",
    )


# -- DC311 wrong shape ------------------------------------------------------------------


def test_yaml_bare_list_of_deployments(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "- id: a\n",
        Expected(
            "DC311",
            1,
            1,
            "a scenario must be a mapping with a `deployments` list, found a list",
            help="put the list under a `deployments` key",
        ),
    )


def test_yaml_wrong_shapes(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
scenario: [a]
deployments:
  - id: 2025
    party: [OpenAI]
    workload: api
    provider: AWS
    start: 2025-01-01
    facts: [rofr_declined]
  - just text
""",
        Expected("DC311", 1, 11, "`scenario` must be a name, found a list"),
        Expected(
            "DC311", 3, 9, "`id` must be text, found an integer `2025`", help='quote it: `"2025"`'
        ),
        Expected("DC311", 4, 12, "`party` must be a party name, found a list"),
        Expected("DC311", 8, 12, "`facts` must be a mapping, found a list"),
        Expected("DC311", 9, 5, "a deployment must be a mapping, found text `just text`"),
    )


def test_yaml_deployments_not_a_list(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "deployments:\n  id: a\n",
        Expected(
            "DC311",
            2,
            3,
            "`deployments` must be a list, found a mapping",
            help="in YAML, start each deployment with `- `",
        ),
    )


def test_json_empty_id(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": " ", "party": "OpenAI", "workload": "api", '
        '"provider": "AWS", "start": "2025-01-01"}]}',
        Expected("DC311", 1, 25, "`id` must not be empty"),
    )


def test_jsonl_line_that_is_not_an_object(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        OK_JSONL + ' [1, 2]\n"text"\n',
        Expected("DC311", 2, 2, "each line must be a JSON object, found a list"),
        Expected("DC311", 3, 1, "each line must be a JSON object, found text `text`"),
    )


def test_csv_row_with_the_wrong_number_of_cells(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        """\
id,party,workload,provider,start
a,OpenAI,api,AWS,2025-01-01,extra
b,OpenAI,api,AWS
""",
        Expected(
            "DC311",
            2,
            1,
            "row has 6 cells, the header has 5",
            help='quote cells that contain commas: `"4,608 GPU"`',
        ),
        Expected(
            "DC311",
            3,
            1,
            "row has 4 cells, the header has 5",
            help="leave a cell empty for an absent value, but keep its comma",
        ),
    )


@pytest.mark.parametrize(("tail", "help"), [
    (",", "remove the empty cell at the end of the row, with its comma"),
    (',"",', "remove the 2 empty cells at the end of the row, with their commas"),
])
def test_csv_empty_cells_past_the_last(tmp_path: Path, vocabulary: Vocabulary, tail: str,
                                       help: str) -> None:
    header = "id,party,workload,provider,start\n"
    check(tmp_path, vocabulary, "s.csv", header + "a,OpenAI,api,AWS,2025-01-01" + tail + "\n",
          Expected("DC311", 2, 1, "row has " + str(5 + tail.count(",")) + " cells, the header "
                   "has 5", help=help))
    # The help applied: the row is read.
    fixed = write(tmp_path, "fixed.csv", header + "a,OpenAI,api,AWS,2025-01-01\n")
    assert load_scenario(fixed, vocabulary).deployments[0].id == "a"


def test_csv_unnamed_column(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        "id,party,workload,provider,start,\n",
        Expected("DC311", 1, 34, "column 6 has no name"),
    )


# -- DC312 end before start -------------------------------------------------------------


def test_end_before_start(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-03-10
    end: 2025-03-09
""",
        Expected(
            "DC312",
            7,
            10,
            "deployment ends before it starts: `end` is 2025-03-09, `start` is 2025-03-10",
            help="`end` must be on or after `start`",
            related_line=6,
        ),
    )


def test_csv_end_before_start(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f"""\
{CSV_HEADER}
a,OpenAI,api,AWS,,,,2025-03-10,2024-03-10
""",
        Expected(
            "DC312",
            2,
            32,
            "deployment ends before it starts: `end` is 2024-03-10, `start` is 2025-03-10",
        ),
    )


# -- DC313 unsupported YAML -------------------------------------------------------------


def test_yaml_anchors_and_aliases_are_rejected(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - &base {id: a, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01}
  - *base
""",
        Expected(
            "DC313",
            2,
            5,
            "YAML anchor `&base` is not allowed here",
            help="scenario files do not use anchors or aliases: write each deployment out in full",
        ),
    )


def test_yaml_billion_laughs_is_rejected_quickly(tmp_path: Path, vocabulary: Vocabulary) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghijklmnopqrstu":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append(f"deployments: [*{previous}]")
    found = diagnostics_of(write(tmp_path, "bomb.yaml", "\n".join(lines)), vocabulary)
    assert len(found) == 21
    assert {d.code for d in found} == {"DC313"}


def test_yaml_tags_are_rejected(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        """\
deployments:
  - id: !!python/object/apply:os.system ["echo pwned"]
    party: !Party OpenAI
""",
        Expected("DC313", 2, 9, "unsupported YAML tag `!!python/object/apply:os.system`"),
        Expected("DC313", 3, 12, "unsupported YAML tag `!Party`"),
    )


# -- every error, rendered ----------------------------------------------------------------


def test_every_error_is_reported_in_order(tmp_path: Path, vocabulary: Vocabulary) -> None:
    found = check(
        tmp_path,
        vocabulary,
        "s.jsonl",
        (
            '{"id": "a", "party": "OpenAl", "workload": "api", "provider": "AWS", '
            '"start": "2025-01-01"}\n'
            '{"id": "b", "party": "OpenAI", "workload": "api", "provider": "AWS", '
            '"start": "2025-01-01", "end": "2024-01-01"}\n'
            '{"id": "c", "party": "OpenAI", "workload": "api", "provider": "AWS", '
            '"start": "2025-01-01", "capacity": "3 USD", "value": "3 MW"}\n'
        ),
        Expected("DC303", 1, 22, "undeclared party `OpenAl`"),
        Expected(
            "DC312",
            2,
            100,
            "deployment ends before it starts: `end` is 2024-01-01, `start` is 2025-01-01",
        ),
        Expected("DC309", 3, 105, "`capacity` must be power or a count, found money `3 USD`"),
        Expected("DC309", 3, 123, "`value` must be money, found power `3 MW`"),
    )
    assert len(found) == 4


def test_rendered_diagnostic_has_caret_and_help(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api, provider: Azur, start: 2025-01-01}
""",
    )
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    rendered = render_text(caught.value.diagnostics, caught.value.sources)
    assert rendered.splitlines() == [
        f"{path}:2:53: error[DC303]: undeclared provider `Azur`",
        "   2 |   - {id: a, party: OpenAI, workload: api, provider: Azur, start: 2025-01-01}",
        "                                                           ^^^^",
        "  help: did you mean `Azure`?",
    ]


def test_control_characters_in_values_are_escaped(tmp_path: Path, vocabulary: Vocabulary) -> None:
    (found,) = check(
        tmp_path,
        vocabulary,
        "s.json",
        '{"deployments": [{"id": "a", "party": "Open\\u0000AI", "workload": "api", '
        '"provider": "AWS", "start": "2025-01-01"}]}',
        Expected("DC303", 1, 39, "undeclared party `Open\\x00AI`"),
    )
    assert "\x00" not in found.message
