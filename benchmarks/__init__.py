"""Benchmarks and the load/fault harness (``benchmarks/load.py``); they print figures."""
