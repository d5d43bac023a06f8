"""What a finished calibration writes: best parameters, calibrated scenario, fit, summary.

After the search, the best parameters are run once more with ``check_replications``
replications (the first ones share their seeds with the trials), which gives the fit
table its simulated mean and 5-95 % band. Files (each written atomically):

- ``calibrated_scenario.yaml``: the base scenario with the best parameters, for ``telsim run``;
- ``fit.csv``: target, moment, observed, se, simulated mean and band, z, contribution;
- ``trials.parquet`` (optuna) or ``posterior.parquet`` and ``generations.csv`` (ABC);
- ``moments.csv``: every moment compared, with its observation and selectors;
- ``check_operators.parquet``, ``check_segments.parquet``, ``check_responses.parquet``:
  tables and survey respondents of the check run;
- ``summary.json``: best parameters, loss, uncertainty and identification, provenance;
- figures (see :mod:`sim.calibration.plots`).

Uncertainty. With optuna, the plausible set is the trials whose loss is within
``chi2_0.68(p) * max(1, loss_min / (moments - p))`` of the best (a 68 % joint region,
widened by the reduced chi-square when the model does not fit to within the data's
errors); each parameter's range over that set is reported. TPE samples densely near its
best, so this range understates the uncertainty (a lower bound). With ABC, the posterior's
weighted 5/50/95 % quantiles. A parameter is *weakly identified* when that range covers
more than half of its bounds (on the log scale for log parameters); with fewer than
five plausible trials it is not judged (null in summary.json).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import make_task
from sim.calibration.loss import smm_loss
from sim.calibration.score import CheckRun, fit_summary, run_scored, score, write_fit
from sim.calibration.targets import Calibration, Parameter, apply_parameters
from sim.io import atomic_write, write_json, write_text
from sim.scenario import dump_yaml, with_overrides

WEAK_FRACTION = 0.5  # a range over more than this share of the bounds: weakly identified
CONFIDENCE = 0.68
MIN_NEAR = 5  # fewer plausible trials (ABC: effective particles): identification not judged
NEAR_BOUND = 0.02  # a best value within 2 % of the range from a bound is "at the bound"
EPSILON_SETTLED = 0.1  # ABC: a last generation lowering the threshold less has settled
ESS_SHARE = 0.25  # ABC: fewer effective particles than this share: not converged


def check_run(cal: Calibration, best: dict[str, float], progress: Any = None) -> CheckRun:
    """Run the best parameters with the check replications (in this process)."""
    reps = max(cal.settings.check_replications, cal.settings.replications)
    return run_scored(cal, best, reps, progress=progress)


def truth_loss(cal: Calibration, truth: dict[str, float]) -> float:
    """Loss at known true parameters, with the trials' replications and seed."""
    from sim.calibration.evaluate import evaluate

    values = evaluate(make_task(cal, -2, truth, cal.settings.evaluation_replications))["values"]
    return smm_loss(cal.moments, values)


# --------------------------------------------------------------------------- uncertainty
def _width(p: Parameter, lo: float, hi: float) -> float:
    """Share of the bounds a range covers (log scale for log parameters)."""
    if p.log:
        return float((np.log(hi) - np.log(lo)) / (np.log(p.high) - np.log(p.low)))
    return float((hi - lo) / (p.high - p.low))


def loss_threshold(frame: pd.DataFrame, n_params: int, n_moments: int) -> float:
    """Highest loss of the 68 % plausible region (see the module docstring)."""
    from scipy.stats import chi2

    best = float(np.nanmin(frame["loss"].to_numpy(dtype=float)))
    dof = n_moments - n_params
    scale = max(1.0, best / dof) if dof > 0 else 1.0
    return best + float(chi2.ppf(CONFIDENCE, n_params)) * scale


def plausible_trials(frame: pd.DataFrame, n_params: int, n_moments: int) -> pd.DataFrame:
    """Trials within the 68 % loss threshold of the best (see the module docstring)."""
    ok = frame[np.isfinite(frame["loss"].to_numpy(dtype=float))]
    return ok[ok["loss"] <= loss_threshold(frame, n_params, n_moments)]


