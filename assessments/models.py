"""The assessment domain: who is assessed, on what framework, in which period, with which answers.

Words follow ../shared/spec/domain.md. Interface strings are written in Vietnamese (the primary
language) and translated to English in locale/en.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+$", _("Chỉ dùng chữ cái, chữ số, dấu '-' và '_'.")
)
node_code_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_.]*$",
    _("Mã bắt đầu bằng chữ cái hoặc '_', sau đó chỉ có chữ cái, chữ số, '_' và '.'."),
)


class Cohort(models.Model):
    """Units ranked against each other (nhóm đơn vị / khối)."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("tên"), max_length=200)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("nhóm đơn vị")
        verbose_name_plural = _("nhóm đơn vị")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An assessed body (đơn vị): a department, a district, a province..."""

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("tên"), max_length=255)
    cohort = models.ForeignKey(
        Cohort, models.PROTECT, related_name="units", verbose_name=_("nhóm đơn vị")
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("đơn vị cấp trên"),
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        ordering = ["cohort__order", "name"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("Đơn vị cấp trên tạo thành vòng lặp.")})
            seen.add(node.pk)
            node = node.parent


class User(AbstractUser):
    """A person signing in. Unit staff are bound to exactly one unit."""

    class Role(models.TextChoices):
        UNIT_STAFF = "unit_staff", _("Cán bộ đơn vị")
        REVIEWER = "reviewer", _("Cán bộ thẩm định")
        ADMIN = "admin", _("Quản trị")

    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices,
                            default=Role.UNIT_STAFF)
    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("đơn vị"),
    )

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="unit_staff") | Q(unit__isnull=False) | Q(is_superuser=True),
                name="unit_staff_has_unit",
            )
        ]

    @property
    def is_reviewer(self) -> bool:
        return self.is_superuser or self.role in {self.Role.REVIEWER, self.Role.ADMIN}

    @property
    def is_portal_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN


# --- Frameworks -------------------------------------------------------------------------------

class Aggregation(models.TextChoices):
    SUM = "sum", _("Cộng điểm (sum)")
    WEIGHTED_MEAN = "weighted_mean", _("Trung bình có trọng số (weighted_mean)")
    GEOMETRIC_MEAN = "geometric_mean", _("Trung bình nhân (geometric_mean)")


class Rule(models.TextChoices):
    DIRECT = "direct", _("Điểm trực tiếp (direct)")
    BOOLEAN = "boolean", _("Có/Không (boolean)")
    RATIO = "ratio", _("Tỷ lệ so với mục tiêu (ratio)")
    BANDS = "bands", _("Theo ngưỡng (bands)")
    CHOICE = "choice", _("Lựa chọn (choice)")
    GOALPOST = "goalpost", _("Chuẩn hoá theo mốc (goalpost)")
    MINMAX = "minmax", _("Chuẩn hoá min-max (minmax)")
    ZSCORE = "zscore", _("Điểm chuẩn z (zscore)")
    NONE = "none", _("Không tính điểm (none)")


class ValueType(models.TextChoices):
    NUMBER = "number", _("Số")
    INTEGER = "integer", _("Số nguyên")
    PERCENT = "percent", _("Tỷ lệ %")
    BOOLEAN = "boolean", _("Có/Không")
    CHOICE = "choice", _("Lựa chọn")
    TEXT = "text", _("Văn bản")


class FrameworkFrozenError(ValidationError):
    pass


class Framework(models.Model):
    """A versioned criteria set (bộ tiêu chí): settings plus a tree of groups and indicators."""

    class RankOn(models.TextChoices):
        ROUNDED = "rounded", _("Điểm đã làm tròn")
        EXACT = "exact", _("Điểm chính xác")

    class Ties(models.TextChoices):
        COMPETITION = "competition", _("Đồng hạng, bỏ hạng kế tiếp (1, 2, 2, 4)")
        DENSE = "dense", _("Đồng hạng, không bỏ hạng (1, 2, 2, 3)")

    class Missing(models.TextChoices):
        ZERO = "zero", _("Tính 0 điểm")
        SKIP = "skip", _("Bỏ qua, chia lại trọng số")
        UNRANKED = "unranked", _("Không xếp hạng nhóm chứa chỉ tiêu thiếu")

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("tên"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    scale = models.FloatField(_("thang điểm tổng"), default=100)
    aggregation = models.CharField(_("cách tổng hợp"), max_length=20,
                                   choices=Aggregation.choices, default=Aggregation.SUM)
    decimals = models.PositiveSmallIntegerField(_("số chữ số thập phân"), default=2)
    rank_on = models.CharField(_("xếp hạng theo"), max_length=10, choices=RankOn.choices,
                               default=RankOn.ROUNDED)
    ties = models.CharField(_("cách tính đồng hạng"), max_length=12, choices=Ties.choices,
                            default=Ties.COMPETITION)
    missing = models.CharField(_("khi thiếu số liệu"), max_length=10, choices=Missing.choices,
                               default=Missing.ZERO)
    copied_from = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="copies",
        verbose_name=_("sao chép từ"),
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "code"]
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        constraints = [
            models.CheckConstraint(condition=Q(scale__gt=0), name="framework_scale_positive"),
            models.CheckConstraint(condition=Q(decimals__lte=6), name="framework_decimals_max_6"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def is_frozen(self) -> bool:
        """A framework used by a published period can no longer be edited."""
        if self.pk is None:
            return False
        return self.periods.filter(
            status__in=[Period.Status.PUBLISHED, Period.Status.APPEAL]
        ).exists() or self.periods.filter(snapshots__published_at__isnull=False).exists()

    def check_editable(self):
        if self.is_frozen:
            raise FrameworkFrozenError(
                _("Bộ tiêu chí %(code)s đã được dùng cho một kỳ đã công bố: không thể sửa. "
                  "Hãy sao chép để làm bộ tiêu chí năm mới.") % {"code": self.code}
            )


class FrozenFrameworkPartMixin:
    """Groups, indicators and bands of a frozen framework refuse to change."""

    def save(self, *args, **kwargs):
        self.framework.check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.framework.check_editable()
        return super().delete(*args, **kwargs)


class CriterionGroup(FrozenFrameworkPartMixin, models.Model):
    """A node of the framework tree (nhóm tiêu chí); groups may nest."""

    class Rescale(models.TextChoices):
        NONE = "", _("Không")
        MINMAX = "minmax", _("Min-max trong nhóm đơn vị")

    framework = models.ForeignKey(Framework, models.CASCADE, related_name="groups",
                                  verbose_name=_("bộ tiêu chí"))
    code = models.CharField(_("mã"), max_length=60, validators=[node_code_validator])
    name = models.CharField(_("tên"), max_length=500)
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True,
                               related_name="children", verbose_name=_("nhóm cha"))
    aggregation = models.CharField(_("cách tổng hợp"), max_length=20,
                                   choices=Aggregation.choices, default=Aggregation.SUM)
    weight = models.FloatField(_("trọng số"), default=1)
    max_points = models.FloatField(_("điểm tối đa"), null=True, blank=True)
    rescale = models.CharField(_("chuẩn hoá lại"), max_length=10, choices=Rescale.choices,
                               default=Rescale.NONE, blank=True)
    order = models.IntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        verbose_name = _("nhóm tiêu chí")
        verbose_name_plural = _("nhóm tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="group_code_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="group_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Indicator(FrozenFrameworkPartMixin, models.Model):
    """A leaf of the framework tree (tiêu chí / chỉ tiêu) with its scoring rule."""

    framework = models.ForeignKey(Framework, models.CASCADE, related_name="indicators",
                                  verbose_name=_("bộ tiêu chí"))
    group = models.ForeignKey(CriterionGroup, models.CASCADE, related_name="indicators",
                              verbose_name=_("nhóm tiêu chí"))
    code = models.CharField(_("mã"), max_length=60, validators=[node_code_validator])
    name = models.CharField(_("tên"), max_length=500)
    value_type = models.CharField(_("kiểu giá trị"), max_length=10, choices=ValueType.choices,
                                  default=ValueType.NUMBER)
    unit_of_measure = models.CharField(_("đơn vị tính"), max_length=60, blank=True)
    rule = models.CharField(_("quy tắc tính điểm"), max_length=10, choices=Rule.choices,
                            default=Rule.DIRECT)
    params = models.CharField(_("tham số"), max_length=500, blank=True,
                              help_text=_("Các cặp khoá=giá trị cách nhau bởi ';', "
                                          "ví dụ target=100 hoặc 0=0;50=2;80=4."))
    max_points = models.FloatField(_("điểm tối đa"), default=1)
    weight = models.FloatField(_("trọng số"), default=1)
    inverse = models.BooleanField(_("càng thấp càng tốt"), default=False)
    applies_to = models.CharField(_("áp dụng cho nhóm đơn vị"), max_length=500, blank=True,
                                  help_text=_("Mã nhóm đơn vị, cách nhau bởi dấu phẩy; "
                                              "để trống nếu áp dụng cho tất cả."))
    required = models.BooleanField(_("bắt buộc"), default=True)
    evidence_required = models.BooleanField(_("bắt buộc tài liệu kiểm chứng"), default=False)
    min_value = models.FloatField(_("giá trị nhỏ nhất"), null=True, blank=True)
    max_value = models.FloatField(_("giá trị lớn nhất"), null=True, blank=True)
    formula = models.CharField(_("công thức"), max_length=500, blank=True)
    guidance = models.TextField(_("hướng dẫn"), blank=True)
    order = models.IntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="indicator_weight_positive"),
            models.CheckConstraint(condition=Q(max_points__gt=0),
                                   name="indicator_max_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    @property
    def applies_to_codes(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.applies_to.split(",") if c.strip())

    @property
    def is_derived(self) -> bool:
        return bool(self.formula.strip())

    def applies_to_cohort(self, cohort_code: str) -> bool:
        codes = self.applies_to_codes
        return not codes or cohort_code in codes


class Band(FrozenFrameworkPartMixin, models.Model):
    """A label by total score (xếp loại): Tốt ≥ 80, Khá ≥ 65, ..."""

    framework = models.ForeignKey(Framework, models.CASCADE, related_name="bands",
                                  verbose_name=_("bộ tiêu chí"))
    label = models.CharField(_("xếp loại"), max_length=60)
    min_score = models.FloatField(_("điểm tối thiểu"))
    color = models.CharField(_("màu"), max_length=7, blank=True,
                             help_text=_("Mã màu, ví dụ #2e7d32"))

    class Meta:
        ordering = ["framework", "-min_score"]
        verbose_name = _("xếp loại")
        verbose_name_plural = _("xếp loại")
        constraints = [
            models.UniqueConstraint(fields=["framework", "label"], name="band_label_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ≥ {self.min_score:g}"


# --- Periods and submissions ----------------------------------------------------------------

class Period(models.Model):
    """One assessment round (kỳ đánh giá), usually a year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        OPEN = "open", _("Đang nhận báo cáo")
        CLOSED = "closed", _("Đã hết hạn, đang thẩm định")
        PUBLISHED = "published", _("Đã công bố")
        APPEAL = "appeal", _("Đang phúc khảo")

    code = models.CharField(_("mã"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("tên"), max_length=255)
    framework = models.ForeignKey(Framework, models.PROTECT, related_name="periods",
                                  verbose_name=_("bộ tiêu chí"))
    cohorts = models.ManyToManyField(Cohort, related_name="periods",
                                     verbose_name=_("nhóm đơn vị tham gia"))
    opens_on = models.DateField(_("ngày mở"), null=True, blank=True)
    deadline = models.DateField(_("hạn nộp"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    previous = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                                 related_name="next_periods",
                                 verbose_name=_("kỳ so sánh"))
    appeal_until = models.DateField(
        _("hạn phúc khảo"), null=True, blank=True,
        help_text=_("Sau khi công bố, đơn vị được đề nghị phúc khảo đến hết ngày này."),
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-code"]
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")

    def __str__(self) -> str:
        return self.name or self.code

    def default_previous(self, cohorts=None) -> Period | None:
        """The latest earlier period (by opening date, then code) on any framework that
        shares a cohort with this one: ranks are compared by unit code, so a period of
        other units is no comparison. ``cohorts`` defaults to the period's own."""
        if cohorts is None:
            cohorts = list(self.cohorts.all()) if self.pk else []
        earlier = Period.objects.exclude(pk=self.pk).filter(cohorts__in=cohorts).distinct()
        if self.opens_on:
            earlier = earlier.filter(opens_on__lt=self.opens_on).order_by("-opens_on", "-code")
        else:
            earlier = earlier.filter(code__lt=self.code).order_by("-code")
        return earlier.first()

    def deadline_for(self, unit: Unit):
        extension = self.extensions.filter(unit=unit).first()
        if extension and (self.deadline is None or extension.until > self.deadline):
            return extension.until
        return self.deadline


class Extension(models.Model):
    """A per-unit extension of a period's deadline (gia hạn)."""

    period = models.ForeignKey(Period, models.CASCADE, related_name="extensions",
                               verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="extensions",
                             verbose_name=_("đơn vị"))
    until = models.DateField(_("gia hạn đến"))
    reason = models.CharField(_("lý do"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("gia hạn")
        verbose_name_plural = _("gia hạn")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="extension_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.until}"


class Submission(models.Model):
    """One unit's return (phiếu khảo sát / báo cáo) for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        SUBMITTED = "submitted", _("Đã nộp")
        RETURNED = "returned", _("Trả lại để bổ sung")
        RESUBMITTED = "resubmitted", _("Đã nộp lại")
        APPROVED = "approved", _("Đã duyệt")

    period = models.ForeignKey(Period, models.CASCADE, related_name="submissions",
                               verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="submissions",
                             verbose_name=_("đơn vị"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    version = models.PositiveIntegerField(_("phiên bản"), default=1,
                                          help_text=_("Tăng mỗi lần lưu; chống ghi đè."))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    approved_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)

    class Meta:
        ordering = ["period", "unit__name"]
        verbose_name = _("phiếu báo cáo")
        verbose_name_plural = _("phiếu báo cáo")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="submission_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} – {self.period}"


class Answer(models.Model):
    """One answer of a submission to one indicator, with the reviewer's verdict."""

    class Verdict(models.TextChoices):
        PENDING = "", _("Chưa thẩm định")
        ACCEPTED = "accepted", _("Chấp nhận")
        ADJUSTED = "adjusted", _("Điều chỉnh")
        NEEDS_INFO = "needs_info", _("Cần bổ sung")

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="answers",
                                   verbose_name=_("phiếu báo cáo"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="answers",
                                  verbose_name=_("tiêu chí"))
    # number, integer, percent (0–100) and boolean (1/0) go in value_number;
    # choice (an option code) and text go in value_text.
    value_number = models.FloatField(_("giá trị số"), null=True, blank=True)
    value_text = models.CharField(_("giá trị chữ"), max_length=2000, blank=True)
    explanation = models.TextField(_("giải trình"), blank=True)
    verdict = models.CharField(_("kết quả thẩm định"), max_length=12, choices=Verdict.choices,
                               default=Verdict.PENDING, blank=True)
    adjusted_number = models.FloatField(_("giá trị điều chỉnh (số)"), null=True, blank=True)
    adjusted_text = models.CharField(_("giá trị điều chỉnh (chữ)"), max_length=2000, blank=True)
    review_comment = models.TextField(_("ý kiến thẩm định"), blank=True)
    open_for_correction = models.BooleanField(
        _("mở để đơn vị sửa"), default=False,
        help_text=_("Khi phiếu bị trả lại, chỉ các câu được nêu tên mới mở để đơn vị sửa."),
    )
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("người thẩm định"))
    reviewed_at = models.DateTimeField(_("thẩm định lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["submission", "indicator__order", "indicator__code"]
        verbose_name = _("câu trả lời")
        verbose_name_plural = _("câu trả lời")
        constraints = [
            models.UniqueConstraint(fields=["submission", "indicator"], name="answer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} = {self.display_value}"

    @staticmethod
    def raw_value(number, text, value_type: str):
        if value_type in (ValueType.CHOICE, ValueType.TEXT):
            return text or None
        if number is None:
            return None
        if value_type == ValueType.BOOLEAN:
            return bool(number)
        return number

    @property
    def value(self):
        """The value as the unit gave it (None when missing)."""
        return self.raw_value(self.value_number, self.value_text, self.indicator.value_type)

    @property
    def scored_value(self):
        """The reviewer's adjusted value where there is one, else the unit's."""
        if self.verdict == self.Verdict.ADJUSTED:
            return self.raw_value(self.adjusted_number, self.adjusted_text,
                                  self.indicator.value_type)
        return self.value

    @property
    def display_value(self) -> str:
        value = self.value
        if value is None:
            return "–"
        if isinstance(value, bool):
            return str(_("Có") if value else _("Không"))
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


def evidence_upload_to(instance: EvidenceBlob, filename: str) -> str:
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}"


class EvidenceBlob(models.Model):
    """The bytes of an evidence file, stored once per content hash."""

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tệp lưu trữ")
        verbose_name_plural = _("tệp lưu trữ")

    def __str__(self) -> str:
        return self.sha256[:12]


class EvidenceFile(models.Model):
    """A file backing an answer (tài liệu kiểm chứng), with its citation."""

    answer = models.ForeignKey(Answer, models.CASCADE, related_name="evidence",
                               verbose_name=_("câu trả lời"))
    blob = models.ForeignKey(EvidenceBlob, models.PROTECT, related_name="uses")
    original_name = models.CharField(_("tên tệp"), max_length=255)
    document_number = models.CharField(_("số văn bản"), max_length=100, blank=True)
    document_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("người tải lên"))
    uploaded_at = models.DateTimeField(_("tải lên lúc"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")

    def __str__(self) -> str:
        return self.original_name


class SubmissionTransition(models.Model):
    """Every change of a submission's status, with who, when and the message."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="transitions",
                                   verbose_name=_("phiếu báo cáo"))
    from_status = models.CharField(_("từ trạng thái"), max_length=12, blank=True,
                                   choices=Submission.Status.choices)
    to_status = models.CharField(_("sang trạng thái"), max_length=12,
                                 choices=Submission.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"))
    at = models.DateTimeField(_("lúc"), default=timezone.now)
    message = models.TextField(_("nội dung"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("lịch sử trạng thái")
        verbose_name_plural = _("lịch sử trạng thái")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ImportRecord(models.Model):
    """A workbook imported through a command or the admin: who, when, which file, counts."""

    kind = models.CharField(_("loại"), max_length=20)
    file_name = models.CharField(_("tên tệp"), max_length=255)
    sha256 = models.CharField(max_length=64)
    period = models.ForeignKey(Period, models.SET_NULL, null=True, blank=True,
                               related_name="imports", verbose_name=_("kỳ đánh giá"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"))
    at = models.DateTimeField(_("lúc"), default=timezone.now)
    summary = models.JSONField(_("tóm tắt"), default=dict)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("lần nhập dữ liệu")
        verbose_name_plural = _("lần nhập dữ liệu")

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"


class AnswerChange(models.Model):
    """One change of an answer: who, when, which field, old → new (the answer's history)."""

    class Field(models.TextChoices):
        VALUE = "value", _("giá trị")
        EXPLANATION = "explanation", _("giải trình")
        ADJUSTED = "adjusted", _("giá trị điều chỉnh")
        VERDICT = "verdict", _("kết quả thẩm định")
        EVIDENCE = "evidence", _("tài liệu kiểm chứng")

    class Source(models.TextChoices):
        FORM = "form", _("biểu mẫu")
        WORKBOOK = "workbook", _("tệp Excel")
        REVIEW = "review", _("thẩm định")
        APPEAL = "appeal", _("phúc khảo")

    answer = models.ForeignKey(Answer, models.CASCADE, related_name="changes",
                               verbose_name=_("câu trả lời"))
    field = models.CharField(_("trường"), max_length=12, choices=Field.choices)
    old = models.CharField(_("giá trị cũ"), max_length=2000, blank=True)
    new = models.CharField(_("giá trị mới"), max_length=2000, blank=True)
    source = models.CharField(_("nguồn"), max_length=10, choices=Source.choices,
                              default=Source.FORM)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("người thay đổi"))
    at = models.DateTimeField(_("lúc"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("thay đổi câu trả lời")
        verbose_name_plural = _("lịch sử thay đổi câu trả lời")

    def __str__(self) -> str:
        return f"{self.answer_id}.{self.field}: {self.old} → {self.new}"


class Review(models.Model):
    """A reviewer's decision on a submission: returned (naming the answers to fix), approved
    or reopened, with the message meant for the unit."""

    class Outcome(models.TextChoices):
        RETURNED = "returned", _("Trả lại để bổ sung")
        APPROVED = "approved", _("Duyệt")
        REOPENED = "reopened", _("Mở lại")

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="reviews",
                                   verbose_name=_("phiếu báo cáo"))
    outcome = models.CharField(_("kết quả"), max_length=10, choices=Outcome.choices)
    message = models.TextField(_("nội dung gửi đơn vị"), blank=True)
    answers = models.ManyToManyField(Answer, blank=True, related_name="reviews",
                                     verbose_name=_("các câu cần sửa"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+",
                                 verbose_name=_("người thẩm định"))
    at = models.DateTimeField(_("lúc"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        get_latest_by = "at"
        verbose_name = _("lượt thẩm định")
        verbose_name_plural = _("lượt thẩm định")

    def __str__(self) -> str:
        return f"{self.submission} – {self.get_outcome_display()}"


class ReviewFlag(models.Model):
    """A data-quality flag computed before review; the reviewer marks it checked."""

    class Kind(models.TextChoices):
        FAR_FROM_LAST_YEAR = "last_year", _("Khác xa năm trước")
        FAR_FROM_COHORT = "cohort", _("Khác xa các đơn vị cùng nhóm")
        RATIO_ABOVE_100 = "ratio_100", _("Tỷ lệ trên 100 %")
        EVIDENCE_MISSING = "evidence", _("Thiếu tài liệu kiểm chứng bắt buộc")

    answer = models.ForeignKey(Answer, models.CASCADE, related_name="flags",
                               verbose_name=_("câu trả lời"))
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    message = models.CharField(_("mô tả"), max_length=500)
    computed_at = models.DateTimeField(_("tính lúc"), default=timezone.now)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("người kiểm tra"))
    checked_at = models.DateTimeField(_("kiểm tra lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("cảnh báo số liệu")
        verbose_name_plural = _("cảnh báo số liệu")
        constraints = [
            models.UniqueConstraint(fields=["answer", "kind"], name="review_flag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.get_kind_display()}"


class Appeal(models.Model):
    """A unit's request for re-examination (phúc khảo) after publication."""

    class Status(models.TextChoices):
        FILED = "filed", _("Đã gửi")
        DECIDED = "decided", _("Đã giải quyết")

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="appeals",
                                   verbose_name=_("phiếu báo cáo"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices,
                              default=Status.FILED)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("người gửi"))
    filed_at = models.DateTimeField(_("gửi lúc"), default=timezone.now)
    message = models.TextField(_("nội dung"), blank=True)
    decided_at = models.DateTimeField(_("giải quyết lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("đề nghị phúc khảo")
        verbose_name_plural = _("đề nghị phúc khảo")

    def __str__(self) -> str:
        return f"{self.submission} – {self.get_status_display()}"


class AppealItem(models.Model):
    """One answer named in an appeal, with the reviewer's decision and reason."""

    class Decision(models.TextChoices):
        PENDING = "", _("Chưa quyết định")
        ACCEPTED = "accepted", _("Chấp nhận")
        REJECTED = "rejected", _("Không chấp nhận")

    appeal = models.ForeignKey(Appeal, models.CASCADE, related_name="items",
                               verbose_name=_("đề nghị phúc khảo"))
    answer = models.ForeignKey(Answer, models.CASCADE, related_name="appeal_items",
                               verbose_name=_("câu trả lời"))
    requested_number = models.FloatField(_("giá trị đề nghị (số)"), null=True, blank=True)
    requested_text = models.CharField(_("giá trị đề nghị (chữ)"), max_length=2000, blank=True)
    reason = models.TextField(_("lý do"))
    decision = models.CharField(_("quyết định"), max_length=10, choices=Decision.choices,
                                default=Decision.PENDING, blank=True)
    decision_reason = models.TextField(_("lý do quyết định"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("người quyết định"))
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)
    old_value = models.CharField(_("giá trị trước phúc khảo"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("nội dung phúc khảo")
        verbose_name_plural = _("nội dung phúc khảo")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "answer"], name="appeal_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}/{self.answer_id}"
