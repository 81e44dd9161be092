"""Sign-in, the second factor, the account page, password change and reset.

Included at the root of ``ict_index/urls.py`` (inside the language prefix), without a
namespace: Django's password views look their pages up by these plain names."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/ma-xac-thuc/", views.otp_verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/login/", views.admin_login, name="admin_login_redirect"),
    path("tai-khoan/", views.account, name="account"),
    path("tai-khoan/xac-thuc-hai-buoc/", views.otp_setup, name="otp_setup"),
    path("tai-khoan/doi-mat-khau/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("tai-khoan/doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("mat-khau/quen/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mat-khau/quen/da-gui/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("mat-khau/dat-lai/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("mat-khau/dat-lai/xong/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
