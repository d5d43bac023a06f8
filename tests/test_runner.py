import pytest

from sim.market.model import MarketModel
from sim.runner import estimate_memory
from sim.scenario import load_scenario, with_overrides

MIB = 2**20


@pytest.mark.parametrize("size", [20_000, 60_000])
def test_the_memory_estimate_covers_the_arrays_a_run_ends_with(size: int) -> None:
    """The last month holds every slot's fields, the graph and the tie counts; the
    estimate (checked against free memory before a run allocates) must cover them, and
    not refuse runs that fit by overstating them."""
    spec = with_overrides(
        load_scenario("scenarios/china_3g_2009.yaml"),
        {"population.size": size, "simulation.months": 60, "events": []},
    )
    model = MarketModel(spec, seed=1)
    model.run_months()
    st = model.state
    assert st.reserved == st.capacity  # entry grew the private fields to every slot
    held = st.nbytes + model.graph.nbytes + model.tie_counts.nbytes
    need = estimate_memory(spec) - 64 * MIB  # the interpreter's allowance
    assert held <= need <= 1.25 * held
