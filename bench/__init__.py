"""Benchmarks: each `bench/bench_*.py` has a `main()` that measures and prints its numbers."""
