"""Understanding a ranking with the official engine: why it moved, what would raise it,
what if the weights changed, how robust it is, and last year on this year's framework.

Plain pandas/numpy like :mod:`rankings.engine` (no Django). Everything here calls the
engine (``compute``, its tree, aggregation, rounding and ranking); nothing re-implements
a rule. ``docs/analysis.md`` describes the methods.
"""

from .comparable import comparable_series, crosswalk_values
from .decompose import Decomposition, decompose
from .fast import Reaggregator
from .improve import Improvements, improvements
from .montecarlo import MonteCarloResult, monte_carlo
from .scenario import ScenarioError, apply_changes, changes_between, normalise_changes
from .whatif import WhatIfResult, whatif

__all__ = [
    "Decomposition",
    "Improvements",
    "MonteCarloResult",
    "Reaggregator",
    "ScenarioError",
    "WhatIfResult",
    "apply_changes",
    "changes_between",
    "comparable_series",
    "crosswalk_values",
    "decompose",
    "improvements",
    "monte_carlo",
    "normalise_changes",
    "whatif",
]
