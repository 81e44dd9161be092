"""URLs of the unit staff's returns (issue 3)."""

from django.urls import path

from .views import returns

app_name = "returns"

urlpatterns = [
    path("", returns.my_returns, name="index"),
    path("ky/<str:code>/bat-dau/", returns.start, name="start"),
    path("phieu/<int:pk>/", returns.return_form, name="form"),
    path("phieu/<int:pk>/diem/", returns.preview, name="preview"),
    path("phieu/<int:pk>/luu-tu-dong/", returns.autosave, name="autosave"),
    path("phieu/<int:pk>/lich-su/", returns.history, name="history"),
    path("phieu/<int:pk>/mau-excel/", returns.workbook_template, name="workbook_template"),
    path("phieu/<int:pk>/nhap-excel/", returns.workbook_upload, name="workbook_upload"),
    path("tai-lieu/<int:pk>/", returns.evidence_download, name="evidence"),
]
