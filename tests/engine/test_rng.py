import numpy as np

from sim.engine.rng import Stream, replication_seed, stream_key, uniform, uniform_array, uniform_at


def test_uniform_is_a_pure_function_of_its_four_keys():
    assert uniform(7, Stream.CHOICE, 3, 11) == uniform(7, Stream.CHOICE, 3, 11)
    draws = {
        uniform(7, Stream.CHOICE, 3, 11),
        uniform(8, Stream.CHOICE, 3, 11),
        uniform(7, Stream.CONSIDER, 3, 11),
        uniform(7, Stream.CHOICE, 4, 11),
        uniform(7, Stream.CHOICE, 3, 12),
    }
    assert len(draws) == 5


def test_array_matches_scalar_draws():
    arr = uniform_array(5, int(Stream.MIGRATION), 2, 1000)
    key = stream_key(5, int(Stream.MIGRATION), 2)
    assert all(
        arr[i] == uniform_at(key, i) == uniform(5, int(Stream.MIGRATION), 2, i) for i in (0, 1, 999)
    )


def test_draws_are_uniform_and_uncorrelated_between_neighbours():
    u = uniform_array(1, int(Stream.CONSIDER), 0, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 3 * np.sqrt(1 / 12 / u.size)
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    chi2 = ((counts - u.size / 20) ** 2 / (u.size / 20)).sum()
    assert chi2 < 43.8  # chi-square 19 dof, p = 0.001
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_replication_seeds_differ_and_are_non_negative_63_bit():
    seeds = [replication_seed(2009, r) for r in range(100)]
    assert len(set(seeds)) == 100
    assert all(0 <= s < 2**63 for s in seeds)
