"""Languages: Vietnamese msgids, the English catalogue, formats per language, the switch.

The catalogue tests read ``locale/en/LC_MESSAGES/django.po`` and ``.mo`` as committed; the
completeness test extracts the strings of the current code with ``makemessages`` in a
temporary copy of the sources (it needs GNU gettext, and is skipped without it).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.html import strip_tags

from assessments.tests.factories import framework_sheets, set_cell, write_xlsx
from assessments.workbooks import WorkbookError
from assessments.workbooks.engine_messages import MESSAGES, describe_issue, issue_message
from rankings.engine import Band as BandSpec
from rankings.engine import (
    FormulaError,
    FrameworkError,
    FrameworkSpec,
    GroupSpec,
    IndicatorSpec,
    format_params,
    parse_formula,
    parse_params,
    validate_framework,
)
from rankings.templatetags.ranking_tags import number, score
from rankings.tests.conftest import FAIR, GOOD, Builder

BASE_DIR = Path(settings.BASE_DIR)
PO = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
#: Vietnamese for third-party strings only (Django admin, forms, the CSRF page).
VI_PO = [BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / f"{domain}.po"
         for domain in ("django", "djangojs")]
CATALOGUES = [PO, *VI_PO]
PRINTF = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
BRACES = re.compile(r"\{\w*\}")
#: Letters that only Vietnamese text has (no English word of ours uses them).
VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]",
                        re.IGNORECASE)


# --- reading .po files ----------------------------------------------------------------------

def read_po(path: Path) -> list[dict]:
    """Entries of a .po file (obsolete ones left out): msgid, msgid_plural, msgstr or
    msgstr[n], flags. The header (empty msgid) is the first entry."""
    entries, entry, key = [], {"flags": set()}, None
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    for line in lines:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, key = {"flags": set()}, None
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _space, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return entries


def placeholders(entry: dict, text: str) -> list[str]:
    """The placeholders of ``text`` by the entry's format flag (``%%`` is no placeholder)."""
    if {"python-format", "javascript-format"} & entry["flags"]:
        return sorted(PRINTF.findall(text.replace("%%", "")))
    if "python-brace-format" in entry["flags"]:
        return sorted(BRACES.findall(text))
    return []


def translations(entry: dict) -> list[str]:
    if "msgid_plural" in entry:
        return [value for key, value in sorted(entry.items()) if key.startswith("msgstr[")]
    return [entry.get("msgstr", "")]


def ident(entry: dict) -> tuple:
    return entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural")


def describe(entries) -> str:
    return "\n".join(f"  {entry['msgid']!r}" for entry in entries)


# --- the catalogue ----------------------------------------------------------------------------

def test_every_english_entry_is_translated_and_not_fuzzy():
    entries = read_po(PO)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"], "the header is fuzzy"
    assert "Language: en" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]
    untranslated = [e for e in messages if not all(t.strip() for t in translations(e))]
    fuzzy = [e for e in messages if "fuzzy" in e["flags"]]
    assert not untranslated, "untranslated in locale/en:\n" + describe(untranslated)
    assert not fuzzy, "fuzzy in locale/en (check and remove the flag):\n" + describe(fuzzy)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: "/".join(path.parts[-3:]))
def test_translations_keep_the_placeholders_of_their_msgid(po):
    wrong = []
    for entry in read_po(po)[1:]:
        wanted = placeholders(entry, entry["msgid"])
        if "msgid_plural" in entry:
            wanted = sorted(set(wanted) | set(placeholders(entry, entry["msgid_plural"])))
        for text in translations(entry):
            found = placeholders(entry, text)
            if ("msgid_plural" in entry and sorted(set(found)) != wanted) or (
                    "msgid_plural" not in entry and found != wanted):
                wrong.append(entry)
                break
    assert not wrong, "placeholders differ from the msgid:\n" + describe(wrong)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: "/".join(path.parts[-3:]))
