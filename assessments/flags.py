"""Data-quality flags on a period's returns, computed before review (vectorised with pandas).

Four rules, each on the *scored* value (the reviewer's adjusted value where there is one):

``last_year``  far from last year's value. Compared with the same unit's answer to the
               indicator with the same code in ``period.previous``; numbers, integers and
               percentages only. Flagged when the relative change |x − x₀| / |x₀| is above
               :data:`LAST_YEAR_RELATIVE_CHANGE` (0.5, i.e. more than 50 % up or down), or
               when last year was 0 and this year is not.
``cohort``     far from the cohort: the robust "modified z-score" of Iglewicz and Hoaglin,
               |x − median| / (1.4826 · MAD) > :data:`COHORT_ROBUST_Z` (3.5), over the
               answers of the same cohort and indicator in returns that were handed in
               (submitted, returned, resubmitted, approved), with at least
               :data:`COHORT_MIN_UNITS` values. When MAD = 0 (more than half the units gave the
               same value) the scale falls back to 1.2533 · the mean absolute deviation from
               the median; when that is 0 too, every value is equal and nothing is flagged.
``ratio_100``  a percentage above 100 %.
``evidence``   the indicator requires evidence and the answer has none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Count
from django.utils.translation import gettext as _

from .models import Answer, Period, ReviewFlag, Submission, ValueType

LAST_YEAR_RELATIVE_CHANGE = 0.5
COHORT_ROBUST_Z = 3.5
COHORT_MIN_UNITS = 4
MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533
NUMERIC_TYPES = (ValueType.NUMBER, ValueType.INTEGER, ValueType.PERCENT)
HANDED_IN = (Submission.Status.SUBMITTED, Submission.Status.RETURNED,
             Submission.Status.RESUBMITTED, Submission.Status.APPROVED)

Kind = ReviewFlag.Kind


@dataclass(frozen=True)
class FoundFlag:
    answer_id: int
    kind: str
    message: str


def _number(x: float) -> str:
    return f"{x:,.6g}".replace(",", "\u00a0")


def _answers_frame(period: Period) -> pd.DataFrame:
    rows = (Answer.objects.filter(submission__period=period,
                                  submission__status__in=HANDED_IN)
            .annotate(evidence_count=Count("evidence"))
            .values_list("pk", "submission__unit__code", "submission__unit__cohort__code",
                         "indicator__code", "indicator__value_type",
                         "indicator__evidence_required", "verdict", "value_number",
                         "adjusted_number", "evidence_count"))
    frame = pd.DataFrame(list(rows), columns=[
        "answer_id", "unit_code", "cohort", "indicator_code", "value_type",
        "evidence_required", "verdict", "value_number", "adjusted_number", "evidence_count"])
    adjusted = frame["verdict"] == Answer.Verdict.ADJUSTED
    frame["x"] = pd.to_numeric(frame["value_number"].where(~adjusted, frame["adjusted_number"]),
                               errors="coerce").astype(float)
    return frame


def _previous_frame(period: Period) -> pd.DataFrame:
    if period.previous_id is None:
        return pd.DataFrame(columns=["unit_code", "indicator_code", "x0"])
    rows = (Answer.objects.filter(submission__period_id=period.previous_id,
                                  submission__status=Submission.Status.APPROVED)
            .values_list("submission__unit__code", "indicator__code", "verdict",
                         "value_number", "adjusted_number"))
    frame = pd.DataFrame(list(rows), columns=["unit_code", "indicator_code", "verdict",
                                              "value_number", "adjusted_number"])
    adjusted = frame["verdict"] == Answer.Verdict.ADJUSTED
    frame["x0"] = pd.to_numeric(frame["value_number"].where(~adjusted,
                                                            frame["adjusted_number"]),
                                errors="coerce").astype(float)
    return frame[["unit_code", "indicator_code", "x0"]]


def robust_z(values: pd.Series, groups: list[pd.Series]) -> pd.Series:
    """|x − median| / scale per group (see the module's docstring); NaN where a group is
    too small or its values are all equal."""
    grouped = values.groupby(groups)
    median = grouped.transform("median")
    deviation = (values - median).abs()
    by_group = deviation.groupby(groups)
    mad = by_group.transform("median")
    mean_ad = by_group.transform("mean")
    count = grouped.transform("count")
    scale = (MAD_SCALE * mad).where(mad > 0, MEAN_AD_SCALE * mean_ad)
    z = deviation / scale.where(scale > 0)
    return z.where(count >= COHORT_MIN_UNITS)


def compute(answers: pd.DataFrame, previous: pd.DataFrame) -> list[FoundFlag]:
    """The flags of ``answers`` (one row per answer: answer_id, unit_code, cohort,
    indicator_code, value_type, evidence_required, evidence_count, x) given last year's
    values ``previous`` (unit_code, indicator_code, x0). Pure: no database."""
    found: list[FoundFlag] = []
    if answers.empty:
        return found
    numeric = answers[answers["value_type"].isin(NUMERIC_TYPES) & answers["x"].notna()]

    merged = numeric.merge(previous, on=["unit_code", "indicator_code"], how="inner")
    merged = merged[merged["x0"].notna()]
    base = merged["x0"].abs()
    change = (merged["x"] - merged["x0"]).abs()
    relative = (change / base.where(base > 0)).where(base > 0,
                                                    np.where(change > 0, np.inf, 0.0))
    far = merged[relative > LAST_YEAR_RELATIVE_CHANGE]
    for row, rel in zip(far.itertuples(index=False), relative[relative >
                                                              LAST_YEAR_RELATIVE_CHANGE],
                        strict=True):
        text = (_("Năm trước %(old)s, năm nay %(new)s (thay đổi %(pct)s %%).")
                % {"old": _number(row.x0), "new": _number(row.x),
                   "pct": "∞" if np.isinf(rel) else f"{rel * 100:.0f}"})
        found.append(FoundFlag(int(row.answer_id), Kind.FAR_FROM_LAST_YEAR, text))

    numeric = numeric.assign(
        z=robust_z(numeric["x"], [numeric["cohort"], numeric["indicator_code"]]),
        median=numeric.groupby([numeric["cohort"], numeric["indicator_code"]])["x"]
        .transform("median"))
    for row in numeric[numeric["z"] > COHORT_ROBUST_Z].itertuples(index=False):
        text = (_("Giá trị %(value)s khác xa trung vị của nhóm (%(median)s): z = %(z)s.")
                % {"value": _number(row.x), "median": _number(row.median),
                   "z": "∞" if np.isinf(row.z) else f"{row.z:.1f}"})
        found.append(FoundFlag(int(row.answer_id), Kind.FAR_FROM_COHORT, text))

    above = numeric[(numeric["value_type"] == ValueType.PERCENT) & (numeric["x"] > 100)]
    for row in above.itertuples(index=False):
        found.append(FoundFlag(int(row.answer_id), Kind.RATIO_ABOVE_100,
                               _("Tỷ lệ %(value)s %% lớn hơn 100 %%.")
                               % {"value": _number(row.x)}))

    missing = answers[answers["evidence_required"].astype(bool)
                      & (answers["evidence_count"] == 0)]
    for row in missing.itertuples(index=False):
        found.append(FoundFlag(int(row.answer_id), Kind.EVIDENCE_MISSING,
                               _("Tiêu chí bắt buộc tài liệu kiểm chứng nhưng chưa có tệp nào.")))
    return found


def period_flags(period: Period) -> list[FoundFlag]:
    """The flags of every handed-in return of ``period`` (two queries)."""
    return compute(_answers_frame(period), _previous_frame(period))
