"""Benchmarks and load tests (run as scripts; see bench/run.py and bench/load.py)."""
