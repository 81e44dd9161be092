"""URLs of the ICT office's review (issue 4), under /tham-dinh/."""

from django.urls import path, re_path

from rankings import views_preview

from .views import review

app_name = "review"

urlpatterns = [
    path("", review.index, name="index"),
    path("ky/<slug:code>/", review.board, name="board"),
    re_path(r"^ky/(?P<code>[-\w]+)/tien-do\.(?P<ext>csv|xlsx)$", review.board_export,
            name="board_export"),
    path("ky/<slug:code>/canh-bao/", review.flags_compute, name="flags_compute"),
    path("ky/<slug:code>/duyet-hang-loat/", review.bulk_approve, name="bulk_approve"),
    path("ky/<slug:code>/xem-truoc/", views_preview.preview, name="preview"),
    path("ky/<slug:code>/tinh/", views_preview.compute, name="compute"),
    path("ky/<slug:code>/cong-bo/<int:number>/", views_preview.publish, name="publish"),
    path("phieu/<int:pk>/", review.submission, name="submission"),
    path("phieu/<int:pk>/cau/<int:answer_pk>/", review.answer_review, name="answer_review"),
    path("phieu/<int:pk>/tra-lai/", review.submission_return, name="return"),
    path("phieu/<int:pk>/duyet/", review.submission_approve, name="approve"),
    path("phieu/<int:pk>/mo-lai/", review.submission_reopen, name="reopen"),
    path("phieu/<int:pk>/lich-su/", review.history, name="history"),
    path("phieu/<int:pk>/phuc-khao/", review.appeal_file, name="appeal_file"),
    path("canh-bao/<int:pk>/da-kiem-tra/", review.flag_check, name="flag_check"),
    path("phuc-khao/<int:pk>/", review.appeal_detail, name="appeal"),
    path("phuc-khao/noi-dung/<int:pk>/", review.appeal_decide, name="appeal_decide"),
    path("cua-don-vi/", review.my_submissions, name="mine"),
]