def test_the_committed_mo_holds_exactly_the_po(po):
    """The .mo files are committed (a machine without gettext cannot compile them): each
    must be rebuilt whenever its .po changes (``make messages``)."""
    with po.with_suffix(".mo").open("rb") as file:
        catalog = gettext.GNUTranslations(file)._catalog
    expected = {}
    for entry in read_po(po)[1:]:
        msgid = entry["msgid"] if entry.get("msgctxt") is None else (
            f"{entry['msgctxt']}\x04{entry['msgid']}")
        if "msgid_plural" in entry:
            for index, text in enumerate(translations(entry)):
                expected[(msgid, index)] = text
        else:
            expected[msgid] = entry["msgstr"]
    compiled = {key: value for key, value in catalog.items() if key != ""}
    stale = sorted(str(key) for key in expected.keys() - compiled.keys())
    extra = sorted(str(key) for key in compiled.keys() - expected.keys())
    changed = sorted(str(key) for key in expected.keys() & compiled.keys()
                     if expected[key] != compiled[key])
    assert not (stale or extra or changed), (
        f"{po.with_suffix('.mo')} is out of date: run "
        "'python manage.py compilemessages -l en -l vi --ignore=.venv'\n"
        f"missing: {stale[:5]}\nextra: {extra[:5]}\nchanged: {changed[:5]}")


SOURCE_SKIP = {".venv", ".git", "benchmarks", "staticfiles", "test-artifacts", "var", "media",
               "node_modules", "__pycache__", "fixtures", ".pytest_cache", ".ruff_cache"}


def copy_sources(destination: Path) -> None:
    """The files makemessages reads (.py, .html, .txt) and the catalogues, nothing else."""
    for root, dirs, files in os.walk(BASE_DIR):
        dirs[:] = [d for d in dirs if d not in SOURCE_SKIP and not d.startswith(".")]
        for name in files:
            if name.endswith((".py", ".html", ".txt", ".po")):
                source = Path(root) / name
                target = destination / source.relative_to(BASE_DIR)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
                    reason="GNU gettext (xgettext, msgmerge) is not installed: "
                           "apt-get install gettext")
