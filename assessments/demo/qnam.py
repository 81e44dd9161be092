"""Quảng Nam, 2014 and 2015: the province's 100-point framework and its units' returns.

The 2015 returns reproduce what the report of the provincial Department of Information and
Communications (30/12/2015) says; the 2014 returns are invented, a little lower, so that
rank changes appear. Everything else is invented but plausible and drawn from fixed seeds.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from rankings.engine import (
    TOTAL_NODE,
    Band,
    EngineResult,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
)
from rankings.engine import parse_params as params

from .checks import expect_equal, expect_no_ties
from .scoring import Returns, score, ties
from .units import (
    CUC_THUE,
    DEPARTMENT_UNITS,
    DEPARTMENTS,
    DISTRICT_UNITS,
    DISTRICTS,
    SO_CONG_THUONG,
    SO_TNMT,
    SO_TTTT,
    TAM_KY,
)

FRAMEWORK_CODE = "QNAM"
UNITS = DEPARTMENT_UNITS + DISTRICT_UNITS

# --- the framework ---------------------------------------------------------------------------

BAND_COLORS = {"Tốt": "#2e7d32", "Khá": "#1565c0", "Trung bình": "#f9a825", "Yếu": "#c62828"}


def _group(code, name, order, *, parent="", aggregation="sum", max_points=None):
    return GroupSpec(code=code, name=name, parent=parent, aggregation=aggregation,
                     max_points=max_points, order=order)


def _indicator(code, group, name, value_type, rule, points=1.0, *, rule_params="", unit="",
               formula="", applies_to=(), low=None, high=None, guidance=""):
    if value_type == "percent" and not formula:
        low, high = 0, 100
    elif value_type == "integer" and low is None:
        low = 0
    return IndicatorSpec(code=code, group=group, name=name, value_type=value_type, unit=unit,
                         rule=rule, params=params(rule_params), max_points=points,
                         applies_to=tuple(applies_to), min=low, max=high, formula=formula,
                         guidance=guidance)


def framework() -> FrameworkSpec:
    """The four criteria of the 2015 report, 100 points, the same for both cohorts.

    The one-stop-shop group is a weighted mean with a fixed maximum, so that the indicator
    that exists only for districts (one-stop software in the communes) keeps both cohorts
    on 100 points.
    """
    groups = (
        _group("HT", "Hạ tầng kỹ thuật CNTT", 1),
        _group("NL", "Nhân lực CNTT", 2),
        _group("UD", "Ứng dụng CNTT", 3),
        _group("UD_WEB", "Trang/Cổng thông tin điện tử", 1, parent="UD"),
        _group("UD_DVC", "Dịch vụ công trực tuyến", 2, parent="UD"),
        _group("UD_QLVB", "Phần mềm quản lý văn bản và điều hành tác nghiệp", 3, parent="UD"),
        _group("UD_MC", "Phần mềm một cửa", 4, parent="UD", aggregation="weighted_mean",
               max_points=6),
        _group("MT", "Môi trường tổ chức – chính sách", 4),
    )
    indicators = (
        _indicator("computers", "HT", "Tổng số máy tính", "integer", "none", unit="máy",
                   high=5000, guidance="Máy tính để bàn và xách tay đang sử dụng."),
        _indicator("staff", "HT", "Tổng số cán bộ, công chức, viên chức", "integer", "none",
                   unit="người", low=1, high=10000),
        _indicator("computer_ratio", "HT", "Tỷ lệ máy tính/cán bộ, công chức", "percent",
                   "bands", 10, rule_params="50=4;70=6;85=8;100=10", unit="%",
                   formula="computers / staff * 100",
                   guidance="Tính tự động: số máy tính / số cán bộ × 100."),
        _indicator("lan", "HT", "Có mạng nội bộ (LAN)", "boolean", "boolean", 3),
        _indicator("internet", "HT", "Hình thức kết nối Internet", "choice", "choice", 4,
                   rule_params="khong=0;adsl=2;cap_quang=4",
                   guidance="khong: chưa kết nối; adsl: ADSL; cap_quang: cáp quang/kênh thuê "
                            "riêng."),
        _indicator("security", "HT", "Điểm bảo đảm an toàn thông tin", "number", "direct", 5,
                   unit="điểm", low=0, high=5,
                   guidance="Điểm do Sở Thông tin và Truyền thông chấm khi kiểm tra (0–5)."),
        _indicator("backup", "HT", "Có hệ thống lưu trữ, sao lưu dữ liệu", "boolean",
                   "boolean", 3),
        _indicator("it_staff", "NL", "Số cán bộ chuyên trách/phụ trách CNTT", "integer",
                   "bands", 8, rule_params="1=4;2=6;3=8", unit="người", high=50),
        _indicator("it_trained", "NL", "Số cán bộ CNTT có trình độ cao đẳng trở lên",
                   "integer", "none", unit="người", high=50),
        _indicator("it_trained_pct", "NL", "Tỷ lệ cán bộ CNTT có trình độ cao đẳng trở lên",
                   "percent", "ratio", 4, rule_params="target=100", unit="%",
                   formula="it_trained / it_staff * 100"),
        _indicator("office_skills", "NL", "Tỷ lệ cán bộ sử dụng thành thạo máy tính",
                   "percent", "ratio", 3, rule_params="target=100", unit="%"),
        _indicator("website", "UD_WEB", "Có trang/cổng thông tin điện tử", "boolean",
                   "boolean", 4),
        _indicator("web_info", "UD_WEB", "Mức độ cung cấp thông tin theo Nghị định 43/2011/NĐ-CP",
                   "percent", "ratio", 6, rule_params="target=100", unit="%",
                   guidance="Tỷ lệ nhóm thông tin bắt buộc đã đăng tải, cập nhật."),
        _indicator("procedures", "UD_DVC", "Số thủ tục hành chính thuộc thẩm quyền giải quyết",
                   "integer", "none", unit="thủ tục", low=1, high=1000),
        _indicator("dvc_level12", "UD_DVC", "Số dịch vụ công trực tuyến mức độ 1–2", "integer",
                   "none", unit="dịch vụ", high=1000),
        _indicator("dvc_level12_pct", "UD_DVC", "Tỷ lệ thủ tục có dịch vụ công mức độ 1–2",
                   "percent", "ratio", 6, rule_params="target=100", unit="%",
                   formula="dvc_level12 / procedures * 100"),
        _indicator("dvc_level3", "UD_DVC", "Số dịch vụ công trực tuyến mức độ 3", "integer",
                   "bands", 4, rule_params="1=2;5=3;10=4", unit="dịch vụ", high=1000),
        _indicator("dvc_level4", "UD_DVC", "Số dịch vụ công trực tuyến mức độ 4", "integer",
                   "bands", 4, rule_params="1=3;3=4", unit="dịch vụ", high=1000),
        _indicator("doc_mgmt", "UD_QLVB", "Sử dụng phần mềm quản lý văn bản và điều hành",
                   "boolean", "boolean", 5),
        _indicator("email_use", "UD_QLVB", "Tỷ lệ cán bộ sử dụng thư điện tử công vụ",
                   "percent", "ratio", 5, rule_params="target=100", unit="%"),
        _indicator("e_docs", "UD_QLVB", "Tỷ lệ văn bản đi được gửi dưới dạng điện tử",
                   "percent", "bands", 5, rule_params="20=2;50=3;80=5", unit="%"),
        _indicator("one_stop", "UD_MC", "Triển khai phần mềm một cửa tại đơn vị", "boolean",
                   "boolean"),
        _indicator("one_stop_commune", "UD_MC",
                   "Tỷ lệ xã, phường, thị trấn triển khai phần mềm một cửa", "percent",
                   "ratio", rule_params="target=100", unit="%", applies_to=[DISTRICTS.code]),
        _indicator("it_plan", "MT", "Ban hành kế hoạch ứng dụng CNTT hằng năm", "boolean",
                   "boolean", 4),
        _indicator("incentive", "MT", "Có chính sách ưu đãi cho cán bộ chuyên trách CNTT",
                   "boolean", "boolean", 4,
                   guidance="Ví dụ: kinh phí hỗ trợ quản trị trang/cổng thông tin điện tử."),
        _indicator("it_leader", "MT", "Lãnh đạo đơn vị trực tiếp phụ trách CNTT", "boolean",
                   "boolean", 3),
        _indicator("it_budget", "MT", "Tỷ lệ kinh phí cho CNTT trên tổng chi thường xuyên",
                   "percent", "bands", 4, rule_params="0.5=1;1=2;2=4", unit="%"),
    )
    return FrameworkSpec(
        code=FRAMEWORK_CODE,
        name="Chỉ số ứng dụng CNTT trong cơ quan nhà nước tỉnh Quảng Nam",
        scale=100, aggregation="sum", decimals=2, missing="zero",
        groups=groups,
        indicators=tuple(replace(i, order=n) for n, i in enumerate(indicators, start=1)),
        bands=(Band("Tốt", 80), Band("Khá", 65), Band("Trung bình", 50), Band("Yếu", 0)),
    )


# --- what the 2015 report says ---------------------------------------------------------------

TOTAL_COMPUTERS = 6477           # "tổng số máy tính 6.477"
DEPARTMENT_COMPUTER_RATIO = 97   # "tỉ lệ máy tính/cán bộ công chức ở cấp tỉnh đạt 97%"
DISTRICT_COMPUTER_RATIO = 86     # "... ở cấp huyện đạt 86%"
IT_STAFF = 115                   # "tổng số là 115 cán bộ"
ONE_STOP_DISTRICTS = ("QN-TAMKY", "QN-HOIAN", "QN-DIENBAN", "QN-NUITHANH", "QN-DUYXUYEN")
ONE_STOP_DEPARTMENTS = ("QN-SKHDT", "QN-SXD")   # "05 huyện, thành phố và 02 Sở"
INCENTIVE_UNITS = 33             # "33 đơn vị có chính sách ưu đãi cho cán bộ chuyên trách"
TNMT_LEVEL3 = 18                 # "18 dịch vụ công trực tuyến mức độ 3"
TAM_KY_SCORE = 98.0              # "98/100 điểm"
TIED_SECOND = (SO_CONG_THUONG, SO_TNMT, SO_TTTT)   # "đứng vị thứ 2 đồng hạng ..."
HAND_SCORE_TIED = 84.35          # their total, from the answers below (the report gives none)

# The generator's choices behind the two ratios: Σ computers / Σ staff of each cohort.
DEPARTMENT_STAFF, DEPARTMENT_COMPUTERS = 3000, 2910            # 97.0 %
DISTRICT_STAFF, DISTRICT_COMPUTERS = 4148, TOTAL_COMPUTERS - 2910  # 3,567 / 4,148 = 86.0 %

# Rough size (staff) of each generated unit, scaled to the totals above.
SIZES = {
    "QN-VPUBND": 95, "QN-SNV": 85, "QN-STP": 60, "QN-SKHDT": 70, "QN-STC": 80,
    "QN-SNNPTNT": 260, "QN-SGTVT": 110, "QN-SXD": 75, "QN-SLDTBXH": 90, "QN-SVHTTDL": 140,
    "QN-SKHCN": 60, "QN-SGDDT": 105, "QN-SYT": 120, "QN-SNGV": 30, "QN-TTT": 50, "QN-BDT": 35,
    "QN-VPDDBQH": 45, "QN-BQLKCN": 40, "QN-BQLCHULAI": 95, "QN-CATINH": 380, "QN-KBNN": 170,
    "QN-BHXH": 150, "QN-CUCHQ": 130, "QN-CUCTK": 100, "QN-NHNN": 65, "QN-CUCTHADS": 75,
    "QN-PTTH": 160,
    "QN-HOIAN": 290, "QN-DIENBAN": 300, "QN-DAILOC": 250, "QN-DUYXUYEN": 240, "QN-QUESON": 220,
    "QN-NONGSON": 150, "QN-THANGBINH": 260, "QN-NUITHANH": 250, "QN-PHUNINH": 200,
    "QN-TIENPHUOC": 210, "QN-BACTRAMY": 190, "QN-NAMTRAMY": 170, "QN-HIEPDUC": 180,
    "QN-PHUOCSON": 180, "QN-NAMGIANG": 190, "QN-DONGGIANG": 170, "QN-TAYGIANG": 160,
}

# How far along each district is (0–1): the cities and the one-stop districts lead, the
# mountain districts trail. Departments draw theirs at random.
DISTRICT_MATURITY = {
    "QN-HOIAN": 0.86, "QN-DIENBAN": 0.78, "QN-NUITHANH": 0.74, "QN-DUYXUYEN": 0.7,
    "QN-DAILOC": 0.62, "QN-THANGBINH": 0.6, "QN-QUESON": 0.56, "QN-PHUNINH": 0.58,
    "QN-TIENPHUOC": 0.52, "QN-HIEPDUC": 0.46, "QN-NONGSON": 0.42, "QN-BACTRAMY": 0.4,
    "QN-PHUOCSON": 0.38, "QN-NAMGIANG": 0.36, "QN-DONGGIANG": 0.37, "QN-NAMTRAMY": 0.3,
    "QN-TAYGIANG": 0.32,
}

# The units the report names, answered by hand. Tam Kỳ loses only 2 points (its
# computers-per-staff ratio, 92 %, is in the 85–100 % band); Cục Thuế leads the departments;
# the three departments tied second reach the same total by different answers.
_FULL = {"lan": True, "internet": "cap_quang", "backup": True, "website": True,
         "doc_mgmt": True, "it_plan": True, "incentive": True, "it_leader": True}
HAND_ANSWERS_2015 = {
    TAM_KY: {**_FULL, "staff": 310, "computers": 285, "security": 5, "it_staff": 4,
             "it_trained": 4, "office_skills": 100, "web_info": 100, "procedures": 268,
             "dvc_level12": 268, "dvc_level3": 12, "dvc_level4": 3, "email_use": 100,
             "e_docs": 86, "one_stop": True, "one_stop_commune": 100, "it_budget": 2.1},
    CUC_THUE: {**_FULL, "staff": 250, "computers": 262, "security": 5, "it_staff": 5,
               "it_trained": 5, "office_skills": 98, "web_info": 90, "procedures": 46,
               "dvc_level12": 46, "dvc_level3": 14, "dvc_level4": 6, "email_use": 97,
               "e_docs": 82, "one_stop": False, "it_budget": 1.6},
    SO_TNMT: {**_FULL, "staff": 150, "computers": 156, "security": 4.5, "it_staff": 3,
              "it_trained": 3, "office_skills": 95, "web_info": 90, "procedures": 96,
              "dvc_level12": 96, "dvc_level3": TNMT_LEVEL3, "dvc_level4": 0,
              "email_use": 92, "e_docs": 72, "one_stop": False, "it_budget": 1.2},
    SO_TTTT: {**_FULL, "staff": 55, "computers": 60, "security": 5, "it_staff": 2,
              "it_trained": 2, "office_skills": 100, "web_info": 90, "procedures": 38,
              "dvc_level12": 38, "dvc_level3": 6, "dvc_level4": 1, "email_use": 99,
              "e_docs": 78, "one_stop": False, "it_budget": 0.9},
    SO_CONG_THUONG: {**_FULL, "staff": 130, "computers": 131, "security": 4.5, "it_staff": 2,
                     "it_trained": 2, "office_skills": 94, "web_info": 88, "procedures": 112,
                     "dvc_level12": 112, "dvc_level3": 10, "dvc_level4": 0, "email_use": 95,
                     "e_docs": 81, "one_stop": False, "it_budget": 1.1},
}
# Communes (xã, phường, thị trấn) with one-stop software, in the five one-stop districts.
ONE_STOP_COMMUNES = {"QN-TAMKY": 100, "QN-HOIAN": 100, "QN-DIENBAN": 65, "QN-NUITHANH": 40,
                     "QN-DUYXUYEN": 35}
# 2014: one-stop software in three districts and one department; four units without a website.
ONE_STOP_2014 = ("QN-TAMKY", "QN-HOIAN", "QN-DIENBAN", "QN-SKHDT")
NO_WEBSITE_2014 = ("QN-TAYGIANG", "QN-NAMTRAMY", "QN-BDT", "QN-SNGV")


def _allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` split into whole numbers in proportion to ``weights`` (largest remainder)."""
    scale = total / sum(weights.values())
    shares = {code: weight * scale for code, weight in weights.items()}
    result = {code: int(share) for code, share in shares.items()}
    by_remainder = sorted(shares, key=lambda code: (result[code] - shares[code], code))
    for code in by_remainder[:total - sum(result.values())]:
        result[code] += 1
    return result


