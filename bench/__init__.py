"""Benchmark of the Nmbrs load: ``python -m bench`` (see bench/README.md)."""
