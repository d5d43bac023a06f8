import numpy as np

from sim.market.operators import top_k_by_risk


def test_top_k_orders_by_risk_then_slot():
    risk = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.7])
    cands = np.arange(6)
    assert top_k_by_risk(risk, cands, 3).tolist() == [1, 4, 5]
    assert top_k_by_risk(risk, cands, 4).tolist() == [1, 4, 5, 0]
    assert top_k_by_risk(risk, cands, 10).tolist() == [1, 4, 5, 0, 2, 3]
    assert top_k_by_risk(risk, cands, 0).size == 0


def test_top_k_matches_a_full_sort_on_random_data():
    rng = np.random.default_rng(0)
    risk = rng.integers(0, 20, 5000).astype(float)  # many ties
    cands = np.flatnonzero(rng.random(5000) < 0.6)
    full = cands[np.lexsort((cands, -risk[cands]))]
    for k in (1, 17, 500, cands.size):
        assert top_k_by_risk(risk, cands, k).tolist() == full[:k].tolist()
