"""The national ranking of the 63 provinces, 2016 and 2017, on the Ministry's six categories.

Cao Bằng gets exactly the ranks of the 2017 article's table. Each category is a weighted mean
of a few indicators (percentages normalised by goalposts or against a target); the index is
the weighted mean of the six categories, in 0–1 with four decimals.

How the returns are made: for each year and category the 63 provinces are put in an order
(a latent strength plus noise, with Cao Bằng inserted at its rank), the positions get
category scores from a decreasing curve whose steps are never under ``GAP``, and each
province's category score is spread over the category's indicators (offsets that average
out) and turned into the percentages a province would report. Exchanging two provinces
that are both above or both below Cao Bằng in a category never moves Cao Bằng there; such
exchanges put exactly 55 provinces above it on the 2017 index. The first seed whose
rankings have no tie is kept, and the real engine checks it all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import cache

from rankings.engine import (
    TOTAL_NODE,
    EngineResult,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
    parse_params,
)

from .checks import DemoTargetError, expect_equal, expect_no_ties
from .scoring import Returns, ranks_of, score, ties
from .units import CAO_BANG, PROVINCE_UNITS

FRAMEWORK_2016, FRAMEWORK_2017 = "MIC-2016", "MIC-2017"
UNITS = PROVINCE_UNITS

#: The 2017 article's table: node -> (2016 rank, 2017 rank, change); None where it is "-".
CAO_BANG_RANKS = {
    TOTAL_NODE: (None, 56, None),
    "HT": (57, 43, 14),
    "UDNB": (54, 58, -4),
    "CTT": (59, 50, 9),
    "DVC": (None, 18, None),
    "CS": (58, 41, 17),
    "NL": (57, 62, -5),
}

# --- the frameworks --------------------------------------------------------------------------

#: code, name, weight in the index
CATEGORIES = (
    ("HT", "Hạ tầng kỹ thuật CNTT", 0.15),
    ("UDNB", "Ứng dụng CNTT trong hoạt động nội bộ", 0.20),
    ("CTT", "Trang/Cổng thông tin điện tử (cung cấp, cập nhật thông tin; các chức năng hỗ "
            "trợ)", 0.15),
    ("DVC", "Cung cấp dịch vụ công trực tuyến", 0.25),
    ("CS", "Cơ chế, chính sách và quy định cho ứng dụng CNTT", 0.10),
    ("NL", "Nhân lực cho ứng dụng CNTT", 0.15),
)

#: code, category, name, rule, params, decimals of the reported percentage
_INDICATORS = (
    ("ht_computers", "HT", "Tỷ lệ máy tính trên số cán bộ, công chức", "goalpost",
     "lo=50;hi=100", 2),
    ("ht_broadband", "HT", "Tỷ lệ cơ quan nhà nước kết nối Internet băng rộng", "goalpost",
     "lo=50;hi=100", 2),
    ("ht_wan", "HT", "Tỷ lệ cơ quan kết nối mạng truyền số liệu chuyên dùng", "ratio",
     "target=100", 2),
    ("ht_security", "HT", "Tỷ lệ máy tính có phần mềm phòng, chống mã độc", "ratio",
     "target=100", 2),
    ("nb_email", "UDNB", "Tỷ lệ cán bộ, công chức sử dụng thư điện tử công vụ", "ratio",
     "target=100", 2),
    ("nb_edocs", "UDNB", "Tỷ lệ văn bản trao đổi dưới dạng điện tử", "goalpost", "lo=0;hi=80",
     2),
    ("nb_docmgmt", "UDNB", "Tỷ lệ cơ quan dùng phần mềm quản lý văn bản và điều hành", "ratio",
     "target=100", 2),
    ("web_info", "CTT", "Mức độ cung cấp thông tin theo Nghị định 43/2011/NĐ-CP", "ratio",
     "target=100", 2),
    ("web_updates", "CTT", "Tỷ lệ chuyên mục thông tin được cập nhật đúng hạn", "ratio",
     "target=100", 2),
    ("web_functions", "CTT", "Mức độ đáp ứng các chức năng hỗ trợ (tìm kiếm, sơ đồ, RSS, "
     "thiết bị di động)", "ratio", "target=100", 2),
    ("dvc_level3", "DVC", "Tỷ lệ thủ tục hành chính cung cấp trực tuyến mức độ 3", "goalpost",
     "lo=0;hi=30", 2),
    ("dvc_level4", "DVC", "Tỷ lệ thủ tục hành chính cung cấp trực tuyến mức độ 4", "goalpost",
     "lo=0;hi=10", 2),
    ("cs_documents", "CS", "Mức độ ban hành kế hoạch, quy chế, quy định về ứng dụng CNTT",
     "ratio", "target=100", 2),
    ("cs_budget", "CS", "Tỷ lệ chi cho ứng dụng CNTT trên tổng chi ngân sách", "goalpost",
     "lo=0;hi=2", 3),
    ("nl_it_staff", "NL", "Tỷ lệ cơ quan có cán bộ chuyên trách CNTT", "ratio", "target=100",
     2),
    ("nl_degree", "NL", "Tỷ lệ cán bộ chuyên trách CNTT có trình độ đại học trở lên", "ratio",
     "target=100", 2),
    ("nl_training", "NL", "Tỷ lệ cán bộ, công chức được tập huấn kỹ năng CNTT trong năm",
     "goalpost", "lo=0;hi=50", 2),
)
#: 2017: the share of applications filed online counts, and level 3 is measured against 40 %.
_ADDED_2017 = (
    ("dvc_online", "DVC", "Tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận, giải quyết trực "
     "tuyến", "goalpost", "lo=0;hi=20", 2),
)
_CHANGED_2017 = {"dvc_level3": "lo=0;hi=40"}

DECIMALS = {code: decimals for code, *_, decimals in _INDICATORS + _ADDED_2017}


def _framework(code: str, name: str, indicators) -> FrameworkSpec:
    groups = tuple(GroupSpec(code=c, name=n, aggregation="weighted_mean", weight=w, order=k)
                   for k, (c, n, w) in enumerate(CATEGORIES, start=1))
    order = [c for c, *_ in CATEGORIES]
    ordered = sorted(indicators, key=lambda row: order.index(row[1]))
    return FrameworkSpec(
        code=code, name=name, scale=1, aggregation="weighted_mean", decimals=4,
        rank_on="rounded", ties="competition", missing="unranked", groups=groups,
        indicators=tuple(
            IndicatorSpec(code=c, group=g, name=n, value_type="percent", unit="%", rule=r,
                          params=parse_params(p), min=0, max=100, order=k)
            for k, (c, g, n, r, p, _) in enumerate(ordered, start=1)),
    )


def framework_2016() -> FrameworkSpec:
    """A province that leaves a category's answers empty has no rank there, nor overall."""
    return _framework(FRAMEWORK_2016, "Xếp hạng ứng dụng CNTT, phát triển Chính phủ điện tử "
                      "các tỉnh, thành phố – năm 2016", _INDICATORS)


