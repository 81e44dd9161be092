"""Stored results of the scoring engine: one immutable snapshot per computation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Cohort, CriterionGroup, Indicator, Period, Unit


class RankingSnapshot(models.Model):
    """The results of one computation for a period (preview until published).

    A published snapshot is never recomputed in place: a correction is a new snapshot that
    supersedes it, with a note saying why.
    """

    period = models.ForeignKey(Period, models.CASCADE, related_name="snapshots",
                               verbose_name=_("kỳ đánh giá"))
    number = models.PositiveIntegerField(_("lần tính"))
    framework_code = models.CharField(_("bộ tiêu chí"), max_length=40)
    inputs_digest = models.CharField(_("mã băm dữ liệu đầu vào"), max_length=64)
    computed_at = models.DateTimeField(_("tính lúc"), default=timezone.now)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("người tính"))
    published_at = models.DateTimeField(_("công bố lúc"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("người công bố"))
    is_public = models.BooleanField(
        _("đang công khai"), default=False,
        help_text=_("Bản công bố đang hiển thị công khai của kỳ (chỉ một bản)."),
    )
    note = models.TextField(_("ghi chú"), blank=True)
    units_count = models.PositiveIntegerField(_("số đơn vị được xếp hạng"), default=0)

    class Meta:
        ordering = ["period", "-number"]
        get_latest_by = "number"
        verbose_name = _("kết quả xếp hạng")
        verbose_name_plural = _("kết quả xếp hạng")
        constraints = [
            models.UniqueConstraint(fields=["period", "number"], name="snapshot_number_unique"),
            models.UniqueConstraint(fields=["period"], condition=Q(is_public=True),
                                    name="one_public_snapshot_per_period"),
            models.CheckConstraint(condition=Q(is_public=False) | Q(published_at__isnull=False),
                                   name="public_snapshot_is_published"),
        ]

    def __str__(self) -> str:
        return f"{self.period.code} #{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class UnitResult(models.Model):
    """A unit's total, band and rank in a snapshot (empty for units not assessed)."""

    snapshot = models.ForeignKey(RankingSnapshot, models.CASCADE, related_name="unit_results")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="results",
                             verbose_name=_("đơn vị"))
    cohort = models.ForeignKey(Cohort, models.PROTECT, related_name="+",
                               verbose_name=_("nhóm đơn vị"))
    assessed = models.BooleanField(_("được đánh giá"), default=True)
    score = models.FloatField(_("điểm"), null=True, blank=True)
    score_exact = models.FloatField(_("điểm chính xác"), null=True, blank=True)
    max_score = models.FloatField(_("điểm tối đa"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("hạng"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("hạng kỳ trước"), null=True, blank=True)
    rank_change = models.IntegerField(_("tăng/giảm bậc"), null=True, blank=True)
    band = models.CharField(_("xếp loại"), max_length=60, blank=True)

    class Meta:
        ordering = ["snapshot", "cohort__order", "rank", "unit__name"]
        verbose_name = _("kết quả đơn vị")
        verbose_name_plural = _("kết quả đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit"], name="unit_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.score} (#{self.rank})"


class GroupResult(models.Model):
    """A unit's score and rank on one criterion group in a snapshot."""

    snapshot = models.ForeignKey(RankingSnapshot, models.CASCADE, related_name="group_results")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+")
    group = models.ForeignKey(CriterionGroup, models.PROTECT, related_name="results")
    fraction = models.FloatField(null=True, blank=True)
    score = models.FloatField(_("điểm"), null=True, blank=True)
    score_exact = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(_("điểm tối đa"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("hạng"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("hạng kỳ trước"), null=True, blank=True)
    rank_change = models.IntegerField(_("tăng/giảm bậc"), null=True, blank=True)

    class Meta:
        verbose_name = _("kết quả theo nhóm tiêu chí")
        verbose_name_plural = _("kết quả theo nhóm tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit", "group"],
                                    name="group_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.group_id}: {self.score} (#{self.rank})"


class IndicatorResult(models.Model):
    """The scored value and the points of one indicator for one unit in a snapshot."""

    snapshot = models.ForeignKey(RankingSnapshot, models.CASCADE,
                                 related_name="indicator_results")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="results")
    value_number = models.FloatField(null=True, blank=True)
    value_text = models.CharField(max_length=2000, blank=True)
    fraction = models.FloatField(null=True, blank=True)
    points = models.FloatField(_("điểm"), null=True, blank=True)
    max_points = models.FloatField(_("điểm tối đa"), null=True, blank=True)

    class Meta:
        verbose_name = _("kết quả theo tiêu chí")
        verbose_name_plural = _("kết quả theo tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit", "indicator"],
                                    name="indicator_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.indicator_id}: {self.points}"


class Scenario(models.Model):
    """A saved what-if: changed weights or aggregations over a period's official framework.

    The official snapshot is never touched; a scenario is recomputed on demand.
    ``changes`` holds ``{"groups": {code: {"weight": w, "aggregation": a}},
    "indicators": {code: {"weight": w}}, "root": {"aggregation": a}}``.
    """

    period = models.ForeignKey(Period, models.CASCADE, related_name="scenarios",
                               verbose_name=_("kỳ đánh giá"))
    name = models.CharField(_("tên kịch bản"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    changes = models.JSONField(_("thay đổi"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("người tạo"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["period", "name"]
        verbose_name = _("kịch bản giả định")
        verbose_name_plural = _("kịch bản giả định")
        constraints = [
            models.UniqueConstraint(fields=["period", "name"], name="scenario_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period.code}: {self.name}"


class IndicatorCrosswalk(models.Model):
    """Maps an indicator of an earlier framework onto one of a later framework, so that
    last year's data can be scored on this year's framework (a comparable series)."""

    source = models.ForeignKey(Indicator, models.CASCADE, related_name="crosswalk_targets",
                               verbose_name=_("tiêu chí năm trước"))
    target = models.ForeignKey(Indicator, models.CASCADE, related_name="crosswalk_sources",
                               verbose_name=_("tiêu chí năm nay"))
    factor = models.FloatField(_("hệ số quy đổi"), default=1.0)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("đối chiếu tiêu chí")
        verbose_name_plural = _("đối chiếu tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="crosswalk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"
