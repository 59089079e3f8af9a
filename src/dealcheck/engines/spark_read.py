"""How the Spark engine reads scenario files: each file's rows as a DataFrame of text cells.

The columns are those of the DuckDB engine's rows of text (`engines.sources`):
``fi`` (the file's index), ``line``, ``fam`` (``text`` or ``json``: how the
cells are written), ``bad`` (a row the engine leaves to the Python reader)
and one column of text per field and fact (`text_columns`). A cell of a JSON
Lines file is its JSON text, as the DuckDB engine keeps it.

Spark reads CSV and JSON Lines files as lines of text, numbered in the
JVM (`numbered`): nothing but the distinct keys and the final results
travels to the driver. The reading is strict rather than clever: a CSV line
with a quote or a control character, a JSON line that is not one flat
object of the known fields, any replacement character (bytes that are not
UTF-8) make the row ``bad``, and the Python reader explains the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealcheck.engines.plan import fact_column
from dealcheck.engines.sources import (
    FACT_PREFIX,
    NAME_FIELDS,
    VALUE_FIELDS,
    csv_header,
    header_fields,
)
from dealcheck.rules import model as m
from dealcheck.scenario.validate import FIELDS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["SparkSources", "numbered", "text_columns"]

#: Characters no row of a plainly valid CSV file holds: a quote (a cell that may span
#: lines or hold commas), controls (a tab, a carriage return) and U+FFFD (bytes not UTF-8).
_ODD_CSV = '["\\x00-\\x1f\\x7f\\x{FFFD}]'
#: A JSON value's types (`schema_of_variant`) that a text cell may hold.
_NAME_TYPES = ("STRING", "VOID")
_VALUE_TYPES = ("STRING", "BOOLEAN", "VOID")


def text_columns(vocabulary: m.Vocabulary) -> list[str]:
    """The columns of text, named as the DuckDB engine's: fields, then each `fact_column`."""
    return [*NAME_FIELDS, *VALUE_FIELDS, *map(fact_column, vocabulary.facts)]


def numbered(spark: SparkSession, frame: DataFrame) -> DataFrame:
    """`frame` with ``line``: each row's number (from 1) in the frame's order, computed in the JVM.

    A row's `monotonically_increasing_id` holds its partition and its place in
    it; the partitions' sizes (one number per partition) give where each starts.
    """
    from pyspark.sql import functions as F

    frame = frame.withColumn("_mid", F.monotonically_increasing_id())
    # A file's partitions are the same each time it is read: so are the ids.
    frame = frame.withColumn("_part", F.shiftright("_mid", 33))
    sizes = sorted((int(r[0]), int(r[1])) for r in frame.groupBy("_part").count().collect())
    bases: list[tuple[int, int]] = []
    total = 0
    for part, size in sizes:
        bases.append((part, total))
        total += size
    starts = spark.createDataFrame(bases or [(0, 0)], "_part BIGINT, _base BIGINT")
    line = F.col("_base") + F.col("_mid").bitwiseAND((1 << 33) - 1) + 1
    return (frame.join(F.broadcast(starts), "_part").withColumn("line", line)
            .drop("_mid", "_part", "_base"))


