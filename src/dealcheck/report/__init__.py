"""Reports: the renderers, the JSON report's model, and atomic output.

Renderers print what they are given: the dealcheck version a report names
comes with the report's header (`ReportMeta.version`) or as the renderers'
``version`` argument, supplied by the caller.
"""