def test_every_string_of_the_code_is_in_the_english_catalogue(tmp_path):
    """``make messages`` would find nothing new to translate: every msgid extracted from
    the code and templates now has an English translation that is not fuzzy."""
    copy_sources(tmp_path)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ict_index.settings",
           "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr  # makemessages prints xgettext's warnings to stdout
    assert run.returncode == 0, output
    assert "used without plural and with plural" not in output, (
        "one msgid is used both with ngettext and gettext; the singular use is never "
        "translated. Use ngettext everywhere, or change the wording of one of them:\n"
        + output)
    fresh = read_po(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")[1:]
    committed = {ident(e) for e in read_po(PO)[1:]}
    new = [e for e in fresh if ident(e) not in committed]
    assert not new, ("strings not in locale/en yet: run 'make messages' and translate them:\n"
                     + describe(new))
    fuzzy = [e for e in fresh if "fuzzy" in e["flags"]]
    assert not fuzzy, describe(fuzzy)


def test_the_vietnamese_catalogues_hold_only_third_party_strings_all_translated():
    """Our own msgids are Vietnamese already: a "vi" catalogue of them would be noise (and
    makemessages -l vi would add them untranslated)."""
    ours = {entry["msgid"] for entry in read_po(PO)[1:]}
    for po in VI_PO:
        entries = read_po(po)
        header = entries[0]
        assert "Language: vi" in header["msgstr"] and "fuzzy" not in header["flags"]
        assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"]
        for entry in entries[1:]:
            assert entry["msgid"] not in ours, entry["msgid"]
            assert not VIETNAMESE.search(entry["msgid"]), entry["msgid"]
            assert all(t.strip() for t in translations(entry)), entry["msgid"]
            assert "fuzzy" not in entry["flags"], entry["msgid"]


def test_django_admin_strings_without_vietnamese_of_their_own_are_vietnamese():
    # (aliases that xgettext does not know: these msgids must not enter our catalogue)
    tr, tr_plural = translation.gettext, translation.ngettext
    with translation.override("vi"):
        assert tr("Skip to main content") == "Bỏ qua, đến nội dung chính"
        assert tr("Toggle theme (current theme: auto)").startswith("Đổi giao diện")
        assert tr_plural("Please correct the error below.", "Please correct the errors below.",
                         2) == "Vui lòng sửa các lỗi dưới đây."
        assert tr("Forbidden") == "Bị từ chối truy cập"
        assert tr("Log out") == "Thoát"  # Django's own Vietnamese still applies
    with translation.override("en"):
        assert tr("Skip to main content") == "Skip to main content"


def test_the_admin_in_vietnamese_shows_no_untranslated_django_strings(admin_client):
    html = admin_client.get("/admin/").content.decode()
    for english in ("Skip to main content", "Toggle theme", "Model name", "Add link"):
        assert english not in html, english
    script = admin_client.get("/admin/jsi18n/").content.decode()
    assert "\\u0110\\u1ed5i" not in script  # (sanity: the JS catalogue is JSON-escaped)
    assert '"Choose all %s": "Ch\\u1ecdn t\\u1ea5t c\\u1ea3 %s"' in script


# --- numbers and dates per language -----------------------------------------------------------

def test_numbers_are_written_the_way_each_language_writes_them():
    with translation.override("vi"):
        assert (score(98.5, 2), score(0.92684, 4), number(1234)) == ("98,50", "0,9268", "1.234")
    with translation.override("en"):
        assert (score(98.5, 2), score(0.92684, 4), number(1234)) == ("98.50", "0.9268", "1,234")


# --- pages ------------------------------------------------------------------------------------

@pytest.fixture
def published(db):
    """Period 2017 published: Sở Thông tin và Truyền thông 98.50, Sở Tài chính 95.00,
    Sở Xây dựng 60.00 (decimals 2)."""
    from rankings.services import compute_snapshot, publish_snapshot

    build = Builder()
    so = build.cohort("so", "Sở, Ban, Ngành", order=1)
    period = build.period("2017", build.standard_framework(), [so], name="Năm 2017")
    build.submit(period, build.unit("STTTT", "Sở Thông tin và Truyền thông", so),
                 {"lan": True, "may_tinh": 92.5, "dvc": 100, "vb": "a"})   # 20+18.5+30+30
    build.submit(period, build.unit("STC", "Sở Tài chính", so), GOOD)
    build.submit(period, build.unit("SXD", "Sở Xây dựng", so), FAIR)
    return publish_snapshot(snapshot=compute_snapshot(period=period))


def page_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(strip_tags(html).split())


def interface_text(response, snapshot) -> str:
    """The page's text without the data it shows (names of units, cohorts, groups, bands,
    the period and the framework), which stay as they were entered."""
    from assessments.models import Band, CriterionGroup, Unit

    text = page_text(response)
    framework = snapshot.period.framework
    data = [snapshot.period.name, framework.name]
    data += [c.name for c in snapshot.period.cohorts.all()]
    data += list(Unit.objects.values_list("name", flat=True))
    data += list(CriterionGroup.objects.filter(framework=framework).values_list("name",
                                                                                 flat=True))
    data += list(Band.objects.filter(framework=framework).values_list("label", flat=True))
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, " ")
    return text