def _percent(rng: random.Random, centre: float, spread: float = 8, low: int = 15) -> int:
    return max(low, min(100, round(centre + rng.uniform(-spread, spread))))


def _generated_answers(cohort: str, m: float, rng: random.Random) -> dict[str, object]:
    """A plausible return of a unit whose maturity is ``m`` (0–1), but for the counts the
    report fixes in total (staff, computers, IT staff), set afterwards."""
    procedures = rng.randint(15, 140) if cohort == DEPARTMENTS.code else rng.randint(220, 320)
    return {
        "lan": rng.random() < 0.8 + 0.3 * m,
        "internet": "cap_quang" if rng.random() < m + 0.15 else "adsl",
        "security": max(1.0, min(5.0, round(2 * (1.2 + 3.5 * m + rng.uniform(-0.6, 0.6))) / 2)),
        "backup": rng.random() < m,
        "office_skills": _percent(rng, 55 + 40 * m),
        "website": True,
        "web_info": _percent(rng, 40 + 50 * m),
        "procedures": procedures,
        "dvc_level12": round(procedures * min(1.0, 0.4 + 0.6 * m + rng.uniform(-0.1, 0.1))),
        "dvc_level3": rng.choice((0, 0, 1, 2, 3)) if m > 0.55 else 0,
        "dvc_level4": 0,
        "doc_mgmt": True,
        "email_use": _percent(rng, 40 + 50 * m),
        "e_docs": _percent(rng, 10 + 75 * m, low=5),
        "it_plan": rng.random() < 0.5 + 0.5 * m,
        "it_leader": rng.random() < 0.35 + 0.5 * m,
        "it_budget": round(0.2 + 1.8 * m * rng.uniform(0.5, 1.2), 1),
    }


