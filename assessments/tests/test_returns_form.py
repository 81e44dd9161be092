"""The unit's survey form: rendering per value type, validation by the import's parser,
draft / submit / recall, deadlines and extensions, returned submissions, the conflict of two
people saving one form, and the answers' history."""

from __future__ import annotations

import datetime
import html as html_module
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.forms import sentence
from assessments.models import (
    Answer,
    AnswerChange,
    Extension,
    Period,
    Review,
    Submission,
)
from assessments.workbooks.values import ValueProblem, parse_answer

from . import returns_support
from .returns_support import COMPLETE, PASSWORD, form_data, form_url

pytestmark = pytest.mark.django_db

# fixtures shared by the returns tests
media = returns_support.media
mine = returns_support.mine
people = returns_support.people
theirs = returns_support.theirs


@pytest.fixture
def staff_client(client, people):
    client.login(username="so-tttt", password=PASSWORD)
    return client


def answers_of(submission) -> dict:
    return {a.indicator.code: (a.value_number, a.value_text, a.explanation)
            for a in Answer.objects.filter(submission=submission).select_related("indicator")}


def compact(response) -> str:
    return html_module.unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- my returns -------------------------------------------------------------------------------

def test_my_returns_lists_the_units_periods_with_status_deadline_and_days_left(
        staff_client, period, province):
    period.deadline = timezone.localdate() + datetime.timedelta(days=10)
    period.save()
    response = staff_client.get(reverse("returns:index"))
    html = compact(response)
    assert response.status_code == 200
    assert period.name in html and "Chưa bắt đầu" in html
    assert "10 ngày" in html
    assert period.deadline.strftime("%d/%m/%Y") in html
    response = staff_client.post(reverse("returns:start", args=[period.code]))
    submission = Submission.objects.get(period=period, unit=province["SO-TTTT"])
    assert response["Location"] == form_url(submission)
    assert submission.status == Submission.Status.DRAFT
    html = compact(staff_client.get(reverse("returns:index")))
    assert "Nháp" in html and form_url(submission) in html
    # once submitted, or for a published period, nothing is counted down any more
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.SUBMITTED)
    html = compact(staff_client.get(reverse("returns:index")))
    assert "10 ngày" not in html and "Đã nộp" in html


def test_my_returns_shows_the_extended_deadline(staff_client, period, province):
    period.deadline = timezone.localdate() - datetime.timedelta(days=2)
    period.save()
    Extension.objects.create(period=period, unit=province["SO-TTTT"],
                             until=timezone.localdate() + datetime.timedelta(days=3))
    html = compact(staff_client.get(reverse("returns:index")))
    assert "đã gia hạn" in html and "3 ngày" in html


