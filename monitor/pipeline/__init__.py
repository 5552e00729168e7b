"""Glue between collection and the store: rules -> identity -> scorer, batch by batch.

``evaluate.Evaluator`` scores one post; ``ingest.Pipeline`` de-duplicates and commits batches;
``ruleholder.RuleHolder`` keeps the last valid rule set.
"""

from monitor.pipeline.ingest import Pipeline

__all__ = ["Pipeline"]
