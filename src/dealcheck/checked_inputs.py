"""The terms and scenario files a report names, read again: the HTML report's context.

The HTML page quotes clause texts, draws the amendments and sorts the
deployments by provider and workload, none of which the report holds
(`report.html.HtmlContext`). `dealcheck check --format html` reads the
files once more to get them, each only when its bytes still have the
SHA-256 the report records, so that the page never shows other terms or
deployments than those that were checked.
"""

from __future__ import annotations

import hashlib
import os

from dealcheck.checker.results import Report
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.report.html import HtmlContext
from dealcheck.rules import model as m
from dealcheck.scenario.load import InfraText
from dealcheck.scenario.model import Deployment

__all__ = ["MAX_CONTEXT", "html_context", "unchanged"]

#: Reports with more deployments than this do not read their scenario files again
#: (the matrix needs every deployment's fields in memory).
MAX_CONTEXT = 100_000


def unchanged(path: str, sha256: str) -> bool:
    """Whether `path` is a regular file whose bytes have the hash the report names."""
    if not sha256 or not os.path.isfile(path):
        return False
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    except OSError:
        return False
    return digest.hexdigest() == sha256


def html_context(report: Report, infra: InfraText | None = None) -> HtmlContext:
    """Read again the terms and scenario files a report names, those that did not change
    (with `infra`, plans or inventories read through a map: `check --map`).

    A file that is gone, changed, not a regular file (a pipe), or one the
    Python reader does not read (Parquet) is left out: the page then shows
    what the report alone says about it. So are the scenarios of a report of
    more than `MAX_CONTEXT` deployments.
    """
    from dealcheck import load
    from dealcheck.scenario.read import open_scenarios

    refs = [(a.path, a.sha256) for a in report.agreements] or [
        (report.terms.path, report.terms.sha256)]
    agreements: list[m.Terms] = []
    for path, sha256 in refs:
        if unchanged(path, sha256):
            try:
                agreements.append(load(path))
            except DiagnosticsError:
                continue
    deployments: dict[str, Deployment] = {}
    if agreements and len(report.deployments) <= MAX_CONTEXT:
        for ref in report.scenarios:
            if not unchanged(ref.path, ref.sha256):
                continue
            try:
                read = open_scenarios([ref.path], agreements[0].vocabulary, infra=infra)
                deployments.update((d.id, d) for d in read.deployments())
            except DiagnosticsError:
                continue
    return HtmlContext(tuple(agreements), deployments)