def test_only_unit_staff_reach_my_returns(client, people):
    client.login(username="reviewer", password=PASSWORD)
    assert client.get(reverse("returns:index")).status_code == 403
    client.logout()
    response = client.get(reverse("returns:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nav_link_for_unit_staff_only(staff_client, client, people):
    assert "Báo cáo của đơn vị" in compact(staff_client.get("/"))


# --- rendering --------------------------------------------------------------------------------

def test_form_renders_the_input_each_value_type_calls_for(staff_client, mine):
    html = compact(staff_client.get(form_url(mine)))
    number = re.search(r'<input type="text" name="v_may_tinh"[^>]*>', html).group(0)
    assert 'inputmode="decimal"' in number and 'data-min="0.0"' in number
    integer = re.search(r'<input type="text" name="v_can_bo"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in integer
    percent = re.search(r'<input type="text" name="v_ty_le_dvc"[^>]*>', html).group(0)
    assert 'inputmode="decimal"' in percent
    assert "Từ 0 đến 100; tỷ lệ %; ví dụ: 98,5." in html
    assert "Không nhỏ hơn 0; số nguyên; ví dụ: 12." in html
    assert re.search(r'type="radio" name="v_lan" value="co"', html)
    assert re.search(r'type="radio" name="v_lan" value="khong"', html)
    assert ">Có</label>" in html.replace(" </label>", "</label>") or "Có" in html
    select = re.search(r'<select name="v_muc_do".*?</select>', html).group(0)
    assert [m for m in re.findall(r'value="([^"]*)"', select)] == ["", "A", "B", "C"]
    assert re.search(r'<textarea name="v_ghi_chu"', html)
    assert 'name="e_may_tinh"' in html  # explanation beside every answer
    # derived: shown computed, never typed; the district-only indicator is absent
    assert 'name="v_mt_per_cb"' not in html and 'data-derived="mt_per_cb"' in html
    assert "diem_huyen" not in html
    # one section per top-level group, with progress
    assert 'id="s-HT"' in html and 'id="s-UD"' in html
    assert 'data-progress="s-HT">0/3<' in html and 'data-progress="s-UD">0/3<' in html
    assert "Đơn vị tính: máy" in html and "Tổng số máy tính đang dùng" in html


def test_district_staff_get_the_district_indicator(client, people, period, province):
    submission = Submission.objects.create(period=period, unit=province["H-A"])
    client.login(username="h-a", password=PASSWORD)
    assert 'name="v_diem_huyen"' in compact(client.get(form_url(submission)))


def test_saved_values_come_back_in_vietnamese_number_format(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, may_tinh="1.234,5", ty_le_dvc="98,5"))
    html = compact(staff_client.get(form_url(mine)))
    assert 'value="1234,5"' in html and 'value="98,5"' in html
    assert answers_of(mine)["may_tinh"][0] == 1234.5


# --- validation -------------------------------------------------------------------------------

def test_validation_messages_beside_the_field_and_nothing_saved(staff_client, mine):
    response = staff_client.post(form_url(mine), form_data(
        mine, may_tinh="abc", can_bo="1,5", ty_le_dvc="120", muc_do="A"))
    assert response.status_code == 400
    html = compact(response)
    error_of = {code: re.search(rf'data-error="{code}"[^>]*>([^<]*)<', html).group(1).strip()
                for code in ("may_tinh", "can_bo", "ty_le_dvc", "muc_do")}
    assert error_of["may_tinh"] == "Giá trị 'abc' không phải là số."
    assert error_of["can_bo"] == "Giá trị '1,5' không phải là số nguyên."
    assert error_of["ty_le_dvc"] == "Giá trị 120 nằm ngoài khoảng cho phép 0–100."
    assert error_of["muc_do"] == ""
    assert answers_of(mine) == {}
    mine.refresh_from_db()
    assert mine.version == 1


@pytest.mark.parametrize("raw", ["6.477", "6,477", "1.234,5", "1,234.5", "12 345", "-3", "x1"])
def test_the_form_accepts_exactly_what_the_import_accepts(staff_client, mine, raw):
    try:
        expected = parse_answer(raw, value_type="number", minimum=0)
    except ValueProblem as problem:
        expected = sentence(problem.message)
    response = staff_client.post(form_url(mine), form_data(mine, may_tinh=raw))
    if isinstance(expected, str):
        assert response.status_code == 400
        assert expected in compact(response)
        assert "may_tinh" not in answers_of(mine)
    else:
        assert response.status_code == 302
        assert answers_of(mine)["may_tinh"][0] == expected[0]


def test_choice_outside_the_options_is_refused(staff_client, mine):
    response = staff_client.post(form_url(mine), form_data(mine, muc_do="Z"))
    assert response.status_code == 400
    assert answers_of(mine) == {}


# --- draft, history, preview ------------------------------------------------------------------

def test_save_draft_stores_answers_records_history_and_bumps_version(staff_client, mine, people):
    response = staff_client.post(form_url(mine), form_data(
        mine, may_tinh="120", lan="co", muc_do="B", e_may_tinh="Theo kiểm kê 2016"))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.version == 2 and mine.status == Submission.Status.DRAFT
    assert answers_of(mine) == {"may_tinh": (120.0, "", "Theo kiểm kê 2016"),
                                "lan": (1.0, "", ""), "muc_do": (None, "B", "")}
    changes = {(c.answer.indicator.code, c.field): (c.old, c.new, c.source, c.actor)
               for c in AnswerChange.objects.select_related("answer__indicator")}
    assert changes[("may_tinh", "value")] == ("", "120", "form", people["staff"])
    assert changes[("may_tinh", "explanation")] == ("", "Theo kiểm kê 2016", "form",
                                                    people["staff"])
    assert changes[("lan", "value")][:2] == ("", "Có")
    # a second save changing one value records only that change
    staff_client.post(form_url(mine), form_data(
        mine, may_tinh="130", lan="co", muc_do="B", e_may_tinh="Theo kiểm kê 2016"))
    assert AnswerChange.objects.filter(field="value", answer__indicator__code="may_tinh"
                                       ).count() == 2
    mine.refresh_from_db()
    assert mine.version == 3
    # saving the same values again changes nothing and keeps the version
    staff_client.post(form_url(mine), form_data(
        mine, may_tinh="130", lan="co", muc_do="B", e_may_tinh="Theo kiểm kê 2016"))
    mine.refresh_from_db()
    assert mine.version == 3


def test_history_shows_who_changed_what_to_the_unit_and_reviewers(staff_client, client, mine):
    staff_client.post(form_url(mine), form_data(mine, may_tinh="120"))
    staff_client.post(form_url(mine), form_data(mine, may_tinh="95,5"))
    url = reverse("returns:history", args=[mine.pk])
    html = compact(staff_client.get(url))
    assert "so-tttt" in html and ">120<" in html and ">95,5<" in html and "biểu mẫu" in html
    client.logout()
    client.login(username="reviewer", password=PASSWORD)
    assert ">95,5<" in compact(client.get(url))


def test_derived_values_and_points_are_computed_by_the_engine_on_render(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, **{k: v for k, v in COMPLETE.items()}))
    html = compact(staff_client.get(form_url(mine)))
    assert re.search(r'data-derived="mt_per_cb">120<', html)
    # points: lan (boolean, 5 points) yes -> 5; muc_do A -> 5 of 5; derived ratio capped -> 10
    assert re.search(r'data-points="lan"[^>]*>5 / 5<', html)
    assert re.search(r'data-points="mt_per_cb"[^>]*>10 / 10<', html)
    assert re.search(r'data-points="muc_do"[^>]*>5 / 5<', html)


def test_preview_endpoint_scores_unsaved_values_with_the_engine(staff_client, mine):
    url = reverse("returns:preview", args=[mine.pk])
    response = staff_client.post(url, form_data(mine, may_tinh="50", can_bo="100", lan="khong",
                                                muc_do="B", ty_le_dvc="abc"))
    data = response.json()
    assert data["derived"]["mt_per_cb"] == "50"
    assert data["points"]["mt_per_cb"] == "5 / 10"
    assert data["points"]["lan"] == "0 / 5"
    assert data["points"]["muc_do"] == "3 / 5"
    assert data["errors"] == {"ty_le_dvc": "Giá trị 'abc' không phải là số."}
    assert data["total"].endswith("/ 100")
    assert answers_of(mine) == {}  # a preview writes nothing


# --- submit, recall, deadlines ----------------------------------------------------------------

def test_submit_needs_every_required_answer_and_evidence_or_explanation(staff_client, mine):
    incomplete = {k: v for k, v in COMPLETE.items() if k not in ("muc_do", "e_lan")}
    response = staff_client.post(form_url(mine), form_data(mine, action="submit", **incomplete))
    assert response.status_code == 400
    html = compact(response)
    assert "Cần bổ sung trước khi nộp" in html
    assert "muc_do</code></a>: Chưa nhập giá trị (bắt buộc)." in html
    assert "lan</code></a>: Cần tài liệu kiểm chứng; nếu chưa có, hãy ghi giải trình." in html
    mine.refresh_from_db()
    assert mine.status == Submission.Status.DRAFT
    assert answers_of(mine)["may_tinh"][0] == 120.0  # the values were kept as a draft
    response = staff_client.post(form_url(mine), form_data(mine, action="submit", **COMPLETE))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Submission.Status.SUBMITTED and mine.submitted_at is not None
    assert mine.transitions.last().to_status == Submission.Status.SUBMITTED


def test_submitted_form_is_read_only_and_can_be_recalled_before_the_deadline(staff_client, mine):
    staff_client.post(form_url(mine), form_data(mine, action="submit", **COMPLETE))
    html = compact(staff_client.get(form_url(mine)))
    assert 'name="v_may_tinh"' in html and "disabled" in re.search(
        r'<input type="text" name="v_may_tinh"[^>]*>', html).group(0)
    assert "Rút lại để sửa" in html and 'value="save"' not in html
    mine.refresh_from_db()
    response = staff_client.post(form_url(mine), form_data(mine, may_tinh="1"))
    assert response.status_code == 302
    assert answers_of(mine)["may_tinh"][0] == 120.0
    staff_client.post(form_url(mine), {"action": "recall"})
    mine.refresh_from_db()
    assert mine.status == Submission.Status.DRAFT
    assert 'value="save"' in compact(staff_client.get(form_url(mine)))


def test_recall_is_refused_after_the_deadline(staff_client, mine, period):
    staff_client.post(form_url(mine), form_data(mine, action="submit", **COMPLETE))
    Period.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1))
    staff_client.post(form_url(mine), {"action": "recall"})
    mine.refresh_from_db()
    assert mine.status == Submission.Status.SUBMITTED


