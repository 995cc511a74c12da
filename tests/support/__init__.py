"""Helpers shared by the test suites and the benchmarks (each helper has its tests next to it)."""
