"""Benchmarks of the listener; run with `python -m bench run …` (never as tests)."""
