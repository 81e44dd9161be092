"""The methodology of a period in words, generated from its framework (public page, report).

``explain_rule`` says how an indicator's value becomes points (docs: shared spec
scoring.md); ``framework_changes`` lists what changed against the previous period's
framework, indicator by code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from assessments.models import Framework, Indicator, Rule
from rankings.engine.params import FrameworkError, parse_params

from .charts import fmt


def _points(value) -> str:
    try:
        return fmt(float(value), 2)
    except (TypeError, ValueError):
        return str(value)


def explain_rule(indicator: Indicator) -> str:
    """How the indicator is scored, in one or two sentences of the active language."""
    try:
        params = parse_params(indicator.params or "")
    except FrameworkError:  # unreadable parameters: the rule without them
        params = {}
    maximum = fmt(indicator.max_points, 2)
    rule = indicator.rule
    inverse = indicator.inverse
    if rule == Rule.DIRECT:
        text = _("Điểm được cho trực tiếp, từ 0 đến %(max)s.") % {"max": maximum}
    elif rule == Rule.BOOLEAN:
        text = _("Có: %(max)s điểm; không: 0 điểm.") % {"max": maximum}
    elif rule == Rule.RATIO:
        text = _("Điểm = %(max)s × giá trị / mục tiêu %(target)s, tối đa %(max)s.") % {
            "max": maximum, "target": _points(params.get("target", "?"))}
    elif rule == Rule.BANDS:
        steps = "; ".join(
            (_("đến %(t)s: %(p)s điểm") if inverse else _("từ %(t)s: %(p)s điểm"))
            % {"t": _points(t), "p": _points(p)} for t, p in params.items())
        text = _("Theo ngưỡng – %(steps)s.") % {"steps": steps}
    elif rule == Rule.CHOICE:
        steps = "; ".join(_("“%(o)s”: %(p)s điểm") % {"o": o, "p": _points(p)}
                          for o, p in params.items())
        text = _("Theo phương án chọn – %(steps)s.") % {"steps": steps}
    elif rule == Rule.GOALPOST:
        text = _("Chuẩn hoá giữa mốc %(lo)s (0 điểm) và mốc %(hi)s (%(max)s điểm).") % {
            "lo": _points(params.get("lo", "?")), "hi": _points(params.get("hi", "?")),
            "max": maximum}
        if inverse:
            text = _("Chuẩn hoá giữa mốc %(lo)s (%(max)s điểm) và mốc %(hi)s (0 điểm).") % {
                "lo": _points(params.get("lo", "?")), "hi": _points(params.get("hi", "?")),
                "max": maximum}
    elif rule == Rule.MINMAX:
        text = _("So với các đơn vị cùng nhóm: giá trị thấp nhất 0 điểm, cao nhất %(max)s "
                 "điểm, ở giữa theo tỷ lệ.") % {"max": maximum}
    elif rule == Rule.ZSCORE:
        text = _("Điểm chuẩn z so với các đơn vị cùng nhóm (độ lệch so với trung bình).")
    else:
        text = _("Không tính điểm: chỉ thu thập số liệu.")
    if inverse and rule not in (Rule.GOALPOST, Rule.BANDS):
        text += " " + _("Giá trị càng thấp càng tốt.")
    if indicator.formula:
        text += " " + _("Giá trị được tính theo công thức %(f)s.") % {"f": indicator.formula}
    return text


COMPARED = ("name", "group_code", "rule", "params", "max_points", "weight", "inverse",
            "formula", "applies_to")


@dataclass
class FrameworkChanges:
    previous: Framework | None
    added: list[Indicator] = field(default_factory=list)
    removed: list[Indicator] = field(default_factory=list)
    changed: list[tuple[Indicator, list[str]]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def _described(indicator: Indicator) -> dict:
    return {"name": indicator.name, "group_code": indicator.group.code, "rule": indicator.rule,
            "params": indicator.params, "max_points": indicator.max_points,
            "weight": indicator.weight, "inverse": indicator.inverse,
            "formula": indicator.formula, "applies_to": indicator.applies_to}


def framework_changes(current: list[Indicator], previous: Framework | None,
                      previous_indicators: list[Indicator]) -> FrameworkChanges:
    """Indicators added, removed and changed (with the names of the changed fields)."""
    changes = FrameworkChanges(previous)
    if previous is None:
        return changes
    before = {i.code: i for i in previous_indicators}
    now = {i.code: i for i in current}
    changes.added = [i for code, i in now.items() if code not in before]
    changes.removed = [i for code, i in before.items() if code not in now]
    labels = {"name": _("tên"), "group_code": _("nhóm"), "rule": _("quy tắc"),
              "params": _("tham số"), "max_points": _("điểm tối đa"),
              "weight": _("trọng số"), "inverse": _("chiều"), "formula": _("công thức"),
              "applies_to": _("đối tượng áp dụng")}
    for code, indicator in now.items():
        if code in before:
            old, new = _described(before[code]), _described(indicator)
            fields = [labels[f] for f in COMPARED if old[f] != new[f]]
            if fields:
                changes.changed.append((indicator, fields))
    return changes
