"""The scoring and ranking engine: plain Python over pandas/numpy, no Django.

The methodology is the product contract ``scoring.md``; ``README.md`` beside this file
writes down what the engine decides where the contract is silent (missing answers,
inverse rules, rounding, ordering, the digest).
"""

from .compute import EngineResult, compute, inputs_digest
from .formula import Formula, FormulaError, parse_formula
from .params import format_params, parse_params
from .ranking import rank_scores, round_half_away
from .spec import (
    TOTAL_NODE,
    Band,
    FrameworkError,
    FrameworkIssue,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
)
from .validate import validate_framework

__all__ = [
    "TOTAL_NODE",
    "Band",
    "EngineResult",
    "Formula",
    "FormulaError",
    "FrameworkError",
    "FrameworkIssue",
    "FrameworkSpec",
    "GroupSpec",
    "IndicatorSpec",
    "compute",
    "format_params",
    "inputs_digest",
    "parse_formula",
    "parse_params",
    "rank_scores",
    "round_half_away",
    "validate_framework",
]
