"""The framework as plain, immutable data: settings, groups, indicators and bands.

Nothing here knows about Django: the web side builds a :class:`FrameworkSpec` from its
models (or from a workbook, see :mod:`rankings.engine.tables`) and hands it to
:func:`rankings.engine.compute`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field

RULES = ("direct", "boolean", "ratio", "bands", "choice", "goalpost", "minmax", "zscore", "none")
RELATIVE_RULES = ("minmax", "zscore")
VALUE_TYPES = ("number", "integer", "percent", "boolean", "choice", "text")
AGGREGATIONS = ("sum", "weighted_mean", "geometric_mean")
RESCALES = ("", "minmax")
RANK_ON = ("rounded", "exact")
TIES = ("competition", "dense")
MISSING = ("zero", "skip", "unranked")
MAX_DECIMALS = 6

#: The ``node`` of a unit's total in the ``previous`` frame given to ``compute``.
TOTAL_NODE = "__total__"


@dataclass(frozen=True)
class IndicatorSpec:
    """A leaf of the tree. ``params`` holds the raw ``key -> value`` strings of the workbook."""

    code: str
    group: str
    name: str = ""
    value_type: str = "number"
    unit: str = ""
    rule: str = "direct"
    params: Mapping[str, str] = field(default_factory=dict)
    max_points: float = 1.0
    weight: float = 1.0
    inverse: bool = False
    applies_to: tuple[str, ...] = ()
    required: bool = True
    evidence: bool = False
    min: float | None = None
    max: float | None = None
    formula: str = ""
    guidance: str = ""
    order: int = 0

    @property
    def derived(self) -> bool:
        """True when the value is computed from ``formula`` rather than answered."""
        return bool(self.formula and self.formula.strip())

    @property
    def scored(self) -> bool:
        """True when the indicator takes part in its group (every rule but ``none``)."""
        return self.rule != "none"

    def applies(self, cohort: str) -> bool:
        """Whether the indicator exists for units of ``cohort``."""
        return not self.applies_to or cohort in self.applies_to


@dataclass(frozen=True)
class GroupSpec:
    """A criterion group; ``parent`` is ``""`` for a top-level group (a child of the root)."""

    code: str
    name: str = ""
    parent: str = ""
    aggregation: str = "sum"
    weight: float = 1.0
    max_points: float | None = None
    rescale: str = ""
    order: int = 0


@dataclass(frozen=True)
class Band:
    """A label given to units whose published total is at least ``min_score``."""

    label: str
    min_score: float


@dataclass(frozen=True)
class FrameworkSpec:
    """Settings and tree of one framework (see ``scoring.md``)."""

    code: str
    name: str = ""
    scale: float = 100
    aggregation: str = "sum"
    decimals: int = 2
    rank_on: str = "rounded"
    ties: str = "competition"
    missing: str = "zero"
    groups: tuple[GroupSpec, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True)
class FrameworkIssue:
    """One problem found in a framework.

    ``kind`` is ``settings``, ``group``, ``indicator`` or ``band``; ``code`` names the
    group/indicator, the settings key or the band label; ``field`` the column concerned.
    ``message`` is English. ``key`` names the message in a stable, machine-readable way
    (``"formula.unknown_indicator"``) and ``params`` holds the values it shows, already as
    text, so that a user interface can show it in its own language; ``key`` is ``""`` for a
    message without one. Neither takes part in comparisons.
    """

    kind: str
    code: str
    field: str
    message: str
    key: str = dataclass_field(default="", compare=False)
    params: Mapping[str, str] = dataclass_field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = f"{self.kind} {self.code!r}" if self.code else self.kind
        return f"{where}, {self.field}: {self.message}"


class FrameworkError(ValueError):
    """An invalid framework (or params text); ``issues`` lists every problem found."""

    def __init__(self, issues: list[FrameworkIssue] | str, *, key: str = "",
                 params: Mapping[str, str] | None = None):
        if isinstance(issues, str):
            issues = [FrameworkIssue("indicator", "", "params", issues, key=key,
                                     params=dict(params or {}))]
        self.issues: list[FrameworkIssue] = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues) or "invalid framework")