def _generate_2015() -> Returns:
    rng = random.Random("qnam-2015")
    answers: Returns = {code: dict(given) for code, given in HAND_ANSWERS_2015.items()}
    others = [u for u in UNITS if u.code not in answers]
    maturity = {u.code: DISTRICT_MATURITY.get(u.code) or round(rng.uniform(0.3, 0.75), 2)
                for u in others}
    for unit in others:
        answers[unit.code] = _generated_answers(unit.cohort, maturity[unit.code], rng)

    # The report's totals: staff and computers by cohort, IT staff over all units.
    for cohort, staff, computers, ratio in (
            (DEPARTMENTS.code, DEPARTMENT_STAFF, DEPARTMENT_COMPUTERS, (0.8, 0.3)),
            (DISTRICTS.code, DISTRICT_STAFF, DISTRICT_COMPUTERS, (0.7, 0.3))):
        members = [u.code for u in others if u.cohort == cohort]
        given = [a for code, a in HAND_ANSWERS_2015.items() if code in _codes(cohort)]
        shares = _allocate(staff - sum(a["staff"] for a in given),
                           {code: SIZES[code] for code in members})
        machines = _allocate(computers - sum(a["computers"] for a in given),
                             {code: shares[code] * (ratio[0] + ratio[1] * maturity[code])
                              for code in members})
        for code in members:
            answers[code].update(staff=shares[code], computers=machines[code])
    extra = _allocate(IT_STAFF - sum(a["it_staff"] for a in HAND_ANSWERS_2015.values())
                      - len(others), {u.code: maturity[u.code] ** 2 for u in others})
    for unit in others:
        it_staff = 1 + extra[unit.code]
        trained = min(it_staff, round(it_staff * (0.3 + 0.7 * maturity[unit.code])))
        answers[unit.code].update(it_staff=it_staff, it_trained=trained)

    # One-stop software, and which units have an incentive policy (the most mature).
    for unit in UNITS:
        one_stop = unit.code in ONE_STOP_DISTRICTS + ONE_STOP_DEPARTMENTS
        answers[unit.code]["one_stop"] = one_stop
        if unit.cohort == DISTRICTS.code:
            answers[unit.code]["one_stop_commune"] = ONE_STOP_COMMUNES.get(unit.code, 0)
    keen = sorted(others, key=lambda u: (-maturity[u.code] - rng.uniform(-0.15, 0.15), u.code))
    chosen = INCENTIVE_UNITS - sum(bool(a["incentive"]) for a in HAND_ANSWERS_2015.values())
    for n, unit in enumerate(keen):
        answers[unit.code]["incentive"] = n < chosen
    return answers


