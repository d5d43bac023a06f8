"""The fast core: subscriber arrays, social graphs, random numbers and numba kernels.

Nothing in here knows about files, YAML or the command line.
"""
