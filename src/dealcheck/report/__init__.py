"""Reports: the renderers, the JSON report's model, and atomic output.

Renderers print what they are given: the dealcheck version a report names
comes with the report's header (`ReportMeta.version`) or as the renderers'
``version`` argument, supplied by the caller.
"""

__all__ = ["REPORT_FORMATS"]

#: The values `dealcheck check --format` accepts (`output.make_renderer`); here,
#: where the command line reads them without importing any renderer.
REPORT_FORMATS: tuple[str, ...] = ("text", "json", "jsonl", "parquet", "junit", "sarif",
                                   "markdown", "html")
