"""Exact analysis over the terms' finite vocabulary: `diff` between two versions, `analyze` one.

Pure Python, deterministic: the region algebra (`analysis.space`) cuts each
axis of a deployment at the constants the terms mention, the real evaluator
judges one representative of each cell, and cells of one outcome merge into
regions said in the deal's own words (`analysis.regions`).
"""