def framework_2017() -> FrameworkSpec:
    """A copy of 2016 with the small changes of the next year; the categories are the same."""
    spec = _framework(FRAMEWORK_2017, "Xếp hạng ứng dụng CNTT, phát triển Chính phủ điện tử "
                      "các tỉnh, thành phố – năm 2017", _INDICATORS + _ADDED_2017)
    return replace(spec, indicators=tuple(
        replace(i, params=parse_params(_CHANGED_2017[i.code])) if i.code in _CHANGED_2017
        else i for i in spec.indicators))


# --- the returns -----------------------------------------------------------------------------

YEARS = (2016, 2017)
#: The smallest step between two neighbouring category scores, and how far every province's
#: 2017 index stays from Cao Bằng's: both far above the effect of rounding the percentages.
GAP, MARGIN = 0.004, 0.0015
#: Category score at relative position x (0 = first, 1 = last): lo + a (1 - x)^g + b (1 - x).
#: b / 62 >= GAP keeps neighbours apart. Online services are convex: a few provinces lead.
CURVES = {"HT": (0.30, 0.38, 1.0, 0.25), "UDNB": (0.20, 0.50, 0.5, 0.25),
          "CTT": (0.32, 0.36, 1.0, 0.25), "DVC": (0.06, 0.60, 3.0, 0.25),
          "CS": (0.28, 0.42, 0.9, 0.25), "NL": (0.22, 0.45, 0.5, 0.25)}
