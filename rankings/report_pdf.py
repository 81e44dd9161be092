"""The annual report of a period as a PDF, drawn with ReportLab (pure pip packages only).

Vietnamese needs a font with its letters: Roboto from the ``font-roboto`` package (Apache
licence) is embedded; no system library or font is used, so it works on a fresh Debian
after ``pip install -r requirements.txt``.
"""

from __future__ import annotations

import io
from pathlib import Path

import font_roboto
from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .charts import fmt

FONTS = Path(font_roboto.__file__).resolve().parent / "files"
REGULAR, BOLD = "Roboto", "Roboto-Bold"


def _register_fonts() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "Roboto-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "Roboto-Bold.ttf")))


def _styles():
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=22,
                                spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=13, leading=16,
                             spaceBefore=10, spaceAfter=6),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=10.5, leading=14,
                             spaceBefore=6, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


def _esc(text) -> str:
    return (str(text) if text is not None else "").replace("&", "&amp;").replace(
        "<", "&lt;").replace(">", "&gt;")


def _table(header: list[str], rows: list[list], widths=None) -> Table:
    styles = _styles()
    data = [[Paragraph(f"<b>{_esc(h)}</b>", styles["cell"]) for h in header]]
    data += [[Paragraph(_esc(cell), styles["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
    ]))
    return table


def _change(value) -> str:
    if value is None:
        return "–"
    return f"▲ {value}" if value > 0 else (f"▼ {-value}" if value < 0 else "=")


def report_pdf(*, snapshot, figures, boards, framework, groups, bands, rules, changes,
               **_ignored) -> bytes:
    """The report's bytes: headline figures, the leaderboards and the methodology."""
    _register_fonts()
    styles = _styles()
    period = snapshot.period
    decimals = int(framework.decimals)
    story = [
        Paragraph(_esc(period.name), styles["title"]),
        Paragraph(_esc(_("Báo cáo kết quả đánh giá, xếp hạng – bộ tiêu chí %(fw)s. Công bố "
                         "ngày %(date)s (lần tính %(n)s).") % {
            "fw": framework.name,
            "date": formats.date_format(snapshot.published_at, "SHORT_DATE_FORMAT"),
            "n": snapshot.number}), styles["body"]),
        Paragraph(_esc(_("Số liệu chính")), styles["h2"]),
    ]
    for item in figures:
        story.append(Paragraph(_esc(item.cohort.name), styles["h3"]))
        story.append(Paragraph(_esc(
            _("%(units)s đơn vị, %(ranked)s đơn vị được xếp hạng; điểm trung bình %(mean)s.")
            % {"units": item.units, "ranked": item.ranked, "mean": fmt(item.mean_score, 2)}),
            styles["body"]))
        if item.indicators:
            story.append(Spacer(1, 3 * mm))
            story.append(_table(
                [_("Chỉ tiêu"), _("Số đơn vị có số liệu"), _("Tổng"), _("Trung bình"),
                 _("Tỷ lệ trên tổng")],
                [[f"{line['indicator'].name} ({line['indicator'].code})", line["count"],
                  fmt(line["total"], 2), fmt(line["mean"], 2),
                  fmt(line["ratio_of_totals"], 2) if line["ratio_of_totals"] is not None
                  else ""] for line in item.indicators],
                widths=[95 * mm, 30 * mm, 35 * mm, 35 * mm, 35 * mm]))
    for board in boards:
        story.append(PageBreak())
        story.append(Paragraph(_esc(_("Bảng xếp hạng: %(cohort)s") % {
            "cohort": board.cohort.name}), styles["h2"]))
        header = [_("Hạng"), _("Đơn vị"), _("Điểm"), _("Xếp loại"), _("Tăng/giảm bậc")]
        for column in board.groups:
            header += [f"{column.name} – {_('Điểm')}", _("Hạng")]
        rows = []
        for row in board.rows:
            cells = [row["rank"] or "–", row["unit_name"], fmt(row["score"], decimals),
                     row["band"] or ("" if row["assessed"] else _("Chưa đánh giá")),
                     _change(row["rank_change"]) if row["rank"] else ""]
            for column in board.groups:
                rank = row[f"{column.key}_rank"]
                cells += [fmt(row[f"{column.key}_score"], decimals),
                          f"{rank or '–'} {_change(row[f'{column.key}_change'])}"]
            rows.append(cells)
        story.append(_table(header, rows))
    story.append(PageBreak())
    story.append(Paragraph(_esc(_("Phương pháp")), styles["h2"]))
    story.append(Paragraph(_esc(_("Thang điểm %(scale)s, làm tròn %(d)s chữ số thập phân.")
                                % {"scale": fmt(framework.scale, 2), "d": decimals}),
                           styles["body"]))
    method_rows = []
    for group, depth, indicators in groups:
        method_rows.append(["  " * depth + group.code, group.name, "",
                            fmt(group.weight, 2), fmt(group.max_points, 2)])
        for indicator in indicators:
            method_rows.append(["  " * (depth + 1) + indicator.code, indicator.name,
                                rules.get(indicator.pk, ""), fmt(indicator.weight, 2),
                                fmt(indicator.max_points, 2)])
    story.append(Spacer(1, 3 * mm))
    story.append(_table([_("Mã"), _("Nhóm tiêu chí / tiêu chí"), _("Cách tính điểm"),
                         _("Trọng số"), _("Điểm tối đa")], method_rows,
                        widths=[25 * mm, 85 * mm, 110 * mm, 20 * mm, 22 * mm]))
    if bands:
        story.append(Paragraph(_esc(_("Xếp loại")), styles["h3"]))
        story.append(Paragraph(_esc("; ".join(f"{b.label} ≥ {fmt(b.min_score, 2)}"
                                              for b in bands)), styles["body"]))
    if changes.previous is not None:
        story.append(Paragraph(_esc(_("Thay đổi so với bộ tiêu chí %(fw)s") % {
            "fw": changes.previous.name}), styles["h3"]))
        lines = ([_("Thêm: %(c)s") % {"c": ", ".join(i.code for i in changes.added)}]
                 if changes.added else [])
        lines += ([_("Bỏ: %(c)s") % {"c": ", ".join(i.code for i in changes.removed)}]
                  if changes.removed else [])
        lines += [_("Sửa %(c)s: %(f)s") % {"c": i.code, "f": ", ".join(f)}
                  for i, f in changes.changed]
        for line in lines or [_("Không có thay đổi về tiêu chí.")]:
            story.append(Paragraph(_esc(line), styles["body"]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=period.name,
                                 leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                                 bottomMargin=12 * mm, author=_("Chỉ số ICT"))
    document.build(story)
    return buffer.getvalue()
