"""The Bass limit with a market potential (Norton & Bass 1987), docs/model.md step 8.

With ``mixing: global``, handsets available, ``beta_migration = 0`` and a market
potential m for the new generation, only subscribers whose adoption rank is below m can
adopt, and each of them who has not adopted does so with probability ``p + q A_t``
(``A_t``: last month's share of everyone on the new generation). So given the state,
the adopters next month are ``A_t + Binomial(N (W - A_t), p + q A_t) / N`` with ``W`` the
share of subscribers within the potential (``W`` = m up to sampling error): the Bass
model with market potential W. The one-step z scores are checked as in
``test_bass_limit.py`` (4 SE each, chi-square over the months, mean z).
"""

from __future__ import annotations

import numpy as np
from test_bass_limit import CHI2_24_999, MONTHS, Z_EACH, N, Z, bass_scenario

from sim.engine import layout as L
from sim.market.model import MarketModel
from sim.scenario import validate_scenario

P, Q, POTENTIAL = 0.02, 0.4, 0.4


def test_adoption_follows_bass_with_the_willing_share_as_potential() -> None:
    raw = bass_scenario(P, Q, 1.0, 1.0)
    raw["population"]["segments"][0]["potential"] = {3: POTENTIAL}
    model = MarketModel(validate_scenario(raw), seed=5)
    st = model.state
    willing = float(np.mean(st.adopt_rank[:N] / L.ADOPT_RANKS < POTENTIAL))
    assert abs(willing - POTENTIAL) < 4 * np.sqrt(POTENTIAL * (1 - POTENTIAL) / N)
    share = [0.0]
    for _ in range(MONTHS):
        model.step()
        counts = model.counts[model.month].sum(axis=(0, 1))
        share.append(counts[L.C_GEN3] / counts[L.C_SUBS])
    a = np.array(share)
    prev = a[:-1]
    h = P + Q * prev
    predicted = prev + h * (willing - prev)
    se = np.sqrt((willing - prev) * h * (1 - h) / N)
    z = (a[1:] - predicted) / se
    assert np.all(np.abs(z) < Z_EACH), z
    assert np.sum(z**2) < CHI2_24_999, z
    assert abs(z.mean()) * np.sqrt(z.size) < Z, z
    assert a[-1] > 0.8 * willing  # the diffusion neared its potential: the check had work
    assert a.max() <= willing  # and never beyond it
