"""Compare policies with common random numbers: paired differences across replications.

Every policy runs replication r with the same seed, so the per-subscriber draws are
shared and the difference of two runs reflects the policy, not the noise.
``compare(paths, Options(...))`` runs and compares; ``save(comparison, out)`` writes
the slide table, CSV, JSON, figures and run folders; ``compare_results`` compares
runs already in memory.
"""

from sim.compare.build import compare, default_out, save
from sim.compare.comparison import Comparison, Policy, compare_results
from sim.compare.inputs import Options
from sim.compare.paired import PairedDifference, paired_difference

__all__ = [
    "Comparison",
    "Options",
    "PairedDifference",
    "Policy",
    "compare",
    "compare_results",
    "default_out",
    "paired_difference",
    "save",
]
