"""ABC-SMC with pyabc: a posterior within the priors, reproducible in one process, resumable."""

from __future__ import annotations

import numpy as np
import pytest
from calkit import write_calibration

from sim.calibration.abc import Distance, natural, prior, run_abc
from sim.calibration.targets import Parameter, Prior, load_calibration
from sim.errors import UserError

SMALL = {"method": "abc", "abc": {"population": 6, "generations": 1, "simulations": 60}}


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    return write_calibration(tmp_path_factory.mktemp("abc"))


def _cal(targets, **abc):
    settings = {**SMALL, "abc": {**SMALL["abc"], **abc}}
    return load_calibration(targets, settings=settings)


def test_abc_gives_a_reproducible_posterior_and_resumes(targets, tmp_path):
    first = run_abc(_cal(targets), tmp_path / "a")
    again = run_abc(_cal(targets), tmp_path / "b")
    post = first.posterior
    assert len(post) == 6 and post["weight"].sum() == pytest.approx(1.0)
    assert post["c_base"].between(0.0, 0.25).all() and post["beta_price"].between(-5, -0.5).all()
    assert np.isfinite(post["distance"]).all()
    assert post.equals(again.posterior)  # one worker: a pure function of the seed
    with pytest.raises(UserError, match="pass --resume"):
        run_abc(_cal(targets), tmp_path / "a")
    resumed = run_abc(_cal(targets, generations=2), tmp_path / "a", resume=True)
    assert resumed.generations["generation"].tolist() == [0, 1]
    assert resumed.ran_now > 0 and resumed.simulations == first.simulations + resumed.ran_now
    eps = resumed.generations["epsilon"].to_numpy()
    assert eps[1] <= eps[0]
    with pytest.raises(UserError, match="different calibration"):
        run_abc(
            load_calibration(targets, settings={**SMALL, "seed": 9}), tmp_path / "a", resume=True
        )


def test_priors_follow_the_bounds_and_the_distance_is_the_root_loss(targets):
    uniform = prior(Parameter(name="a", path="x", low=-1.0, high=3.0))
    assert uniform.cdf(-1.0) == 0.0 and uniform.cdf(3.0) == 1.0
    log_b = Parameter(name="b", path="x", low=0.01, high=1.0, log=True)
    logu = prior(log_b)  # uniform in log10: -2 .. 0
    assert logu.cdf(-2.0) == 0.0 and logu.cdf(-1.0) == pytest.approx(0.5)
    assert natural(log_b, -1.0) == pytest.approx(0.1)
    normal = prior(
        Parameter(
            name="c", path="x", low=0.0, high=1.0, prior=Prior(kind="normal", mean=0.5, sd=0.1)
        )
    )
    assert normal.cdf(0.0) == 0.0 and normal.cdf(0.5) == pytest.approx(0.5)
    cal = load_calibration(targets)
    d = Distance(cal)
    x0 = {f"m{k}": m.observed for k, m in enumerate(cal.moments)}
    x = dict(x0)
    x["m0"] = x0["m0"] + 2 * cal.moments[0].se
    assert d(x0, x0) == 0.0 and d(x, x0) == pytest.approx(2.0)


def test_log_parameters_are_sampled_in_log10_and_reported_in_their_units(tmp_path):
    def log_c_base(raw):
        raw["parameters"][0].update({"low": 0.01, "high": 0.25, "log": True})

    targets = write_calibration(tmp_path / "cal", change=log_c_base)
    out = run_abc(_cal(targets), tmp_path / "a")
    values = out.posterior["c_base"]
    assert values.between(0.01, 0.25).all()  # natural units, not log10 (-2 .. -0.6)
    import pyabc

    history = pyabc.History(f"sqlite:///{tmp_path / 'a' / 'abc.db'}")
    stored, _ = history.get_distribution(m=0, t=history.max_t)
    assert np.allclose(10.0 ** stored["c_base"].to_numpy(), values.to_numpy())


