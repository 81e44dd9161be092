"""django-import-export in the admin for units and frameworks: the upload is previewed by the
service's dry run (every error named by sheet and cell, nothing written), confirmed all
or nothing, recorded in the import history; units export in the layout the import reads,
escaped against formula injection; only admins may import."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Cohort, Framework, ImportRecord, Unit, User
from assessments.services import import_units

from .conftest import db_state
from .factories import framework_sheets, write_xlsx

pytestmark = pytest.mark.django_db

UNITS = [
    ["code", "name", "cohort", "parent", "active"],
    ["SO-TTTT", "Sở Thông tin và Truyền thông", "depts", None, "yes"],
    ["PHONG-1", "Phòng CNTT của Sở", "depts", "SO-TTTT", "có"],
    ["H-A", "Huyện A", "districts", None, None],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db):
    return User.objects.create_user("quan-tri", password="pw", role=User.Role.ADMIN,
                                    is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def confirm_fields(page: str) -> dict:
    form = page.split('name="confirm"')[0].rsplit("<form", 1)[1]
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))


def post_file(client, url, path, **extra):
    with open(path, "rb") as handle:
        return client.post(url, {"import_file": handle, "format": "0", **extra})


def test_units_change_list_offers_import_and_export_in_vietnamese(admin_client):
    page = text(admin_client.get(reverse("admin:assessments_unit_changelist")))
    assert "Nhập từ Excel" in page and "Xuất tệp Excel" in page
    page = text(admin_client.get(reverse("admin:assessments_unit_import")))
    assert "Tệp (.xlsx hoặc .csv)" in page and "code, name, cohort, parent, active" in page


def test_units_are_previewed_then_imported_on_confirmation(admin_client, admin_user, tmp_path):
    url = reverse("admin:assessments_unit_import")
    path = write_xlsx(tmp_path / "don-vi.xlsx", {"units": UNITS})
    before = db_state()
    response = post_file(admin_client, url, path)
    page = text(response)
    assert "Đơn vị: 3 mới, 0 cập nhật, 0 không đổi." in page
    assert db_state() == before
    fields = confirm_fields(page)
    response = admin_client.post(reverse("admin:assessments_unit_process_import"), fields,
                                 follow=True)
    assert "Đã nhập tệp don-vi.xlsx." in text(response)
    assert sorted(Unit.objects.values_list("code", "parent__code")) == [
        ("H-A", None), ("PHONG-1", "SO-TTTT"), ("SO-TTTT", None)]
    record = ImportRecord.objects.get()
    assert (record.kind, record.file_name, record.actor) == ("units", "don-vi.xlsx", admin_user)
    # the upload waited in the media storage, and is gone after the import
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_unit_errors_are_listed_by_cell_and_nothing_is_written(admin_client, tmp_path):
    rows = [list(r) for r in UNITS] + [["SO-TTTT", "Trùng", "depts", None, None],
                                       ["H-B", "Huyện B", "districts", "H-X", "có lẽ"]]
    path = write_xlsx(tmp_path / "don-vi.xlsx", {"units": rows})
    before = db_state()
    page = text(post_file(admin_client, reverse("admin:assessments_unit_import"), path))
    assert db_state() == before
    assert "Tệp có 3 lỗi: chưa nhập gì." in page
    cells = re.findall(r"<td><code>([A-Z]+\d+)</code></td>", page)
    assert cells == ["A5", "E6", "D6"]
    assert 'name="confirm"' not in page


def test_a_confirmation_that_no_longer_imports_changes_nothing(admin_client, tmp_path):
    cohort = Cohort.objects.create(code="depts", name="Sở, ban, ngành")
    so = Unit.objects.create(code="SO-TTTT", name="Sở", cohort=cohort)
    path = write_xlsx(tmp_path / "don-vi.xlsx", {"units": [UNITS[0], UNITS[2]]})
    page = text(post_file(admin_client, reverse("admin:assessments_unit_import"), path))
    assert "Đơn vị: 1 mới" in page
    fields = confirm_fields(page)
    so.delete()  # meanwhile the parent named by the file is removed
    before = db_state()
    response = admin_client.post(reverse("admin:assessments_unit_process_import"), fields,
                                 follow=True)
    page = text(response)
    assert "Chưa nhập gì: tệp không còn nhập được." in page
    assert "SO-TTTT" in page and "D2" in page
    assert db_state() == before


def test_a_framework_is_previewed_without_writing_then_imported(admin_client, tmp_path):
    url = reverse("admin:assessments_framework_import")
    path = write_xlsx(tmp_path / "bo-tieu-chi.xlsx", framework_sheets())
    before = db_state()
    page = text(post_file(admin_client, url, path))
    assert "Bộ tiêu chí MIC-2017: 3 nhóm, 8 tiêu chí, 4 xếp loại." in page
    assert db_state() == before
    response = admin_client.post(reverse("admin:assessments_framework_process_import"),
                                 confirm_fields(page), follow=True)
    assert "Đã nhập tệp bo-tieu-chi.xlsx." in text(response)
    assert Framework.objects.get().indicators.count() == 8
    assert ImportRecord.objects.get().kind == "framework"

    # again: refused unless "replace" is ticked
    page = text(post_file(admin_client, url, path))
    assert "đã có bộ tiêu chí mã MIC-2017" in page
    page = text(post_file(admin_client, url, path, replace="on"))
    fields = confirm_fields(page)
    assert fields["replace"] == "True"
    admin_client.post(reverse("admin:assessments_framework_process_import"), fields)
    assert ImportRecord.objects.filter(kind="framework").count() == 2


def test_framework_errors_are_listed_by_sheet_and_cell(admin_client, tmp_path):
    sheets = framework_sheets()
    sheets["indicators"][1][5] = "khong_co_quy_tac"  # F2: an unknown rule
    path = write_xlsx(tmp_path / "bo-tieu-chi.xlsx", sheets)
    before = db_state()
    page = text(post_file(admin_client, reverse("admin:assessments_framework_import"), path))
    assert db_state() == before
    assert "<td>indicators</td><td><code>F2</code></td>" in page


def test_units_export_in_the_import_layout_with_text_escaped(admin_client, tmp_path):
    import_units(source=write_xlsx(tmp_path / "u.xlsx", {"units": UNITS}))
    Unit.objects.filter(code="H-A").update(name="=HYPERLINK(\"http://x\")")
    response = admin_client.post(reverse("admin:assessments_unit_export"),
                                 {"format": "0", "resource": "0"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["units"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["code", "name", "cohort", "parent", "active"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["PHONG-1"] == ["PHONG-1", "Phòng CNTT của Sở", "depts", "SO-TTTT", "yes"]
    assert by_code["H-A"][1] == "'=HYPERLINK(\"http://x\")"
    assert sheet["B2"].data_type == "s" and all(c.data_type != "f" for r in sheet for c in r)


def test_the_framework_workbook_downloads_from_the_list(admin_client, tmp_path):
    from assessments.services import import_framework

    framework = import_framework(source=write_xlsx(tmp_path / "f.xlsx", framework_sheets()))
    response = admin_client.post(reverse("admin:assessments_framework_changelist"),
                                 {"action": "download_workbook",
                                  "_selected_action": [framework.pk]})
    assert response["Content-Disposition"] == 'attachment; filename="MIC-2017.xlsx"'
    assert load_workbook(io.BytesIO(response.content)).sheetnames == [
        "settings", "groups", "indicators", "bands"]


@pytest.mark.parametrize("who", ["reviewer", "unit_staff_with_admin_flag"])
def test_only_admins_may_import(client, who, tmp_path):
    cohort = Cohort.objects.create(code="depts", name="Sở")
    unit = Unit.objects.create(code="SO-X", name="Sở X", cohort=cohort)
    kwargs = {"reviewer": {"role": User.Role.REVIEWER, "is_staff": True},
              "unit_staff_with_admin_flag": {"unit": unit, "is_staff": True}}[who]
    user = User.objects.create_user(who, password="pw", **kwargs)
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.filter(codename__in=[
        "view_unit", "add_unit", "change_unit", "view_framework", "add_framework"]))
    client.force_login(user)
    before = db_state()
    for name in ("admin:assessments_unit_import", "admin:assessments_framework_import"):
        assert client.get(reverse(name)).status_code in (302, 403)
        path = write_xlsx(tmp_path / "u.xlsx", {"units": UNITS})
        assert post_file(client, reverse(name), path).status_code in (302, 403)
    assert client.post(reverse("admin:assessments_unit_export"),
                       {"format": "0", "resource": "0"}).status_code in (302, 403)
    assert db_state() == before


ATTACKS = ["zip-bomb", "billion-laughs-in-the-sheet", "billion-laughs-in-the-workbook-part",
           "macro-inside-an-xlsx", "not-a-workbook", "damaged-zip", "csv-in-utf-16"]


@pytest.mark.parametrize("case_id", ATTACKS)
@pytest.mark.parametrize("model", ["unit", "framework"])
def test_hostile_files_are_refused_by_the_import_export_pages(admin_client, tmp_path, case_id,
                                                               model):
    from .test_import_corpus import CORPUS

    case = next(c for c in CORPUS if c.id == case_id)
    path = case.build(tmp_path)
    before = db_state()
    response = post_file(admin_client, reverse(f"admin:assessments_{model}_import"), path)
    assert response.status_code == 200
    page = text(response)
    assert case.says in page and "chưa nhập gì" in page
    assert 'name="confirm"' not in page
    assert db_state() == before
