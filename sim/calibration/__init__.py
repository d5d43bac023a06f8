"""Calibration: fit behaviour parameters to survey moments and market series.

``telsim calibrate TARGETS`` reads a targets file (:mod:`sim.calibration.targets`),
runs the model through the sweep executors with common random numbers, fields simulated
surveys inside each run (:mod:`sim.calibration.survey`), and minimises a weighted
simulated-method-of-moments loss with optuna (:mod:`sim.calibration.optimize`) or
samples an ABC-SMC posterior with pyabc (:mod:`sim.calibration.abc`).
"""
