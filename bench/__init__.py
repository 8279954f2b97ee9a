"""Benchmarks for Summit Intel: `make bench` (python -m bench)."""
