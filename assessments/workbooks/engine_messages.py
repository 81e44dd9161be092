"""The scoring engine's messages in the user's language.

The engine (:mod:`rankings.engine`) knows nothing of Django and writes its messages in
English, for notebooks and logs. Each :class:`~rankings.engine.FrameworkIssue` also carries
a stable ``key`` and the ``params`` its message shows (already as text); this module maps
every key to a Vietnamese msgid, translated like any other interface string (``locale/en``).
A key missing here (an engine newer than this table) falls back to the English message.

To add an engine message: give it a key and params in the engine, add the key here with
its Vietnamese text (the same placeholders), then ``make messages`` and translate.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: Engine key -> Vietnamese message; placeholders are the issue's ``params``.
MESSAGES = {
    # the framework and its settings
    "no_scored_indicator": _("bộ tiêu chí không có tiêu chí nào được tính điểm (mọi tiêu chí "
                             "đều có rule 'none')."),
    "no_framework_code": _("bộ tiêu chí không có mã."),
    "decimals_range": _("decimals phải là số nguyên từ 0 đến %(max)s, không phải %(value)s."),
    # any column
    "not_one_of": _("giá trị %(value)s không nằm trong các giá trị cho phép: %(allowed)s."),
    "not_positive": _("%(name)s phải là số lớn hơn 0, không phải %(value)s."),
    "empty_or_positive": _("%(name)s phải để trống hoặc là số lớn hơn 0, không phải "
                           "%(value)s."),
    "not_a_number": _("%(name)s phải là số, không phải %(value)s."),
    # codes
    "group.no_code": _("nhóm tiêu chí không có mã."),
    "indicator.no_code": _("tiêu chí không có mã."),
    "reserved_code": _("mã %(code)s được dành cho điểm tổng, không dùng được."),
    "bad_code": _("mã %(code)s phải bắt đầu bằng chữ cái hoặc '_', sau đó chỉ gồm chữ cái, "
                  "chữ số, '_' và '.'."),
    "code_used_by_another_group": _("mã %(code)s đã được dùng cho một nhóm tiêu chí khác."),
    "code_used_by_another_indicator": _("mã %(code)s đã được dùng cho một tiêu chí khác."),
    "code_used_by_group": _("mã %(code)s đã được dùng cho một nhóm tiêu chí."),
    "code_used_by_indicator": _("mã %(code)s đã được dùng cho một tiêu chí."),
    # groups
    "group.own_parent": _("nhóm %(group)s không thể là nhóm cha của chính nó."),
    "group.unknown_parent": _("nhóm cha %(parent)s không có trong danh sách nhóm tiêu chí."),
    "group.parent_is_indicator": _("nhóm cha %(parent)s là một tiêu chí, không phải nhóm "
                                   "tiêu chí."),
    "group.no_children": _("nhóm %(group)s không có nhóm con hay tiêu chí nào."),
    "group.cycle": _("các nhóm tiêu chí tạo thành vòng lặp: %(path)s."),
    # indicators
    "indicator.no_group": _("tiêu chí không thuộc nhóm tiêu chí nào."),
    "indicator.unknown_group": _("nhóm %(group)s không có trong danh sách nhóm tiêu chí."),
    "indicator.derived_type": _("tiêu chí có công thức cho ra một số; value_type "
                                "%(value_type)s không phù hợp."),
    "indicator.derived_choice": _("rule 'choice' không chấm điểm được một số tính theo công "
                                  "thức."),
    "indicator.rule_for_type": _("rule %(rule)s không chấm điểm được giá trị kiểu "
                                 "%(value_type)s (hãy dùng %(allowed)s)."),
    "indicator.choice_type": _("rule 'choice' cần value_type 'choice', không phải "
                               "%(value_type)s."),
    "indicator.inverse_choice": _("inverse không áp dụng cho rule 'choice' (hãy cho điểm "
                                  "từng lựa chọn)."),
    "indicator.zscore_rescale": _("rule 'zscore' không có giới hạn: nhóm %(group)s của tiêu "
                                  "chí phải có rescale = minmax."),
    "indicator.zscore_geometric": _("rule 'zscore' cho giá trị âm, nhóm %(group)s không tổng "
                                    "hợp được bằng geometric_mean."),
    "indicator.zscore_sum": _("rule 'zscore' không có giới hạn: nhóm %(group)s phải tổng hợp "
                              "bằng weighted_mean (tổng điểm bị chặn ở điểm tối đa của nhóm)."),
    "indicator.applies_to_type": _("applies_to phải là danh sách mã nhóm đơn vị (để trống nếu "
                                   "áp dụng cho mọi nhóm)."),
    "indicator.applies_to_empty": _("applies_to có một mã nhóm đơn vị trống."),
    "indicator.min_above_max": _("min (%(min)s) lớn hơn max (%(max)s)."),
    # params of the rules
    "params.not_pairs": _("tham số phải là các cặp khoá=giá trị."),
    "params.not_text": _("tham số phải là văn bản, không phải %(type)s."),
    "params.not_pair": _("phần %(number)s (%(piece)s) không có dạng khoá=giá trị."),
    "params.no_key": _("phần %(number)s (%(piece)s) không có khoá trước dấu '='."),
    "params.no_value": _("phần %(number)s (%(piece)s) không có giá trị sau dấu '='."),
    "params.key_twice": _("khoá %(key)s có hai lần."),
    "params.key_separator": _("khoá %(part)s chứa dấu phân cách ';' hoặc '='."),
    "params.value_separator": _("giá trị %(part)s chứa dấu phân cách ';'."),
    "params.key_empty": _("tham số có khoá trống."),
    "params.value_empty": _("tham số có giá trị trống."),
    "params.none_taken": _("rule %(rule)s không có tham số, nhưng ô có: %(got)s."),
    "params.ratio_target": _("rule 'ratio' cần target=… (ví dụ target=100)."),
    "params.ratio_extra": _("rule 'ratio' chỉ có tham số target, không có %(extra)s."),
    "params.goalpost_missing": _("rule 'goalpost' cần lo=… và hi=… (thiếu %(missing)s)."),
    "params.goalpost_numbers": _("lo và hi phải là số, không phải %(lo)s và %(hi)s."),
    "params.goalpost_order": _("lo (%(lo)s) phải nhỏ hơn hi (%(hi)s)."),
    "params.goalpost_extra": _("rule 'goalpost' chỉ có tham số lo và hi, không có %(extra)s."),
    "params.bands_empty": _("rule 'bands' cần ít nhất một cặp ngưỡng=điểm (ví dụ "
                            "%(example)s)."),
    "params.choice_empty": _("rule 'choice' cần ít nhất một cặp lựa chọn=điểm (ví dụ "
                             "%(example)s)."),
    "params.threshold_not_number": _("ngưỡng %(threshold)s không phải là số."),
    "params.thresholds_equal": _("hai ngưỡng %(first)s và %(second)s là cùng một số."),
    "params.option_empty": _("có một lựa chọn không có mã."),
    "params.threshold_points_not_number": _("điểm %(points)s của ngưỡng %(threshold)s không "
                                            "phải là số."),
    "params.threshold_points_negative": _("điểm %(points)s của ngưỡng %(threshold)s nhỏ hơn "
                                          "0."),
    "params.threshold_points_above_max": _("điểm %(points)s của ngưỡng %(threshold)s lớn hơn "
                                           "max_points (%(max)s)."),
    "params.option_points_not_number": _("điểm %(points)s của lựa chọn %(option)s không phải "
                                         "là số."),
    "params.option_points_negative": _("điểm %(points)s của lựa chọn %(option)s nhỏ hơn 0."),
    "params.option_points_above_max": _("điểm %(points)s của lựa chọn %(option)s lớn hơn "
                                        "max_points (%(max)s)."),
    # formulas of derived indicators
    "formula.not_text": _("công thức phải là văn bản."),
    "formula.too_long": _("công thức dài quá %(max)s ký tự."),
    "formula.empty": _("công thức trống."),
    "formula.lone_dot": _("công thức: dấu '.' phải thuộc một số hoặc một mã (cột "
                          "%(column)s)."),
    "formula.unexpected_character": _("công thức: ký tự %(char)s không dùng được (cột "
                                      "%(column)s)."),
    "formula.expected_symbol": _("công thức: cần %(expected)s nhưng gặp %(found)s (cột "
                                 "%(column)s)."),
    "formula.expected_close_or_comma": _("công thức: cần ')' hoặc ',' nhưng gặp %(found)s "
                                         "(cột %(column)s)."),
    "formula.expected_operand": _("công thức: cần một số, một mã hoặc '(' nhưng gặp "
                                  "%(found)s (cột %(column)s)."),
    "formula.unexpected": _("công thức: %(found)s không đúng chỗ (cột %(column)s)."),
    "formula.ends_early": _("công thức kết thúc khi còn thiếu một giá trị (cột %(column)s)."),
    "formula.too_deep": _("công thức lồng nhau quá nhiều tầng (cột %(column)s)."),
    "formula.unknown_function": _("công thức: không có hàm %(name)s, chỉ dùng được min, max "
                                  "và abs (cột %(column)s)."),
    "formula.one_argument": _("công thức: hàm %(function)s() nhận đúng một đối số, không "
                              "phải %(count)s (cột %(column)s)."),
    "formula.some_arguments": _("công thức: hàm %(function)s() cần ít nhất một đối số (cột "
                                "%(column)s)."),
    "formula.names_itself": _("công thức dùng chính tiêu chí của nó."),
    "formula.names_group": _("công thức dùng nhóm %(name)s; chỉ dùng được tiêu chí."),
    "formula.unknown_indicator": _("công thức dùng tiêu chí không có trong bộ tiêu chí: "
                                   "%(name)s."),
    "formula.text_operand": _("công thức dùng %(name)s, một tiêu chí kiểu văn bản, như một "
                              "số."),
    "formula.cohorts": _("công thức dùng %(name)s, tiêu chí không áp dụng cho nhóm đơn vị "
                         "%(cohorts)s, nơi tiêu chí này áp dụng."),
    "formula.cohorts_other_than": _("công thức dùng %(name)s, tiêu chí chỉ áp dụng cho nhóm "
                                    "đơn vị %(cohorts)s, trong khi tiêu chí này áp dụng cho "
                                    "mọi nhóm."),
    "formula.cycle": _("các công thức tạo thành vòng lặp: %(path)s."),
    # bands
    "band.no_label": _("xếp loại không có nhãn."),
    "band.twice": _("xếp loại %(band)s có hai lần."),
    "band.same_min_score": _("hai xếp loại %(first)s và %(second)s có cùng điểm tối thiểu "
                             "(min_score)."),
}

#: What a formula error found where it expected something else (``found_kind``).
FOUND = {
    "end": _("cuối công thức"),
    "num": _("số %(text)s"),
    "name": _("mã '%(text)s'"),
}

#: The part of a framework an issue is about (``FrameworkIssue.kind``).
KINDS = {
    "settings": _("thiết lập"),
    "group": _("nhóm tiêu chí"),
    "indicator": _("tiêu chí"),
    "band": _("xếp loại"),
}


def _found(params: Mapping[str, str]) -> str:
    kind, text = params.get("found_kind", ""), params.get("found_text", "")
    if kind in FOUND:
        return str(FOUND[kind]) % {"text": text}
    return f"'{text}'" if kind == "symbol" else params.get("found", "")


def engine_message(key: str, params: Mapping[str, str], english: str) -> str:
    """The engine's message ``key`` in the active language, ``english`` when it is unknown."""
    template = MESSAGES.get(key)
    if template is None:
        return english
    values = dict(params)
    if "found_kind" in values:
        values["found"] = _found(values)
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):  # params that do not fit: say it in English
        return english


def issue_message(issue) -> str:
    """A :class:`~rankings.engine.FrameworkIssue`'s message in the active language."""
    return engine_message(issue.key, issue.params, issue.message)


def describe_issue(issue) -> str:
    """An issue with what it is about, for reports that name no cell: "tiêu chí 'x', cột
    formula: …"."""
    values = {"kind": str(KINDS.get(issue.kind, issue.kind)), "code": issue.code,
              "field": issue.field, "message": issue_message(issue)}
    if issue.code:
        return gettext("%(kind)s '%(code)s', cột %(field)s: %(message)s") % values
    return gettext("%(kind)s, cột %(field)s: %(message)s") % values