def _codes(cohort: str) -> set[str]:
    return {u.code for u in UNITS if u.cohort == cohort}


def _earlier_value(code: str, value, rng: random.Random):
    """One answer a year earlier: a little lower, or the same."""
    if value is None:
        return None
    if code in ("staff", "procedures"):
        return round(value * rng.uniform(0.97, 1.02))
    if code == "computers":
        return round(value * rng.uniform(0.84, 0.97))
    if code in ("office_skills", "web_info", "email_use", "e_docs", "one_stop_commune"):
        return round(value * rng.uniform(0.8, 0.97))
    if code == "dvc_level12":
        return round(value * rng.uniform(0.75, 0.95))
    if code in ("dvc_level3", "dvc_level4"):
        return value // 3
    if code == "it_budget":
        return round(value * rng.uniform(0.6, 0.95), 1)
    if code == "security":
        return max(1.0, value - rng.choice((0, 0.5, 1)))
    if code == "it_staff":
        return max(1, value - (rng.random() < 0.3))
    if code == "internet":
        return "adsl" if value == "cap_quang" and rng.random() < 0.25 else value
    if code in ("lan", "backup", "it_plan", "incentive", "it_leader", "doc_mgmt"):
        return value and rng.random() > (0.04 if code == "lan" else 0.12)
    return value


