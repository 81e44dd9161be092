"""publish_snapshot: one public snapshot per period, corrections with a note, immutability."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assessments.models import Period
from rankings.models import RankingSnapshot
from rankings.selectors import latest_snapshot, public_snapshot, published_periods
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = pytest.mark.django_db


def test_publishing_makes_the_snapshot_the_single_public_one(period_2017, django_user_model):
    reviewer = django_user_model.objects.create_user("thamdinh", role="reviewer")
    preview = compute_snapshot(period=period_2017)
    assert public_snapshot(period_2017) is None
    assert latest_snapshot(period_2017) == preview

    published = publish_snapshot(snapshot=preview, actor=reviewer)

    assert published.is_public and published.published_at is not None
    assert published.published_by == reviewer
    assert public_snapshot(period_2017) == published
    assert RankingSnapshot.objects.filter(period=period_2017, is_public=True).count() == 1
    period_2017.refresh_from_db()
    assert period_2017.status == Period.Status.PUBLISHED
    assert [p.period.code for p in published_periods()] == ["2017"]


def test_a_correction_needs_a_note_and_replaces_the_public_snapshot(period_2017):
    first = publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    first_published_at = first.published_at
    correction = compute_snapshot(period=period_2017)

    with pytest.raises(ValidationError, match="ghi chú"):
        publish_snapshot(snapshot=correction)
    correction.refresh_from_db()
    assert correction.published_at is None
    assert public_snapshot(period_2017) == first

    publish_snapshot(snapshot=correction, note="Đính chính điểm của Sở Xây dựng.")
    first.refresh_from_db()
    correction.refresh_from_db()
    assert correction.is_public and correction.note == "Đính chính điểm của Sở Xây dựng."
    assert not first.is_public
    assert first.published_at == first_published_at  # still on record as published
    assert RankingSnapshot.objects.filter(period=period_2017, is_public=True).count() == 1


def test_a_note_given_when_computing_serves_for_the_correction(period_2017):
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    correction = compute_snapshot(period=period_2017, note="Phúc khảo: Sở Tài chính")
    publish_snapshot(snapshot=correction)
    assert public_snapshot(period_2017).note == "Phúc khảo: Sở Tài chính"


def test_a_published_snapshot_cannot_be_published_again(period_2017):
    snapshot = publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    with pytest.raises(ValidationError, match="đã được công bố"):
        publish_snapshot(snapshot=snapshot, note="lại")


def test_an_older_snapshot_cannot_replace_a_newer_publication(period_2017):
    older = compute_snapshot(period=period_2017)
    newer = compute_snapshot(period=period_2017)
    publish_snapshot(snapshot=newer)
    with pytest.raises(ValidationError, match="mới hơn"):
        publish_snapshot(snapshot=older, note="quay lại bản cũ")
    assert public_snapshot(period_2017) == newer


def test_publishing_freezes_the_framework(period_2017):
    assert not period_2017.framework.is_frozen
    publish_snapshot(snapshot=compute_snapshot(period=period_2017))
    assert period_2017.framework.is_frozen
