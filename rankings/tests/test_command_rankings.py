"""compute_rankings and export_rankings (cli.md): output, exit codes, nothing written on error."""

from __future__ import annotations

import csv
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from rankings.models import RankingSnapshot
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def exit_code(name: str, *args) -> int:
    """Run a command as manage.py does and return its exit status.

    (``run_from_argv`` closes the database connections when it ends: not the test's.)
    """
    command = load_command_class("rankings", name)
    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            command.run_from_argv(["manage.py", name, *args])
    except SystemExit as exc:
        return exc.code
    return 0


def test_compute_rankings_prints_the_snapshot_number_and_units_ranked_per_cohort(period_2017):
    output = run("compute_rankings", "--period", "2017")
    assert "lần 1" in output
    assert "Sở, Ban, Ngành: 3 đơn vị được xếp hạng, 2 chưa đánh giá" in output
    assert "Huyện, thành phố: 2 đơn vị được xếp hạng" in output
    assert "Chưa công bố" in output
    snapshot = RankingSnapshot.objects.get()
    assert snapshot.number == 1 and not snapshot.is_public


def test_compute_rankings_publish_publishes(period_2017):
    output = run("compute_rankings", "--period", "2017", "--publish")
    assert "Đã công bố lần tính 1" in output
    assert RankingSnapshot.objects.get().is_public


def test_compute_rankings_exits_non_zero_on_an_unknown_period(period_2017, capsys):
    assert exit_code("compute_rankings", "--period", "1999") == 1
    assert "Không có kỳ đánh giá mã 1999" in capsys.readouterr().err
    assert not RankingSnapshot.objects.exists()


def test_a_failed_publication_keeps_no_computed_snapshot(period_2017, capsys):
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    # a second publication needs a note: the whole command fails and writes nothing
    assert exit_code("compute_rankings", "--period", "2017", "--publish") == 1
    assert "ghi chú" in capsys.readouterr().err
    assert RankingSnapshot.objects.count() == 1

    output = run("compute_rankings", "--period", "2017", "--publish", "--note", "Đính chính")
    assert "Đã công bố lần tính 2" in output
    assert RankingSnapshot.objects.get(is_public=True).note == "Đính chính"


def test_compute_rankings_fails_without_approved_submissions(build, cohorts):
    build.period("2018", build.standard_framework("F-2018"), cohorts)
    with pytest.raises(CommandError, match="chưa có phiếu báo cáo nào được duyệt"):
        call_command("compute_rankings", "--period", "2018")
    assert not RankingSnapshot.objects.exists()


def test_export_rankings_writes_the_published_results(period_2017, tmp_path):
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    compute_snapshot(period=period_2017)  # a later preview is not exported by default
    target = tmp_path / "ranking-2017.csv"
    output = run("export_rankings", "--period", "2017", "--output", str(target))
    assert "lần tính 1" in output and str(target) in output
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0][:4] == ["cohort", "unit_code", "unit_name", "score"]
    assert len(rows) == 1 + 7


def test_export_rankings_refuses_an_unpublished_period_unless_preview(period_2017, tmp_path,
                                                                      capsys):
    target = tmp_path / "r.json"
    assert exit_code("export_rankings", "--period", "2017", "--output", str(target)) == 1
    assert "chưa công bố" in capsys.readouterr().err
    assert not target.exists()

    assert exit_code("export_rankings", "--period", "2017", "--output", str(target),
                     "--preview") == 1
    assert "chưa có kết quả nào được tính" in capsys.readouterr().err

    compute_snapshot(period=period_2017)
    output = run("export_rankings", "--period", "2017", "--output", str(target), "--preview")
    assert "bản xem trước" in output
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 7


def test_export_rankings_refuses_an_unknown_format_or_folder(period_2017, tmp_path, capsys):
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    assert exit_code("export_rankings", "--period", "2017",
                     "--output", str(tmp_path / "r.pdf")) == 1
    assert ".csv, .xlsx" in capsys.readouterr().err
    assert exit_code("export_rankings", "--period", "2017",
                     "--output", str(tmp_path / "no" / "r.xlsx")) == 1
    assert "không tồn tại" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