def test_the_leaderboard_in_english_has_english_words_and_numbers(client, published):
    response = client.get("/en/ky/2017/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    text = page_text(response)
    for words in ("Rankings", "Framework", "Published on", "Rank", "Score", "Band",
                  "Rank change", "Download the results", "3 units ranked"):
        assert words in text, words
    assert "98.50" in text and "98,50" not in text
    leftovers = sorted(set(VIETNAMESE.findall(interface_text(response, published))))
    assert not leftovers, ("Vietnamese interface text on an English page: "
                           + interface_text(response, published))


def test_the_leaderboard_in_vietnamese_is_untouched_by_the_catalogue(client, published):
    response = client.get("/ky/2017/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    text = page_text(response)
    for words in ("Kết quả xếp hạng", "Bộ tiêu chí", "Ngày công bố", "Hạng", "Điểm",
                  "Xếp loại", "Tải kết quả", "3 đơn vị được xếp hạng"):
        assert words in text, words
    assert "98,50" in text and "98.50" not in text


def test_the_home_page_in_english(client, published):
    response = client.get("/en/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Published assessment results and rankings" in text
    assert "See the leaderboard" in text
    assert "Kết quả" not in text
    leftovers = sorted(set(VIETNAMESE.findall(interface_text(response, published))))
    assert not leftovers, interface_text(response, published)


def test_the_language_switch_goes_to_the_same_page_in_the_other_language(client, published):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/en/")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ky/2017/"})
    assert response["Location"] == "/en/ky/2017/"
    response = client.post("/i18n/setlang/", {"language": "vi", "next": "/en/ky/2017/"})
    assert response["Location"] == "/ky/2017/"


# --- the scoring engine's messages ------------------------------------------------------------

def import_errors(tmp_path, sheets) -> list[str]:
    from assessments.services import import_framework

    with pytest.raises(WorkbookError) as caught:
        import_framework(source=write_xlsx(tmp_path / "framework.xlsx", sheets))
    return [str(error) for error in caught.value.errors]


def broken_framework() -> dict:
    """The sample framework with a group cycle (HT ↔ HT1) and a formula naming an unknown
    indicator."""
    sheets = framework_sheets()
    set_cell(sheets["groups"], "HT", "parent", "HT1")
    set_cell(sheets["indicators"], "mt_per_cb", "formula", "may_tinh / nhan_vien")
    return sheets


def test_framework_import_errors_from_the_engine_are_in_vietnamese(db, tmp_path):
    errors = import_errors(tmp_path, broken_framework())
    assert "Sheet groups, ô C2 (HT): các nhóm tiêu chí tạo thành vòng lặp: HT -> HT1 -> HT." \
        in errors
    assert ("Sheet indicators, ô P4 (mt_per_cb): công thức dùng tiêu chí không có trong bộ "
            "tiêu chí: 'nhan_vien'.") in errors


def test_framework_import_errors_are_in_english_under_english(db, tmp_path):
    with translation.override("en"):
        errors = import_errors(tmp_path, broken_framework())
        report = str(WorkbookError([], file_name="f.xlsx"))
    assert "Sheet groups, cell C2 (HT): the groups form a cycle: HT -> HT1 -> HT." in errors
    assert ("Sheet indicators, cell P4 (mt_per_cb): the formula names an indicator that is "
            "not in the framework: 'nhan_vien'.") in errors
    assert report.startswith("File f.xlsx has 0 errors:")


def test_a_bad_formula_and_bad_params_are_reported_in_the_users_language(db, tmp_path):
    sheets = framework_sheets()
    set_cell(sheets["indicators"], "mt_per_cb", "formula", "may_tinh / (can_bo")
    set_cell(sheets["indicators"], "ty_le_dvc", "params", "lo=0;hi")
    errors = import_errors(tmp_path, sheets)
    assert ("Sheet indicators, ô P4 (mt_per_cb): công thức: cần ')' nhưng gặp cuối công thức "
            "(cột 19).") in errors
    assert ("Sheet indicators, ô G6 (ty_le_dvc): tham số không hợp lệ: phần 2 ('hi') không "
            "có dạng khoá=giá trị.") in errors
    with translation.override("en"):
        errors = import_errors(tmp_path, sheets)
    assert ("Sheet indicators, cell P4 (mt_per_cb): formula: expected ')' but found the end "
            "of the formula (column 19).") in errors
    assert ("Sheet indicators, cell G6 (ty_le_dvc): invalid params: piece 2 ('hi') is not of "
            "the form key=value.") in errors


def broken_specs() -> list[FrameworkSpec]:
    """Frameworks with (between them) most of the problems the engine knows."""
    g, i = GroupSpec, IndicatorSpec
    return [
        FrameworkSpec(code="", scale=0, aggregation="median", decimals=9, rank_on="x",
                      groups=(g("A"), g("B", parent="B"), g("C", parent="Z"),
                              g("D", parent="ind", weight=0, max_points=-1, rescale="y"),
                              g("__total__"), g("1bad"), g("A"), g("")),
                      indicators=(i("A", "A", rule="none"), i("", "A", rule="none"),
                                  i("ind", "A", rule="none"))),
        FrameworkSpec(code="F", groups=(g("P", parent="Q"), g("Q", parent="P"),
                                        g("G", aggregation="geometric_mean", rescale="minmax")),
                      indicators=(
                          i("w1", "P", rule="ratio", params="target=1"),
                          i("w2", "P", rule="ratio", params={}),
                          i("x0", "P", value_type="choice", rule="choice", params={}),
                          i("x1", "P", rule="ratio", params={"target": "0", "k": "1"}),
                          i("x2", "P", rule="goalpost", params={"lo": "5", "hi": "1", "z": "1"}),
                          i("x3", "P", rule="goalpost", params={"lo": "a", "hi": "b"}),
                          i("x4", "P", rule="goalpost", params={}),
                          i("x5", "P", rule="bands", params={}),
                          i("x6", "P", rule="bands",
                            params={"a": "1", "1": "-1", "1.0": "9", "2": "x"}, max_points=2),
                          i("x7", "P", value_type="choice", rule="choice",
                            params={" ": "x", "B": "-2", "C": "9"}, max_points=2, inverse=True),
                          i("x8", "", rule="direct", params={"a": "1"}),
                          i("x9", "NOPE", value_type="money", rule="magic"),
                          i("y1", "P", value_type="text", rule="direct", formula="x1 + 1"),
                          i("y2", "P", value_type="text", rule="direct"),
                          i("y3", "P", value_type="number", rule="choice"),
                          i("y4", "P", rule="zscore"),
                          i("y5", "P", formula="y5 + P + nope + y2 + y6", applies_to=("a",)),
                          i("y6", "P", formula="y7", applies_to=("b",)),
                          i("y7", "P", formula="y6"),
                          i("y8", "P", formula="(1"),
                          i("y9", "P", max_points=0, weight=-1, min="a", max=None,
                            applies_to="x"),
                          i("z1", "P", min=5, max=1, applies_to=("",)),
                          i("z2", "P", formula="y1"),
                          i("z3", "P", rule="choice", formula="1"),
                          i("z4", "G", rule="zscore"),
                          i("z1", "P"),
                      ),
                      bands=(BandSpec("", 0), BandSpec("T", 1), BandSpec("T", 1),
                             BandSpec("K", "x"))),
    ]


def engine_issues():
    issues = [issue for spec in broken_specs() for issue in validate_framework(spec)]
    for text in ("a=1;b", "=1", "a=", "a=1;a=2", 5):
        with pytest.raises(FrameworkError) as caught:
            parse_params(text)
        issues += caught.value.issues
    for params in ({"a;": "1"}, {"a": "1;"}, {"": "1"}, {"a": ""}):
        with pytest.raises(FrameworkError) as caught:
            format_params(params)
        issues += caught.value.issues
    return issues


def test_every_engine_issue_has_a_key_translated_on_the_django_side():
    issues = engine_issues()
    keys = {issue.key for issue in issues}
    assert len(keys) >= 70, sorted(keys)
    without_key = [issue for issue in issues if not issue.key]
    assert not without_key, without_key
    unknown = sorted(keys - MESSAGES.keys())
    assert not unknown, f"engine keys without a message in engine_messages.py: {unknown}"
    with translation.override("vi"):
        for issue in issues:
            shown = issue_message(issue)
            assert shown != issue.message and "%(" not in shown, (issue, shown)
            assert describe_issue(issue).startswith(
                ("thiết lập", "nhóm tiêu chí", "tiêu chí", "xếp loại")), issue


def test_every_formula_error_has_a_key_translated_on_the_django_side():
    texts = [5, "", "1 +", ". 1", "a $ b", "(a", "min(a", "foo(a)", "abs(a, b)", "a b",
             ")", "1" * 1001, "(" * 80 + "1" + ")" * 80]
    keys = set()
    for text in texts:
        with pytest.raises(FormulaError) as caught:
            parse_formula(text)
        error = caught.value
        keys.add(error.key)
        assert error.key in MESSAGES, (text, error.key)
    assert len(keys) >= 9, keys


def test_an_unknown_engine_key_falls_back_to_the_english_message():
    from rankings.engine import FrameworkIssue

    issue = FrameworkIssue("indicator", "x", "rule", "something new", key="brand.new",
                           params={"a": "1"})
    with translation.override("vi"):
        assert issue_message(issue) == "something new"
        assert describe_issue(issue) == "tiêu chí 'x', cột rule: something new"
    with translation.override("en"):
        assert describe_issue(issue) == "indicator 'x', column rule: something new"
