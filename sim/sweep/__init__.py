"""Batch sweeps: many runs of one scenario family over parameter ranges.

A sweep file (:mod:`sim.sweep.spec`) names a base scenario, parameters and a design
(:mod:`sim.sweep.designs`); :mod:`sim.sweep.runner` expands it into runs, fans them out
through an executor (:mod:`sim.sweep.executors`: in-process, a process pool or Dask),
and appends each finished run to a resumable store (:mod:`sim.sweep.store`).
:mod:`sim.sweep.sensitivity` computes Sobol and Morris indices from a finished store.

Modules import their heavy dependencies (SALib, dask.distributed) lazily, so importing
this package is cheap.
"""