def _generate_2014(answers_2015: Returns) -> Returns:
    rng = random.Random("qnam-2014")
    answers: Returns = {}
    for unit in UNITS:
        later = answers_2015[unit.code]
        earlier = {code: _earlier_value(code, later[code], rng) for code in sorted(later)}
        earlier["it_trained"] = min(earlier["it_trained"], earlier["it_staff"])
        earlier["dvc_level12"] = min(earlier["dvc_level12"], earlier["procedures"])
        earlier["one_stop"] = unit.code in ONE_STOP_2014
        if unit.cohort == DISTRICTS.code and not earlier["one_stop"]:
            earlier["one_stop_commune"] = 0
        if unit.code in NO_WEBSITE_2014:
            earlier.update(website=False, web_info=0)
        answers[unit.code] = earlier
    return answers


def _settle(spec: FrameworkSpec, answers: Returns, ceilings: dict[str, float],
            allowed: set[str], previous: EngineResult | None = None) -> EngineResult:
    """Lower generated answers, a step at a time, until no unit but the hand-answered ones
    reaches its cohort's ``ceiling`` and no two totals tie (but for units in ``allowed``).

    A step takes a point off the share of staff proficient with computers (0.03 points),
    or off the share using official email once that is low."""
    for _ in range(500):
        result = score(spec, UNITS, answers, previous)
        lower = {row.unit_code for row in result.units.itertuples()
                 if row.unit_code not in HAND_ANSWERS_2015
                 and row.score >= ceilings.get(row.cohort, math.inf)}
        for _cohort, node, _rank, codes in ties(result):
            if node == TOTAL_NODE and not set(codes) <= allowed:
                generated = [code for code in codes if code not in HAND_ANSWERS_2015]
                # of tied generated units one keeps its total; next to a hand-answered one,
                # every generated one moves
                lower.update(generated[1:] if len(generated) == len(codes) else generated)
        if not lower:
            return result
        for code in sorted(lower):
            field = "office_skills" if answers[code]["office_skills"] > 40 else "email_use"
            answers[code][field] -= 1
    raise RuntimeError("the Quảng Nam returns did not settle")