def test_after_the_deadline_the_form_is_read_only(staff_client, mine, period):
    Period.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1))
    html = compact(staff_client.get(form_url(mine)))
    assert "Đã hết hạn nộp: phiếu chỉ để xem." in html and 'value="submit"' not in html
    staff_client.post(form_url(mine), form_data(mine, may_tinh="5"))
    assert answers_of(mine) == {}
    response = staff_client.post(reverse("returns:autosave", args=[mine.pk]),
                                 form_data(mine, may_tinh="5"))
    assert response.status_code == 403 and answers_of(mine) == {}


def test_an_extension_keeps_the_form_open_after_the_deadline(staff_client, mine, period,
                                                              province):
    Period.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1))
    Extension.objects.create(period=period, unit=province["SO-TTTT"],
                             until=timezone.localdate() + datetime.timedelta(days=7))
    html = compact(staff_client.get(form_url(mine)))
    assert "đã gia hạn" in html and 'value="save"' in html
    staff_client.post(form_url(mine), form_data(mine, may_tinh="5"))
    assert answers_of(mine)["may_tinh"][0] == 5.0


def test_returned_submission_opens_only_the_answers_the_reviewer_named(
        staff_client, mine, people):
    staff_client.post(form_url(mine), form_data(mine, action="submit", **COMPLETE))
    mine.refresh_from_db()
    flagged = Answer.objects.get(submission=mine, indicator__code="may_tinh")
    flagged.open_for_correction = True
    flagged.review_comment = "Số máy tính không khớp biên bản."
    flagged.save()
    services.transition_submission(submission=mine, to_status=Submission.Status.RETURNED,
                                   actor=people["reviewer"], message="Xem lại số máy tính.")
    review = Review.objects.create(submission=mine, outcome=Review.Outcome.RETURNED,
                                   message="Đề nghị sửa số máy tính.", reviewer=people["reviewer"])
    review.answers.add(flagged)
    mine.refresh_from_db()
    html = compact(staff_client.get(form_url(mine)))
    assert "Phiếu được trả lại để bổ sung" in html and "Đề nghị sửa số máy tính." in html
    assert re.search(r'class="indicator flagged[^"]*" id="i-may_tinh"', html)
    assert "Số máy tính không khớp biên bản." in html
    assert "disabled" not in re.search(r'<input type="text" name="v_may_tinh"[^>]*>',
                                       html).group(0)
    assert "disabled" in re.search(r'<input type="text" name="v_can_bo"[^>]*>', html).group(0)
    # a closed answer cannot be changed, even by a crafted request to the service
    with pytest.raises(services.ValidationError):
        services.save_answers(submission=mine, data={"can_bo": {"value": "7"}},
                              actor=people["staff"], expected_version=mine.version)
    data = dict(COMPLETE, may_tinh="110", action="submit")
    response = staff_client.post(form_url(mine), form_data(mine, **data))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Submission.Status.RESUBMITTED
    assert answers_of(mine)["may_tinh"][0] == 110.0 and answers_of(mine)["can_bo"][0] == 100.0