PROGRESS_2017 = 0.03
LEADERS = ("VN-DANANG", "VN-THUATHIENHUE", "VN-QUANGNINH", "VN-HOCHIMINH", "VN-HANOI",
           "VN-BINHDUONG", "VN-LAMDONG", "VN-DONGTHAP", "VN-BACNINH", "VN-LAOCAI",
           "VN-HAIPHONG", "VN-CANTHO")
TRAILING = ("VN-BACKAN", "VN-LAICHAU", "VN-DIENBIEN", "VN-HAGIANG", "VN-SONLA", "VN-KONTUM",
            "VN-DAKNONG", "VN-HAUGIANG", "VN-NINHTHUAN")
WEIGHTS = {code: weight for code, _, weight in CATEGORIES}


@cache
def _curve(category: str, year: int, count: int = len(UNITS)) -> tuple[float, ...]:
    lo, a, g, b = CURVES[category]
    shift = PROGRESS_2017 if year == 2017 else 0.0
    return tuple(round(lo + shift + a * (1 - x) ** g + b * (1 - x), 6)
                 for x in (n / (count - 1) for n in range(count)))


@dataclass
class _Year:
    """One year's order of the provinces in each category (index 0 = first)."""

    year: int
    order: dict[str, list[str]]

    def value(self, category: str, code: str) -> float:
        return _curve(category, self.year)[self.order[category].index(code)]

    def overall(self, code: str) -> float:
        """The province's index: the weighted mean over the categories it is ranked in."""
        present = [c for c in self.order if code in self.order[c]]
        return sum(WEIGHTS[c] * self.value(c, code) for c in present) / sum(
            WEIGHTS[c] for c in present)

    def swap(self, category: str, here: int, there: int) -> None:
        ranked = self.order[category]
        ranked[here], ranked[there] = ranked[there], ranked[here]


def _orders(seed: int) -> dict[int, _Year]:
    """Each year's order: strength plus noise for the others, Cao Bằng at its ranks."""
    rng = random.Random(f"mic-{seed}")
    others = [u.code for u in UNITS if u.code != CAO_BANG]
    strength = {code: rng.gauss(0, 1) + 2.0 * (code in LEADERS) - 1.5 * (code in TRAILING)
                for code in others}
    bent = {(code, c): rng.gauss(0, 0.6) for code in others for c, *_ in CATEGORIES}
    years = {}
    for number, year in enumerate(YEARS):
        order = {}
        for category, *_ in CATEGORIES:
            noise = {code: rng.gauss(0, 0.35) + number * rng.gauss(0, 0.3) for code in others}
            ranked = sorted(others, key=lambda code: (
                -(strength[code] + bent[code, category] + noise[code]), code))
            rank = CAO_BANG_RANKS[category][number]
            if rank is not None:
                ranked.insert(rank - 1, CAO_BANG)
            order[category] = ranked
        years[year] = _Year(year, order)
    return years


def _place_overall(year: _Year, rank: int, rng: random.Random) -> None:
    """Swap provinces until exactly ``rank - 1`` of them are above Cao Bằng on the index,
    each at least ``MARGIN`` (plus a random amount, so that those moved do not bunch up)
    away from it.

    A swap exchanges the places of two provinces on the same side of Cao Bằng in one
    category, so Cao Bằng's category ranks never change. Each swap moves a province that is
    not yet clear of Cao Bằng towards its side, and the other province either the way it
    needs too or not out of its side: the distance still to go only shrinks.
    """
    target = year.overall(CAO_BANG)
    others = [code for code in year.order["HT"] if code != CAO_BANG]
    overall = {code: year.overall(code) for code in others}
    above = set(sorted(others, key=lambda code: (-overall[code], code))[:rank - 1])
    margin = {code: MARGIN + rng.uniform(0, 0.02) for code in others}
    total_weight = sum(WEIGHTS.values())

    def fine(code: str, value: float) -> bool:
        if code in above:
            return value >= target + margin[code]
        return value <= target - margin[code]

    def swap_for(code: str) -> tuple[tuple, str, int, int] | None:
        """The allowed swap that takes ``code`` to its side with the least change (or, if
        none is enough, the one that takes it furthest)."""
        up = code in above
        need = abs(overall[code] - (target + margin[code] if up else target - margin[code]))
        best = None
        for category, *_ in CATEGORIES:
            ranked, curve = year.order[category], _curve(category, year.year)
            here, pivot = ranked.index(code), ranked.index(CAO_BANG)
            side = range(0, pivot) if here < pivot else range(pivot + 1, len(ranked))
            at = side.index(here)
            for there in (side[:at] if up else side[at + 1:]):
                other = ranked[there]
                gain = WEIGHTS[category] * abs(curve[there] - curve[here]) / total_weight
                helped = (other in above) != up
                if not helped and not fine(other, overall[other] + (-gain if up else gain)):
                    continue
                key = (gain < need, gain - need if gain >= need else -gain)
                if best is None or key < best[0]:
                    best = (key, category, here, there)
        return best

    while True:
        wrong = sorted((code for code in others if not fine(code, overall[code])),
                       key=lambda code: (abs(overall[code] - target), code))
        if not wrong:
            return
        move = next(filter(None, map(swap_for, wrong)), None)
        if move is None:
            raise DemoTargetError(f"no swap moves {', '.join(wrong)} to their side of "
                                  "Cao Bằng")
        _, category, here, there = move
        year.swap(category, here, there)
        for code in (year.order[category][here], year.order[category][there]):
            overall[code] = year.overall(code)