def _ratio(answers: Returns, cohort: str) -> int:
    codes = _codes(cohort)
    computers = sum(answers[code]["computers"] for code in codes)
    return round(100 * computers / sum(answers[code]["staff"] for code in codes))


def check_2015(answers: Returns, result: EngineResult) -> None:
    """What the report says, on the returns and on the engine's result."""
    totals = result.units.set_index("unit_code")
    expect_equal((totals.at[TAM_KY, "rank"], totals.at[TAM_KY, "score"]), (1, TAM_KY_SCORE),
                 "Tam Kỳ's rank and score")
    expect_equal(totals.at[CUC_THUE, "rank"], 1, "Cục Thuế's rank")
    expect_equal([totals.at[code, "rank"] for code in TIED_SECOND], [2, 2, 2],
                 "ranks of the three departments tied second")
    departments = totals[totals["cohort"] == DEPARTMENTS.code]
    others = departments.drop(index=[CUC_THUE, *TIED_SECOND])
    expect_equal(int(others["rank"].min()), 5, "the rank after the three tied second")
    expect_no_ties(result, allowed=[(DEPARTMENTS.code, TOTAL_NODE, 2, sorted(TIED_SECOND))],
                   what="Quảng Nam 2015", nodes=(TOTAL_NODE,))

    def count(code, cohort=None):
        return sum(bool(answers[u.code][code]) for u in UNITS
                   if cohort is None or u.cohort == cohort)

    expect_equal(sum(a["computers"] for a in answers.values()), TOTAL_COMPUTERS, "computers")
    expect_equal(_ratio(answers, DEPARTMENTS.code), DEPARTMENT_COMPUTER_RATIO,
                 "departments' computers per staff (%)")
    expect_equal(_ratio(answers, DISTRICTS.code), DISTRICT_COMPUTER_RATIO,
                 "districts' computers per staff (%)")
    expect_equal(sum(a["it_staff"] for a in answers.values()), IT_STAFF, "IT staff")
    expect_equal(count("website"), len(UNITS), "units with a website")
    expect_equal((count("one_stop", DISTRICTS.code), count("one_stop", DEPARTMENTS.code)),
                 (len(ONE_STOP_DISTRICTS), len(ONE_STOP_DEPARTMENTS)), "one-stop software")
    expect_equal(count("incentive"), INCENTIVE_UNITS, "units with an incentive policy")
    expect_equal(answers[SO_TNMT]["dvc_level3"], TNMT_LEVEL3, "Sở TN&MT's level-3 services")


def build() -> tuple[FrameworkSpec, dict[int, Returns]]:
    """The framework and the returns of 2014 and 2015, checked against the report."""
    spec = framework()
    answers_2015 = _generate_2015()
    answers_2014 = _generate_2014(answers_2015)
    result_2014 = _settle(spec, answers_2014, {}, set())
    expect_no_ties(result_2014, what="Quảng Nam 2014", nodes=(TOTAL_NODE,))
    ceilings = {DEPARTMENTS.code: HAND_SCORE_TIED, DISTRICTS.code: TAM_KY_SCORE}
    result_2015 = _settle(spec, answers_2015, ceilings, set(TIED_SECOND), result_2014)
    check_2015(answers_2015, result_2015)
    return spec, {2014: answers_2014, 2015: answers_2015}