# --- two people, one form ---------------------------------------------------------------------

def test_a_stale_save_is_refused_and_shows_what_changed_meanwhile(client, people, mine):
    # both open the form at version 1
    client.login(username="so-tttt", password=PASSWORD)
    page = compact(client.get(form_url(mine)))
    original = json.loads(re.search(r'name="original" value="(\{.*?\})"', page).group(1))
    services.save_answers(submission=mine, actor=people["colleague"], expected_version=1,
                          data={"may_tinh": {"value": "200", "explanation": "Kiểm kê lại"}})
    response = client.post(form_url(mine), {
        **form_data(mine, may_tinh="150", can_bo="90"), "version": 1,
        "original": json.dumps(original)})
    assert response.status_code == 409
    html = compact(response)
    assert "Người khác đã lưu phiếu trong khi bạn đang sửa" in html
    row = re.search(r"<tr><td><a href=\"#i-may_tinh\">.*?</tr>", html).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[1:] == ["giá trị", "–", "<strong>200</strong>", "150"]
    assert "Kiểm kê lại" in html  # the explanation they changed is listed too
    assert answers_of(mine) == {"may_tinh": (200.0, "", "Kiểm kê lại")}  # nothing overwritten
    # the form keeps the user's values and now carries the stored version
    assert 'name="v_may_tinh" value="150"' in html
    assert re.search(r'name="version" value="2"', html)


