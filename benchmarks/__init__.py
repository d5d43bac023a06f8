"""Benchmarks (``make bench``): engine throughput, scaling in N and threads, memory."""