def _spread(spec: FrameworkSpec, category: str, value: float, rng: random.Random
            ) -> dict[str, float]:
    """Percentages whose fractions average ``value``: offsets that cancel, then the
    inverse of each indicator's rule, rounded as a province would report them."""
    indicators = [i for i in spec.indicators if i.group == category]
    offsets = [rng.gauss(0, 0.08) for _ in indicators]
    mean = sum(offsets) / len(offsets)
    offsets = [d - mean for d in offsets]
    room = [((0.99 - value) / d if d > 0 else (value - 0.01) / -d) for d in offsets if d]
    shrink = min([1.0, *room])
    answers = {}
    for indicator, offset in zip(indicators, offsets, strict=True):
        fraction = value + shrink * offset
        if indicator.rule == "goalpost":
            lo, hi = float(indicator.params["lo"]), float(indicator.params["hi"])
            raw = lo + fraction * (hi - lo)
        else:
            raw = fraction * float(indicator.params["target"])
        answers[indicator.code] = round(raw, DECIMALS[indicator.code])
    return answers


def _returns(seed: int, year: _Year, spec: FrameworkSpec) -> Returns:
    returns: Returns = {}
    for unit in UNITS:
        answers: dict[str, object] = {}
        for category, *_ in CATEGORIES:
            rng = random.Random(f"mic-{seed}-{year.year}-{unit.code}-{category}")
            if unit.code in year.order[category]:
                answers.update(_spread(spec, category, year.value(category, unit.code), rng))
            else:  # not reported: the answers stay empty
                answers.update({i.code: None for i in spec.indicators if i.group == category})
        returns[unit.code] = answers
    return returns


def check(results: dict[int, EngineResult]) -> None:
    """Cao Bằng's ranks and changes as in the article's table."""
    for year in YEARS:
        found = ranks_of(results[year], CAO_BANG)
        for node, (rank_2016, rank_2017, change) in CAO_BANG_RANKS.items():
            expected = ((rank_2016, None, None) if year == 2016
                        else (rank_2017, rank_2016, change))
            expect_equal(found[node], expected,
                         f"Cao Bằng {year}, {node}: (rank, previous rank, change)")


def build() -> tuple[dict[int, FrameworkSpec], dict[int, Returns], int]:
    """The frameworks and returns of both years, and the seed that gives no tie."""
    specs = {2016: framework_2016(), 2017: framework_2017()}
    for seed in range(200):
        years = _orders(seed)
        try:
            _place_overall(years[2017], CAO_BANG_RANKS[TOTAL_NODE][1],
                         random.Random(f"mic-{seed}-index"))
        except DemoTargetError:
            continue
        returns = {y: _returns(seed, years[y], specs[y]) for y in YEARS}
        results = {2016: score(specs[2016], UNITS, returns[2016])}
        results[2017] = score(specs[2017], UNITS, returns[2017], results[2016])
        check(results)
        if not ties(results[2016]) and not ties(results[2017]):
            for year in YEARS:
                expect_no_ties(results[year], what=f"MIC {year}")
            return specs, returns, seed
    raise RuntimeError("no seed gives a ranking without ties")
