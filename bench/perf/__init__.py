"""Helpers for ``bench/run.py``: synthetic workloads (``workload``) and the measured cases (``cases``)."""