class SparkSources:
    """The DataFrames of rows of text of scenario files, for the terms' vocabulary."""

    def __init__(self, spark: SparkSession, vocabulary: m.Vocabulary) -> None:
        self.spark = spark
        self.vocabulary = vocabulary
        self.facts = list(vocabulary.facts)

    def read(self, index: int, path: str, kind: str) -> DataFrame | None:
        """One file's rows of text, or None: a file the Python reader (or DuckDB) must read."""
        if kind == "csv":
            return self.read_csv(index, path)
        if kind == "jsonl":
            return self.read_jsonl(index, path)
        return self.read_parquet(index, path)

    def _lines(self, path: str) -> DataFrame:
        return numbered(self.spark, self.spark.read.text(path))

    def read_csv(self, index: int, path: str) -> DataFrame | None:
        """A CSV file's rows: its header read here, each later line split at its commas."""
        from pyspark.sql import functions as F

        names = csv_header(path)
        header = None if names is None else header_fields(names, self.vocabulary)
        if header is None:
            return None
        lines = self._lines(path).where(F.col("line") > 1)
        cells = F.split(F.col("value"), ",", -1)
        by_name = {name: F.element_at(cells, number + 1) for number, name in enumerate(header)}
        bad = F.col("value").rlike(_ODD_CSV) | (F.size(cells) != len(header))
        return lines.select(F.lit(index).alias("fi"), "line", F.lit("text").alias("fam"),
                            *self._text_cells(by_name), bad.alias("bad"))

    def read_parquet(self, index: int, path: str) -> DataFrame | None:
        """A Parquet file's rows, numbered in file order: text, dates and booleans as text.

        A column of another type (a number, a timestamp, a nested value) is left
        to the DuckDB engine, which writes it as text its own way.
        """
        return self.read_frame(index, self.spark.read.parquet(path))

    def read_frame(self, index: int, frame: DataFrame) -> DataFrame | None:
        """A DataFrame's rows, numbered in its order; None for a column not of text, dates
        or booleans."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        by_name: dict[str, Column] = {}
        names: list[str] = []
        for column in frame.schema.fields:
            if not isinstance(column.dataType, T.StringType | T.DateType | T.BooleanType):
                return None
            names.append(column.name)
            by_name[column.name] = F.col(f"`{column.name}`").cast("string")
        header = header_fields(names, self.vocabulary)
        if header is None:
            return None
        frame = numbered(self.spark, frame)
        odd = [cell.rlike(_ODD_CSV.replace('"', "")) for cell in by_name.values()]
        bad = F.lit(False)
        for test in odd:
            bad = bad | F.coalesce(test, F.lit(False))
        by_field = {name.strip(): cell for name, cell in by_name.items()}
        return frame.select(F.lit(index).alias("fi"), "line", F.lit("text").alias("fam"),
                            *self._text_cells(by_field), bad.alias("bad"))

    def _text_cells(self, by_name: dict[str, Column]) -> list[Column]:
        """Each field's cell as the CSV reader reads it: names trimmed of spaces, empty is NULL."""
        from pyspark.sql import functions as F

        out: list[Column] = []
        for name in NAME_FIELDS:
            cell = by_name.get(name)
            value = (F.lit(None).cast("string") if cell is None
                     else F.nullif(F.btrim(cell, F.lit(" ")), F.lit("")))
            out.append(value.alias(name))
        for name in (*VALUE_FIELDS, *(FACT_PREFIX + f for f in self.facts)):
            cell = by_name.get(name)
            value = (F.lit(None).cast("string") if cell is None
                     else F.nullif(cell, F.lit("")))
            column = fact_column(name[len(FACT_PREFIX):]) if name.startswith(FACT_PREFIX) \
                else name
            out.append(value.alias(column))
        return out

    def read_jsonl(self, index: int, path: str) -> DataFrame:
        """A JSON Lines file's rows: each line parsed as a variant, its fields' types checked."""
        from pyspark.sql import functions as F

        lines = self._lines(path)
        parsed = lines.select("line", "value", F.expr("try_parse_json(value)").alias("v"))

        def item(json_path: str) -> Column:
            return F.expr(f"variant_get(v, '{json_path}')")

        bad: list[Column] = [
            F.col("v").isNull(),
            ~F.expr("schema_of_variant(v)").startswith("OBJECT<"),
            F.col("value").contains("\ufffd"),
            F.size(F.array_except(F.expr("json_object_keys(value)"),
                                  F.array(*map(F.lit, FIELDS)))) > 0,
        ]
        out: list[Column] = []

        def typed(path_in: str, allowed: tuple[str, ...]) -> Column:
            found = F.expr(f"schema_of_variant(variant_get(v, '{path_in}'))")
            return F.coalesce(~found.isin(*allowed), F.lit(False))

        for name in NAME_FIELDS:
            bad.append(typed(f"$.{name}", _NAME_TYPES))
            out.append(F.expr(f"variant_get(v, '$.{name}', 'string')").alias(name))
        raw = [(name, f"$.{name}") for name in VALUE_FIELDS]
        raw += [(fact_column(f), f"$.facts.{f}") for f in self.facts]
        for name, json_path in raw:
            bad.append(typed(json_path, _VALUE_TYPES))
            shown = F.expr(f"schema_of_variant(variant_get(v, '{json_path}'))")
            out.append(F.when(shown.isin("STRING", "BOOLEAN"), F.to_json(item(json_path)))
                       .alias(name))
        facts = F.expr("schema_of_variant(variant_get(v, '$.facts'))")
        bad.append(F.coalesce(~(facts.startswith("OBJECT<") | (facts == "VOID")), F.lit(False)))
        fact_keys = F.expr("json_object_keys(to_json(variant_get(v, '$.facts')))")
        unknown = (F.array_except(fact_keys, F.array(*map(F.lit, self.facts))) if self.facts
                   else fact_keys)
        bad.append(F.coalesce(F.size(unknown) > 0, F.lit(False)))
        every = bad[0]
        for test in bad[1:]:
            every = every | F.coalesce(test, F.lit(True))
        return parsed.select(F.lit(index).alias("fi"), "line", F.lit("json").alias("fam"),
                             *out, F.coalesce(every, F.lit(True)).alias("bad"))
