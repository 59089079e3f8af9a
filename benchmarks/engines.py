"""The Microsoft–OpenAI terms as Cedar policies, as a ZEN decision table and as if-statements.

Each encoding gives a deployment's verdict — `violation`, `undetermined` or
`compliant` — under the terms in force on its start date, with dealcheck's
three-valued facts (an absent fact is unknown). The aggregate clause
(`azure_commitment`) is left out: it has no per-deployment verdict.

Clause by clause (dates inclusive):

* ``azure_exclusive`` 2019-07-22..2025-01-20: OpenAI runs only on Azure, unless
  ``microsoft_consent`` (``consented_capacity``);
* ``api_exclusive`` 2025-01-21..2026-04-26: OpenAI runs api, api_partner only on
  Azure, unless (from 2025-10-28, ``national_security``) ``customer =
  us_national_security``;
* ``rofr`` 2025-01-21..2025-10-27: OpenAI runs chatgpt, training, research,
  open_weights off Azure only if ``rofr_declined``;
* ``open_weights_criteria`` from 2025-10-28: OpenAI runs open_weights only if
  ``meets_capability_criteria``;
* ``azure_first`` from 2026-04-27: OpenAI runs api, api_partner, chatgpt off
  Azure only if ``shipped_first_on_azure or azure_can_support = false``.

Unrelated clauses (`unrelated_*`) speak of other parties (``U0`` … ``U49``): they
never apply to the sample, so a good engine pays nothing for them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

API = ("api", "api_partner")
NON_API = ("chatgpt", "training", "research", "open_weights")
PRODUCTS = ("api", "api_partner", "chatgpt")
UNRELATED_PARTIES = 50

_WORKLOADS = ("api", "api_partner", "chatgpt", "training", "research", "open_weights")
_PROVIDERS = ("Azure", "OCI", "AWS", "GCP", "CoreWeave", "Cerebras", "Nscale", "Stargate")


def day_number(day: dt.date) -> int:
    """A date as the integer ``yyyymmdd``: what the Cedar and ZEN encodings compare."""
    return day.year * 10000 + day.month * 100 + day.day


# ---------------------------------------------------------------- dealcheck


def unrelated_terms(count: int) -> str:
    """`count` clauses (DSL) about parties the sample never uses, to append to the terms."""
    if not count:
        return ""
    lines = ["", "party " + ", ".join(f"U{i}" for i in range(UNRELATED_PARTIES)), ""]
    for i in range(count):
        party = f"U{i % UNRELATED_PARTIES}"
        workload = _WORKLOADS[i % len(_WORKLOADS)]
        provider = _PROVIDERS[i % len(_PROVIDERS)]
        lines.append(f"clause unrelated_{i}:")
        if i % 3 == 0:
            lines.append(f"  {party} runs {workload} only on {provider}")
        elif i % 3 == 1:
            lines.append(f"  {party} must not run {workload} in EU when not microsoft_consent")
        else:
            lines.append(f"  {party} runs {workload} off {provider} only if rofr_declined")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- the floor


def floor_verdict(party: str, workload: str, provider: str, day: dt.date,
                  facts: Any) -> str:
    """The verdict, hand-written as if-statements: the fastest Python can be."""
    if party != "OpenAI" or day < _EFFECTIVE:
        return "compliant"
    verdict = "compliant"
    off_azure = provider != "Azure"
    if day < _STARGATE:  # azure_exclusive, unless consented_capacity
        if off_azure:
            consent = facts.get("microsoft_consent")
            if consent is False:
                return "violation"
            if consent is None:
                verdict = "undetermined"
        return verdict
    if day < _AZURE_FIRST and off_azure and workload in API:  # api_exclusive
        if day < _DEFINITIVE:
            return "violation"
        customer = facts.get("customer")
        if customer is None:
            verdict = "undetermined"
        elif customer != "us_national_security":
            return "violation"
    if day < _DEFINITIVE and off_azure and workload in NON_API:  # rofr
        declined = facts.get("rofr_declined")
        if declined is False:
            return "violation"
        if declined is None:
            verdict = "undetermined"
    if day >= _DEFINITIVE and workload == "open_weights":  # open_weights_criteria
        criteria = facts.get("meets_capability_criteria")
        if criteria is False:
            return "violation"
        if criteria is None:
            verdict = "undetermined"
    if day >= _AZURE_FIRST and off_azure and workload in PRODUCTS:  # azure_first
        shipped = facts.get("shipped_first_on_azure")
        can_support = facts.get("azure_can_support")
        if shipped is True or can_support is False:
            pass
        elif shipped is False and can_support is True:
            return "violation"
        else:
            verdict = "undetermined"
    return verdict


_EFFECTIVE = dt.date(2019, 7, 22)
_STARGATE = dt.date(2025, 1, 21)
_DEFINITIVE = dt.date(2025, 10, 28)
_AZURE_FIRST = dt.date(2026, 4, 27)



# ---------------------------------------------------------------- DuckDB, by hand


def _sql_in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def duckdb_peer_query(path: str) -> str:
    """`floor_verdict` as one hand-written DuckDB query over a JSON Lines inventory.

    Yields ``id`` and ``verdict`` per row, in file order: the peer that
    `bench_engines.py` times dealcheck against (no findings, no messages).
    """
    day, off = "start", "provider <> 'Azure'"
    effective, stargate = f"DATE '{_EFFECTIVE}'", f"DATE '{_STARGATE}'"
    definitive, azure_first = f"DATE '{_DEFINITIVE}'", f"DATE '{_AZURE_FIRST}'"
    api = f"({day} < {azure_first} AND {off} AND workload IN {_sql_in(API)})"
    rofr = f"({day} < {definitive} AND {off} AND workload IN {_sql_in(NON_API)})"
    weights = f"({day} >= {definitive} AND workload = 'open_weights')"
    first = f"({day} >= {azure_first} AND {off} AND workload IN {_sql_in(PRODUCTS)})"
    holds = "coalesce(f.shipped_first_on_azure OR NOT f.azure_can_support, false)"
    fails = "coalesce(NOT f.shipped_first_on_azure AND f.azure_can_support, false)"
    violation = " OR ".join([
        f"({api} AND ({day} < {definitive} OR f.customer <> 'us_national_security'))",
        f"({rofr} AND f.rofr_declined = false)",
        f"({weights} AND f.meets_capability_criteria = false)",
        f"({first} AND {fails})"])
    unknown = " OR ".join([
        f"({api} AND f.customer IS NULL)", f"({rofr} AND f.rofr_declined IS NULL)",
        f"({weights} AND f.meets_capability_criteria IS NULL)",
        f"({first} AND NOT {holds} AND NOT {fails})"])
    facts = ("STRUCT(microsoft_consent BOOLEAN, rofr_declined BOOLEAN, customer VARCHAR, "
             "meets_capability_criteria BOOLEAN, shipped_first_on_azure BOOLEAN, "
             "azure_can_support BOOLEAN)")
    return f"""
        SELECT id, CASE
          WHEN party <> 'OpenAI' OR {day} < {effective} THEN 'compliant'
          WHEN {day} < {stargate} THEN CASE
            WHEN NOT ({off}) OR f.microsoft_consent THEN 'compliant'
            WHEN f.microsoft_consent = false THEN 'violation' ELSE 'undetermined' END
          WHEN coalesce({violation}, false) THEN 'violation'
          WHEN coalesce({unknown}, false) THEN 'undetermined'
          ELSE 'compliant' END AS verdict
        FROM (SELECT *, facts AS f FROM read_json('{path}', format = 'newline_delimited',
              columns = {{id: 'VARCHAR', party: 'VARCHAR', workload: 'VARCHAR',
                          provider: 'VARCHAR', region: 'VARCHAR', start: 'DATE',
                          value: 'VARCHAR', facts: '{facts}'}}))"""

# ---------------------------------------------------------------- Cedar


def _has(fact: str, value: str) -> str:
    return f"(context has {fact} && context.{fact} == {value})"


def _window(first: int, last: int | None) -> str:
    upper = f" && context.day <= {last}" if last else ""
    return f"context.day >= {first}{upper}"


def _in(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "].contains(context.workload)"


_OPENAI_OFF = 'context.party == "OpenAI" && context.provider != "Azure"'


def cedar_policies(unrelated: int = 0) -> str:
    """The terms as Cedar policies: a permit for everything, a forbid per way to fail.

    Forbids annotated ``@id("V…")`` mean a violation, ``@id("U…")`` an unknown
    outcome; the verdict is read from the forbids that matched.
    """
    shipped, support = "shipped_first_on_azure", "azure_can_support"
    holds = f"({_has(shipped, 'true')} || {_has(support, 'false')})"
    fails = f"({_has(shipped, 'false')} && {_has(support, 'true')})"
    rules = [
        ("V_azure_exclusive", f"{_OPENAI_OFF} && {_window(20190722, 20250120)} && "
                              f"{_has('microsoft_consent', 'false')}"),
        ("U_azure_exclusive", f"{_OPENAI_OFF} && {_window(20190722, 20250120)} && "
                              f"!(context has microsoft_consent)"),
        ("V_api_exclusive", f"{_OPENAI_OFF} && {_in(API)} && {_window(20250121, 20251027)}"),
        ("V_api_exclusive_ns", f"{_OPENAI_OFF} && {_in(API)} && {_window(20251028, 20260426)} "
                               f'&& context has customer && context.customer != '
                               f'"us_national_security"'),
        ("U_api_exclusive_ns", f"{_OPENAI_OFF} && {_in(API)} && {_window(20251028, 20260426)} "
                               f"&& !(context has customer)"),
        ("V_rofr", f"{_OPENAI_OFF} && {_in(NON_API)} && {_window(20250121, 20251027)} && "
                   f"{_has('rofr_declined', 'false')}"),
        ("U_rofr", f"{_OPENAI_OFF} && {_in(NON_API)} && {_window(20250121, 20251027)} && "
                   f"!(context has rofr_declined)"),
        ("V_open_weights", f'context.party == "OpenAI" && context.workload == "open_weights" '
                           f"&& {_window(20251028, None)} && "
                           f"{_has('meets_capability_criteria', 'false')}"),
        ("U_open_weights", f'context.party == "OpenAI" && context.workload == "open_weights" '
                           f"&& {_window(20251028, None)} && "
                           f"!(context has meets_capability_criteria)"),
        ("V_azure_first", f"{_OPENAI_OFF} && {_in(PRODUCTS)} && {_window(20260427, None)} "
                          f"&& {fails}"),
        ("U_azure_first", f"{_OPENAI_OFF} && {_in(PRODUCTS)} && {_window(20260427, None)} "
                          f"&& !{holds} && !{fails}"),
    ]
    out = ["permit(principal, action, resource);"]
    out += [f'@id("{ident}")\nforbid(principal, action, resource) when {{ {cond} }};'
            for ident, cond in rules]
    for i in range(unrelated):
        party = f"U{i % UNRELATED_PARTIES}"
        workload = _WORKLOADS[i % len(_WORKLOADS)]
        provider = _PROVIDERS[i % len(_PROVIDERS)]
        cond = (f'context.party == "{party}" && context.workload == "{workload}" && '
                f'context.provider != "{provider}"')
        out.append(f'@id("V_unrelated_{i}")\nforbid(principal, action, resource) '
                   f"when {{ {cond} }};")
    return "\n".join(out) + "\n"


def cedar_request(party: str, workload: str, provider: str, day: dt.date,
                  facts: dict[str, object]) -> dict[str, Any]:
    context: dict[str, object] = {"party": party, "workload": workload, "provider": provider,
                                  "day": day_number(day), **facts}
    return {"principal": {"type": "Party", "id": party}, "action": {"type": "Action", "id": "run"},
            "resource": {"type": "Provider", "id": provider}, "context": context}


def cedar_verdict(annotations: dict[str, str]) -> str:
    """The verdict from the ids of the forbids that matched."""
    ids = annotations.values()
    if any(i.startswith("V") for i in ids):
        return "violation"
    if any(i.startswith("U") for i in ids):
        return "undetermined"
    return "compliant"


# ---------------------------------------------------------------- ZEN


def zen_decision(unrelated: int = 0) -> str:
    """The terms as a ZEN (JDM) decision table, hit policy `first`: violations, unknowns, else.

    Columns: party, workload, provider, day, and one per fact (null when absent).
    """
    columns = ["party", "workload", "provider", "day", "microsoft_consent", "customer",
               "rofr_declined", "meets_capability_criteria", "shipped_first_on_azure",
               "azure_can_support"]

    def listed(values: tuple[str, ...]) -> str:
        return ", ".join(f'"{v}"' for v in values)

    openai_off = {"party": '"OpenAI"', "provider": '!= "Azure"'}
    rows: list[tuple[dict[str, str], str]] = [
        ({**openai_off, "day": "[20190722..20250120]", "microsoft_consent": "false"}, "violation"),
        ({**openai_off, "workload": listed(API), "day": "[20250121..20251027]"}, "violation"),
        ({**openai_off, "workload": listed(API), "day": "[20251028..20260426]",
          "customer": '$ != null and $ != "us_national_security"'}, "violation"),
        ({**openai_off, "workload": listed(NON_API), "day": "[20250121..20251027]",
          "rofr_declined": "false"}, "violation"),
        ({"party": '"OpenAI"', "workload": '"open_weights"', "day": ">= 20251028",
          "meets_capability_criteria": "false"}, "violation"),
        ({**openai_off, "workload": listed(PRODUCTS), "day": ">= 20260427",
          "shipped_first_on_azure": "false", "azure_can_support": "true"}, "violation"),
    ]
    for i in range(unrelated):
        rows.append(({"party": f'"U{i % UNRELATED_PARTIES}"',
                      "workload": f'"{_WORKLOADS[i % len(_WORKLOADS)]}"',
                      "provider": f'!= "{_PROVIDERS[i % len(_PROVIDERS)]}"'}, "violation"))
    rows += [
        ({**openai_off, "day": "[20190722..20250120]", "microsoft_consent": "null"},
         "undetermined"),
        ({**openai_off, "workload": listed(API), "day": "[20251028..20260426]",
          "customer": "null"}, "undetermined"),
        ({**openai_off, "workload": listed(NON_API), "day": "[20250121..20251027]",
          "rofr_declined": "null"}, "undetermined"),
        ({"party": '"OpenAI"', "workload": '"open_weights"', "day": ">= 20251028",
          "meets_capability_criteria": "null"}, "undetermined"),
    ]
    # azure_first is unknown unless it holds (shipped or not can_support) or fails (both decided).
    for shipped, support in (("null", "null"), ("null", "true"), ("false", "null")):
        rows.append(({**openai_off, "workload": listed(PRODUCTS), "day": ">= 20260427",
                      "shipped_first_on_azure": shipped, "azure_can_support": support},
                     "undetermined"))
    rows.append(({}, "compliant"))
    inputs = [{"id": f"in_{c}", "name": c, "field": c} for c in columns]
    outputs = [{"id": "out_verdict", "name": "verdict", "field": "verdict"}]
    rules = []
    for number, (cells, verdict) in enumerate(rows):
        rule = {"_id": f"r{number}", **{f"in_{c}": cells.get(c, "") for c in columns},
                "out_verdict": f'"{verdict}"'}
        rules.append(rule)
    nodes = [
        {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
        {"id": "terms", "type": "decisionTableNode", "name": "Terms",
         "position": {"x": 200, "y": 0},
         "content": {"hitPolicy": "first", "inputs": inputs, "outputs": outputs,
                     "rules": rules}},
        {"id": "response", "type": "outputNode", "name": "Response",
         "position": {"x": 400, "y": 0}},
    ]
    edges = [{"id": "e1", "sourceId": "request", "targetId": "terms", "type": "edge"},
             {"id": "e2", "sourceId": "terms", "targetId": "response", "type": "edge"}]
    return json.dumps({"contentType": "application/vnd.gorules.decision", "nodes": nodes,
                       "edges": edges})


def zen_context(party: str, workload: str, provider: str, day: dt.date,
                facts: dict[str, object]) -> dict[str, object]:
    return {"party": party, "workload": workload, "provider": provider,
            "day": day_number(day), **facts}