def test_local_transition_and_own_replications(targets, tmp_path, monkeypatch):
    """``transition: local`` perturbs with pyabc's LocalTransition at the given scaling;
    abc.replications is used."""
    import pyabc

    import sim.calibration.abc as abc_module

    made, reps = [], []
    real_local, real_task = pyabc.LocalTransition, abc_module.make_task

    def local(*args, **kwargs):
        made.append(kwargs)
        return real_local(*args, **kwargs)

    def task(cal, index, values, replications):
        reps.append(replications)
        return real_task(cal, index, values, replications)

    monkeypatch.setattr(pyabc, "LocalTransition", local)
    monkeypatch.setattr(abc_module, "make_task", task)
    cal = _cal(targets, transition="local", replications=2, generations=2, scaling=1.5)
    out = run_abc(cal, tmp_path / "a")
    assert made and all(kw["scaling"] == 1.5 for kw in made)
    assert out.generations["generation"].tolist() == [0, 1]
    assert set(reps) == {2} and out.posterior["weight"].sum() == pytest.approx(1.0)


def test_a_prior_range_narrows_what_abc_samples_and_judges(tmp_path):
    """``prior.low/high``: particles stay inside it; bounds at its ends are flagged there."""
    from sim.calibration.outputs import abc_uncertainty

    def basin(raw):
        raw["parameters"][0]["prior"] = {"low": 0.05, "high": 0.12}
        raw["parameters"][1].update({"log": False, "prior": {"kind": "uniform", "low": -3.0}})

    targets = write_calibration(tmp_path / "cal", change=basin)
    cal = _cal(targets)
    c_base = cal.spec.parameters[0]
    assert (c_base.low, c_base.high) == (0.0, 0.25)  # the search keeps its bounds
    assert (c_base.for_abc().low, c_base.for_abc().high) == (0.05, 0.12)
    assert cal.spec.parameters[1].for_abc().high == -0.5  # an end left out: the bound
    out = run_abc(cal, tmp_path / "a")
    assert out.posterior["c_base"].between(0.05, 0.12).all()
    assert out.posterior["beta_price"].between(-3.0, -0.5).all()
    edge = {"c_base": 0.12, "beta_price": -2.0}
    unc = abc_uncertainty(cal, out.posterior, edge)
    assert unc["c_base"]["at_bound"] == "high"


def test_a_log_parameter_keeps_its_log_prior_when_given_a_range():
    p = Parameter(name="b", path="x", low=0.01, high=1.0, log=True, prior=Prior(low=0.1))
    assert p.prior.kind == "loguniform"
    rv = prior(p)  # uniform in log10: -1 .. 0
    assert rv.cdf(-1.0) == 0.0 and rv.cdf(-0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("rng", [{"low": -0.1}, {"low": 0.2, "high": 0.1}, {"high": 0.3}])
def test_a_prior_range_outside_the_bounds_is_refused(tmp_path, rng):
    def bad(raw):
        raw["parameters"][0]["prior"] = rng

    with pytest.raises(UserError, match=r"parameters\[c_base\]\.prior: expected low < high"):
        load_calibration(write_calibration(tmp_path / "cal", change=bad))


def test_a_failed_perturbation_kernel_keeps_the_generations_done(targets, tmp_path, monkeypatch):
    """pyabc's LinAlgError (degenerate weights) ends the run with the last generation's posterior."""
    import pyabc

    from sim.calibration.outputs import abc_convergence

    first = run_abc(_cal(targets), tmp_path / "a")

    def broken(self, *args, **kwargs):
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(pyabc.ABCSMC, "run", broken)
    cal = _cal(targets, generations=2)
    out = run_abc(cal, tmp_path / "a", resume=True)
    assert out.stopped is not None and "generation 1" in out.stopped
    assert out.posterior.equals(first.posterior) and out.ran_now == 0
    verdict = abc_convergence(cal, out.posterior, out.generations, out.stopped)
    assert not verdict["converged"] and out.stopped in verdict["warnings"]
