"""Evaluation of nianbao: scoring against goldens, reports, synthetic corpus.

Kept outside ``extractor`` so the scoring rules (golden-format.md) are
applied by a separate, small piece of code that the extractor cannot bend.
"""
