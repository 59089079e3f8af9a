"""The view ``rows`` of the DuckDB engine: each row of ``src`` typed, and whether it is valid.

`typed_rows` types the text cells of the view ``src`` (`engines.sources`) as
the evaluation plan reads them (`engines.plan.RowColumns`): names as they
are, and the texts of dates, quantities and facts as `engines.values`
judges or converts them; ``bad`` marks a row the engine does not vouch for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealcheck.engines.plan import fact_column, typed_columns
from dealcheck.engines.sources import NAME_FIELDS, VALUE_FIELDS, sql_ident, undeclared
from dealcheck.engines.values import ValueJudge
from dealcheck.scenario.validate import REQUIRED_FIELDS

if TYPE_CHECKING:
    import duckdb as duckdb_module

__all__ = ["typed_rows"]

#: A printable ASCII id with no space at either end (other ids: the Python reader decides).
_ID_PATTERN = "[!-~]([ -~]*[!-~])?"


def typed_rows(con: duckdb_module.DuckDBPyConnection, judge: ValueJudge,
               strict: bool = False) -> tuple[list[str], bool]:
    """The view `rows`: every row typed (`engines.plan.RowColumns`), and `bad` if not valid.

    Each text's value is found once, in an inner query (``t:NAME``, with
    ``d:NAME`` its dimension and ``ok:NAME`` whether it is valid, when
    joined), which the columns and `bad` then read. Returns its columns' names,
    and whether the query joins (which keeps no order).

    The texts are typed as the judged texts say (`ValueJudge.direct`,
    `ValueJudge.lookup`, a join) or, `strict`, without any: only texts in
    canonical form are typed (`ValueJudge.strict`), any other is `bad`.
    """
    vocabulary = judge.vocabulary
    joins: list[str] = []
    slotted = ["*"]  # each text's slot (`ValueJudge.lookup`), computed first
    inner = ["s.*"]
    # `rn` is the file's part of the row's number: `_Session._keyed` (`engines.duckdb`) adds the
    # line, unless the query joins (then the line is read).
    columns = ["rn", "fi AS fi", "fam AS fam", "nk AS nk", "nf AS nf",
               *(f"{sql_ident(n)} AS {sql_ident(n)}" for n in NAME_FIELDS)]
    bad = ["bad", *(f"{sql_ident(n)} IS NULL" for n in REQUIRED_FIELDS if n != "start"),
           "start IS NULL",
           f"NOT regexp_full_match(id, '{_ID_PATTERN}')",
           undeclared("party", vocabulary.parties),
           undeclared("workload", vocabulary.workloads),
           undeclared("provider", vocabulary.providers),
           f"coalesce({undeclared('region', vocabulary.regions)}, false)"]
    typed: dict[str, str] = {}
    for number, name in enumerate((*VALUE_FIELDS, *map(fact_column, judge.facts))):
        text = sql_ident(name)
        if name in ("capacity", "value"):  # the texts of quantities aggregates sum
            columns.append(f"{text} AS {sql_ident('raw:' + name)}")
        found = {} if strict else judge.values[name].found
        direct = judge.direct(name, f"s.{text}", "s.fam") if found else None
        value, dim = sql_ident("t:" + name), sql_ident("d:" + name)
        canonical = (judge.strict(name, f"s.{text}", "s.fam",
                                       "s." + sql_ident("at:" + name)) if strict else None)
        if canonical is not None:  # texts in canonical form: no join
            first, converted, dimension = canonical
            if first is not None:
                slotted.append(f"{first} AS {sql_ident('at:' + name)}")
            inner += [f"{converted} AS {value}", f"{dimension} AS {dim}"]
            bad.append(f"({text} IS NOT NULL AND {value} IS NULL)")
        elif strict:  # no text is in canonical form
            value, dim = f"NULL::{judge.sql_type(name)}", "NULL::VARCHAR"
            bad.append(f"({text} IS NOT NULL)")
        elif direct is not None:  # converted in SQL: no join
            inner.append(f"{direct} AS {value}")
            bad.append(f"({text} IS NOT NULL AND {value} IS NULL)")
            dim = "NULL::VARCHAR"
        elif found:
            ok, at = sql_ident("ok:" + name), sql_ident("at:" + name)
            looked = judge.lookup(name, f"s.{text}", "s.fam", f"s.{at}")
            if looked is None:  # a join (which does not keep the rows' order)
                alias = f"v{number}"
                joins.append(f"LEFT JOIN {sql_ident('v_' + name)} {alias} ON "
                             f"{alias}.fam = s.fam AND {alias}.raw = s.{text}")
                looked = ("NULL", f"{alias}.v", f"{alias}.dim", f"{alias}.ok")
            slotted.append(f"{looked[0]} AS {at}")
            inner += [f"{looked[1]} AS {value}", f"{looked[2]} AS {dim}",
                      f"{looked[3]} AS {ok}"]
            bad.append(f"({text} IS NOT NULL AND {ok} IS NOT TRUE)")
        else:  # no row gives it: no join
            value, dim = f"NULL::{judge.sql_type(name)}", "NULL::VARCHAR"
        columns += typed_columns(name, value, dim, sql_ident)
        typed[name] = value
    joined = bool(joins)
    columns[0] = ("(fi::BIGINT << 40) + line AS rn" if joined
                  else "(fi::BIGINT << 40) AS rn")
    if strict or judge.values["end"].found:  # end before start
        bad.append(f"coalesce({typed['end']} < {typed['start']}, false)")
    columns.append("(" + " OR ".join(f"coalesce({b}, true)" for b in bad) + ") AS bad")
    con.execute(f"CREATE VIEW rows AS SELECT {', '.join(columns)} FROM (SELECT "
                     f"{', '.join(inner)} FROM (SELECT {', '.join(slotted)} FROM src s) s "
                     f"{' '.join(joins)})")
    # INVARIANT: each column ends with its name, quoted (`sql_ident`) but `rn`.
    return ["rn", *(c.rsplit(" AS ", 1)[1].strip('"').replace('""', '"')
                    for c in columns[1:])], joined