def bound_hit(p: Parameter, value: float) -> str | None:
    """Which bound ``value`` is within :data:`NEAR_BOUND` of ("low", "high"), or None."""
    if _width(p, p.low, max(value, p.low)) <= NEAR_BOUND:
        return "low"
    if _width(p, min(value, p.high), p.high) <= NEAR_BOUND:
        return "high"
    return None


def identification(share: float, judged: bool, at_bound: str | None) -> str:
    """What a parameter's range says (see the module docstring)."""
    if at_bound is not None:
        return f"at {at_bound} bound"
    if not judged:
        return "not judged"
    return "weak" if share > WEAK_FRACTION else "identified"


def optuna_uncertainty(
    cal: Calibration,
    frame: pd.DataFrame,
    best: dict[str, float],
    profile: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Per parameter: its interval, its share of the bounds, a bound hit, identification.

    With a ``profile`` (:mod:`sim.calibration.profile`) the interval is the profile's,
    widened to the plausible trials' range when there are enough of them (a slice cannot
    see trade-offs between parameters, the trials near the best can); without one, the
    range of the plausible trials (not judged when fewer than
    :data:`MIN_NEAR`: a handful of trials say nothing about the minimum's shape). With
    fewer fitted moments than parameters nothing is judged: some combination of the
    parameters is then free, whatever one parameter's slice shows.
    """
    from sim.calibration.profile import interval, threshold

    params = cal.spec.parameters
    near = plausible_trials(frame, len(params), len(cal.train))
    top = None
    if profile is not None:
        best_loss = float(np.nanmin(frame["loss"].to_numpy(dtype=float)))
        top = threshold(best_loss, len(params), len(cal.train))
    out: dict[str, Any] = {}
    for p in params:
        col = near[f"param.{p.name}"].to_numpy(dtype=float)
        near_lo, near_hi = float(col.min()), float(col.max())
        if profile is not None and top is not None:
            rows = profile[profile["parameter"] == p.name]
            lo, hi = interval(
                p,
                rows["value"].to_numpy(dtype=float),
                rows["loss"].to_numpy(dtype=float),
                best[p.name],
                top,
            )
            judged, source = len(cal.train) >= len(params), "profile"
            if len(near) >= MIN_NEAR:  # trade-offs the slice cannot see widen it
                lo, hi = min(lo, near_lo), max(hi, near_hi)
                source = "profile and plausible trials"
        else:
            lo, hi = near_lo, near_hi
            judged = len(near) >= MIN_NEAR and len(cal.train) >= len(params)
            source = "plausible trials"
        share = _width(p, lo, hi)
        hit = bound_hit(p, best[p.name])
        out[p.name] = {
            "low": lo,
            "high": hi,
            "interval_from": source,
            "share_of_bounds": round(share, 3),
            "at_bound": hit,
            "identification": identification(share, judged, hit),
            "weakly_identified": bool(share > WEAK_FRACTION) if judged else None,
            "plausible_trials": len(near),
            "plausible_low": near_lo,
            "plausible_high": near_hi,
        }
    return out


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    """Quantiles of weighted samples (midpoint rule on the sorted cumulative weights)."""
    keep = w > 0  # a particle without weight is not part of the distribution
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order] / np.sum(w)
    cdf = np.cumsum(w) - 0.5 * w
    return [float(np.interp(q, cdf, x)) for q in qs]


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``1 / sum w^2`` of normalised weights."""
    w = np.asarray(weights, dtype=float)
    w = w / np.sum(w)
    return float(1.0 / np.sum(w * w))


def abc_uncertainty(
    cal: Calibration, posterior: pd.DataFrame, best: dict[str, float]
) -> dict[str, Any]:
    """Per parameter: weighted posterior mean, 5/50/95 % quantiles and identification.

    The 90 % range's share of the prior's range, a best value at an end of that range
    (:meth:`~sim.calibration.targets.Parameter.for_abc`); not judged when
    the weights rest on fewer than :data:`MIN_NEAR` effective particles.
    """
    out: dict[str, Any] = {}
    w = posterior["weight"].to_numpy(dtype=float)
    enough = len(cal.train) >= len(cal.spec.parameters)
    judged = effective_sample_size(w) >= MIN_NEAR and enough
    for p in (q.for_abc() for q in cal.spec.parameters):
        x = posterior[p.name].to_numpy(dtype=float)
        q5, q50, q95 = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
        share = _width(p, max(q5, p.low), min(q95, p.high)) if q95 > q5 else 0.0
        hit = bound_hit(p, best[p.name])
        out[p.name] = {
            "mean": float(np.sum(w * x)),
            "p5": q5,
            "p50": q50,
            "p95": q95,
            "share_of_bounds": round(share, 3),
            "at_bound": hit,
            "identification": identification(share, judged, hit),
            "weakly_identified": bool(share > WEAK_FRACTION) if judged else None,
        }
    return out


def abc_convergence(
    cal: Calibration,
    posterior: pd.DataFrame,
    generations: pd.DataFrame,
    stopped: str | None = None,
) -> dict[str, Any]:
    """Whether ABC-SMC converged, and why not.

    Converged: the threshold has settled (its last generation lowered it by less than
    :data:`EPSILON_SETTLED`, or it reached ``min_epsilon``) and the last population's
    weights rest on at least :data:`ESS_SHARE` of its particles (effective sample size).
    ``stopped`` (:attr:`~sim.calibration.abc.AbcOutcome.stopped`) is a reason too.
    """
    abc = cal.settings.abc
    eps = generations["epsilon"].to_numpy(dtype=float)
    ess = effective_sample_size(posterior["weight"].to_numpy(dtype=float))
    drop = float(1.0 - eps[-1] / eps[-2]) if len(eps) >= 2 and eps[-2] > 0 else None
    reasons = []
    settled = eps[-1] <= abc.min_epsilon or (drop is not None and drop < EPSILON_SETTLED)
    if not settled:
        what = "one generation" if drop is None else f"the last generation lowered it {drop:.0%}"
        reasons.append(f"the threshold is still falling ({what}); raise the budget or generations")
    if ess < ESS_SHARE * abc.population:
        reasons.append(
            f"the weights rest on {ess:.1f} effective particles of {abc.population}; "
            "the posterior ranges mean little"
        )
    if stopped:
        reasons.append(stopped)
    last = generations.iloc[-1]
    return {
        "converged": not reasons,
        "warnings": reasons,
        "effective_sample_size": round(ess, 2),
        "epsilon_schedule": [round(float(e), 4) for e in eps],
        "last_epsilon_drop": None if drop is None else round(drop, 4),
        "acceptance_rate": round(float(last["acceptance"]), 4),
        "generations": len(eps),
    }


def correlations(frame: pd.DataFrame, names: list[str], weights: np.ndarray | None) -> dict:
    """Pairwise (weighted) Pearson correlations of the parameters in ``frame``."""
    x = frame[names].to_numpy(dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    if len(x) < MIN_NEAR:  # three points always lie near a plane: +-1 means nothing
        return {}
    c = np.cov(x.T, aweights=w)
    sd = np.sqrt(np.diag(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = c / np.outer(sd, sd)
    out = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if np.isfinite(r[i, j]):
                out[f"{names[i]}~{names[j]}"] = round(float(r[i, j]), 3)
    return out


# --------------------------------------------------------------------------- writing
def abc_search(
    posterior: pd.DataFrame | None, generations: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ABC posterior and generations, which a search without optuna trials must have.

    Raises:
        ValueError: either is missing (a caller's bug, not a user's mistake).
    """
    if posterior is None or generations is None:
        raise ValueError("expected optuna trials, or an ABC posterior and its generations")
    return posterior, generations


def write_outputs(
    cal: Calibration,
    out: Path,
    *,
    best: dict[str, float],
    check: CheckRun,
    session: dict[str, Any],
    trials: pd.DataFrame | None = None,
    posterior: pd.DataFrame | None = None,
    generations: pd.DataFrame | None = None,
    profile: pd.DataFrame | None = None,
    figures: bool = True,
) -> dict[str, Any]:
    """Write every output file and figure; returns the summary."""
    names = [p.name for p in cal.spec.parameters]
    fit = score(cal, check)
    convergence = None
    if trials is not None:
        atomic_write(out / "trials.parquet", lambda p: trials.to_parquet(p, index=False))
        uncertainty = optuna_uncertainty(cal, trials, best, profile)
        if profile is not None:
            atomic_write(out / "profile.csv", lambda p: profile.to_csv(p, index=False))
        near = plausible_trials(trials, len(names), len(cal.train))
        corr = correlations(
            near.rename(columns={f"param.{n}": n for n in names}), names, weights=None
        )
    else:
        posterior, generations = abc_search(posterior, generations)
        atomic_write(out / "posterior.parquet", lambda p: posterior.to_parquet(p, index=False))
        atomic_write(out / "generations.csv", lambda p: generations.to_csv(p, index=False))
        uncertainty = abc_uncertainty(cal, posterior, best)
        corr = correlations(posterior, names, posterior["weight"].to_numpy())
        convergence = abc_convergence(cal, posterior, generations, session.get("stopped"))
    summary = _summary(cal, best, fit, check, uncertainty, corr, session, trials, generations)
    summary["abc_convergence"] = convergence
    summary["search_warnings"] = search_warnings(cal, trials, profile)
    write_text(out / "calibrated_scenario.yaml", calibrated_scenario(cal, best, summary))
    write_fit(out, fit)
    moments = pd.DataFrame([{**m.__dict__, "key": m.key} for m in cal.moments])
    atomic_write(out / "moments.csv", lambda p: moments.to_csv(p, index=False))
    for name, df in (
        ("check_operators", check.operators),
        ("check_segments", check.segments),
        ("check_responses", check.responses),
    ):
        frame = df.copy()
        atomic_write(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
    write_json(out / "summary.json", summary)
    if figures:
        from sim.calibration import plots

        plots.save_figures(cal, out, fit, check, best, trials, posterior, generations, summary)
        if profile is not None:
            plots.profile_figure(cal, profile, summary, out / "profile.png")
    return summary


def search_warnings(
    cal: Calibration, trials: pd.DataFrame | None, profile: pd.DataFrame | None
) -> list[str]:
    """Warnings when the profile found a loss well below the best trial's.

    "Well below": by more than a one-parameter 68 % interval's rise. The optimiser then
    stopped before the minimum, and the best values and intervals are provisional.
    """
    from sim.calibration.profile import threshold

    if len(cal.train) < len(cal.spec.parameters):
        return [
            f"{len(cal.train)} fitted moments for {len(cal.spec.parameters)} parameters: "
            "some combination of them is not pinned down by the data; identification is "
            "not judged"
        ]
    if trials is None or profile is None or not np.isfinite(profile["loss"]).any():
        return []
    best = float(np.nanmin(trials["loss"].to_numpy(dtype=float)))
    margin = threshold(best, len(cal.spec.parameters), len(cal.train)) - best
    row = profile.loc[profile["loss"].idxmin()]
    if float(row["loss"]) >= best - margin:
        return []
    return [
        f"the profile found a lower loss than the best trial ({row['loss']:.4g} at "
        f"{row['parameter']}={row['value']:.4g}, against {best:.4g}, more than the "
        f"{margin:.3g} a 68 % interval allows): the search stopped before the minimum; run "
        "more trials (--resume --trials N) before trusting the best values and intervals"
    ]


def calibrated_scenario(cal: Calibration, best: dict[str, float], summary: dict[str, Any]) -> str:
    """The base scenario with the best parameters, named ``<base>_calibrated``, as YAML.

    It keeps the base scenario's horizon, population, replications and seed (the
    calibration's run sizes are not baked in), so ``telsim run`` of it forecasts; its
    header records where it came from.
    """
    base = cal.forecast_base
    name = f"{base.name}_calibrated"
    fit, loss, st = summary["fit"], summary["loss"], cal.settings
    test = fit["test"]
    tested = (
        f"; held out ({summary['split']}): {test['moments']} moments, rms z {test['rms_z']}"
        if test["moments"]
        else ""
    )
    record = {  # the caveat of its reports (sim.report.caveat)
        "against": f"the targets of {cal.path.name} "
        f"({', '.join(t.name for t in cal.spec.targets)})",
        "method": f"{st.method}, {summary['evaluations']} evaluations, seed {st.seed}",
        "fit": f"rms z {fit['train']['rms_z']} over {fit['train']['moments']} fitted moments ("
        + ", ".join(
            f"{target} {parts['train']['rms_z']}"
            for target, parts in fit["by_target"].items()
            if "train" in parts
        )
        + ")",
        "out_of_sample": f"rms z {test['rms_z']} over {test['moments']} held-out moments "
        f"({summary['split']})"
        if test["moments"]
        else None,
        "date": str(summary["provenance"]["created"])[:10],
        "source": "telsim calibrate (summary.json, fit.csv beside this file)",
    }
    scenario = with_overrides(
        apply_parameters(base, cal.spec.parameters, best),
        {"name": name, "calibration": {k: v for k, v in record.items() if v is not None}},
        source="calibrate",
    )
    lines = [
        f"Calibrated scenario '{name}': base scenario '{base.name}' with the parameters fitted by",
        f"`telsim calibrate` on {summary['provenance']['created']}.",
        f"Targets file: {cal.path.resolve()} ('{cal.spec.name}').",
        f"Method: {st.method}, {summary['evaluations']} evaluations x {st.evaluation_replications} "
        f"replication(s) of {cal.scenario.population.size:,} agents x "
        f"{cal.scenario.simulation.months} months, seed {st.seed}.",
        f"Loss {loss['check_run']:.4g} over {fit['train']['moments']} fitted moments "
        f"(check run, {summary['check_replications']} replications); rms z {fit['rms_z']}{tested}.",
        "Parameters: " + ", ".join(f"{k}={v:.6g}" for k, v in best.items()) + ".",
        f"Horizon, population and replications are the base scenario's "
        f"({base.simulation.months} months, {base.population.size:,} agents, "
        f"{base.simulation.replications} replication(s)): `telsim run` forecasts with it.",
    ]
    return "".join(f"# {line}\n" for line in lines) + dump_yaml(scenario)


def _summary(
    cal: Calibration,
    best: dict[str, float],
    fit: pd.DataFrame,
    check: CheckRun,
    uncertainty: dict[str, Any],
    corr: dict[str, float],
    session: dict[str, Any],
    trials: pd.DataFrame | None,
    generations: pd.DataFrame | None,
) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    sc, st = cal.scenario, cal.settings
    loss = smm_loss(cal.moments, check.values)
    evaluations = len(trials) if trials is not None else int(session.get("simulations", 0))
    return {
        "calibration": cal.spec.name,
        "description": cal.spec.description,
        "method": st.method,
        "base_scenario": sc.name,
        "agents": sc.population.size,
        "months": sc.simulation.months,
        "evaluations": evaluations,
        "replications": st.evaluation_replications,
        "check_replications": check.replications,
        "moments": len(cal.moments),
        "fitted_moments": len(cal.train),
        "best_parameters": best,
        "truth": {p.name: p.truth for p in cal.spec.parameters if p.truth is not None},
        "loss": {
            "check_run": loss,
            "per_moment": loss / max(1, len(cal.train)),
            "best_trial": float(trials["loss"].min()) if trials is not None else None,
            "plausible_threshold": loss_threshold(trials, len(best), len(cal.train))
            if trials is not None
            else None,
            "at_truth": session.get("loss_at_truth"),
        },
        "split": _split_text(cal),
        "fit": fit_summary(fit),
        "uncertainty": uncertainty,
        "weakly_identified": [n for n, u in uncertainty.items() if u["weakly_identified"]],
        "at_bound": {n: u["at_bound"] for n, u in uncertainty.items() if u["at_bound"]},
        "identification_not_judged": [
            n for n, u in uncertainty.items() if u["weakly_identified"] is None
        ],
        "correlations": corr,
        "generations": generations.to_dict(orient="records") if generations is not None else None,
        "session": session,
        "provenance": {
            "package": "telsim",
            "version": pkg("telsim"),
            "targets_file": str(cal.path),
            "fingerprint": cal.digest(),
            "scenario_sha256": sc.digest(),
            "seed": st.seed,
            "seeding": "every evaluation runs the base seed: replication r uses "
            "replication_seed(seed, r) in every trial (common random numbers)",
            "batch": st.batch,
            "optuna": pkg("optuna"),
            "pyabc": pkg("pyabc"),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }


def _split_text(cal: Calibration) -> str | None:
    """The split as one phrase (None without one)."""
    split = cal.spec.split
    if split is None:
        return None
    if split.holdout_from is not None:
        return f"holdout_from {split.holdout_from}"
    seed = cal.settings.seed if split.seed is None else split.seed
    return f"holdout_fraction {split.holdout_fraction}, seed {seed}"