def test_autosave_with_a_stale_version_answers_409_and_writes_nothing(client, people, mine):
    client.login(username="so-tttt", password=PASSWORD)
    url = reverse("returns:autosave", args=[mine.pk])
    saved = client.post(url, form_data(mine, may_tinh="10")).json()
    assert saved["version"] == 2 and saved["message"].startswith("Đã tự động lưu lúc")
    response = client.post(url, {**form_data(mine, may_tinh="11"), "version": 1,
                                 "original": json.dumps({"may_tinh": {"value": "",
                                                                      "explanation": ""}})})
    assert response.status_code == 409
    body = response.json()
    assert body["version"] == 2
    assert body["conflict"][0]["code"] == "may_tinh" and body["conflict"][0]["theirs"] == "10"
    assert answers_of(mine)["may_tinh"][0] == 10.0


def test_autosave_reports_parser_messages_by_code(staff_client, mine):
    response = staff_client.post(reverse("returns:autosave", args=[mine.pk]),
                                 form_data(mine, may_tinh="mười"))
    assert response.status_code == 400
    assert response.json()["errors"] == {"may_tinh": "Giá trị 'mười' không phải là số."}


def test_a_closed_period_can_be_started_only_with_a_running_extension(staff_client, period,
                                                                      province):
    Period.objects.filter(pk=period.pk).update(
        status=Period.Status.CLOSED, deadline=timezone.localdate() - datetime.timedelta(days=1))
    staff_client.post(reverse("returns:start", args=[period.code]))
    assert not Submission.objects.filter(period=period).exists()
    assert "Bắt đầu điền" not in compact(staff_client.get(reverse("returns:index")))
    Extension.objects.create(period=period, unit=province["SO-TTTT"],
                             until=timezone.localdate() + datetime.timedelta(days=2))
    assert "Bắt đầu điền" in compact(staff_client.get(reverse("returns:index")))
    response = staff_client.post(reverse("returns:start", args=[period.code]))
    submission = Submission.objects.get(period=period)
    assert response["Location"] == form_url(submission)
    assert 'value="save"' in compact(staff_client.get(form_url(submission)))


def test_relative_rules_are_named_as_not_previewable_alone(staff_client, mine):
    from assessments.models import Indicator

    indicator = Indicator.objects.get(framework=mine.period.framework, code="may_tinh")
    indicator.rule, indicator.params = "minmax", ""
    indicator.save()
    html = compact(staff_client.get(form_url(mine)))
    assert "không thể xem trước khi chỉ có số liệu của một đơn vị" in html
    assert re.search(r'data-points="may_tinh"[^>]*>tính tương đối<', html)
    data = staff_client.post(reverse("returns:preview", args=[mine.pk]),
                             form_data(mine, may_tinh="5")).json()
    assert "may_tinh" in data["relative"]
