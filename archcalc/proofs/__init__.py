"""Proofs: symbolic derivations (sympy) checked against exact counts.

* :mod:`~archcalc.proofs.proof` — the :class:`~archcalc.proofs.proof.Proof` model and its renderers;
* :mod:`~archcalc.proofs.dsc` — depthwise separable vs standard convolution;
* :mod:`~archcalc.proofs.multipliers` — width/resolution multiplier scaling laws;
* :mod:`~archcalc.proofs.compound` — EfficientNet's compound scaling;
* :mod:`~archcalc.proofs.homework` — the homework questions, answered.

Proofs sit above :mod:`archcalc.api` (they analyse specs) and never import the executor.
"""
