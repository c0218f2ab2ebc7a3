from django.conf import settings
from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class BarometreAdminSite(admin.AdminSite):
    """The staff site; with ADMIN_OTP_REQUIRED, staff also need a one-time password."""

    site_header = "Baromètre — Observatoire Data Publica"
    site_title = "Baromètre"
    index_title = "Administration du baromètre"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_OTP_REQUIRED or request.user.is_verified()

    def login(self, request, extra_context=None):
        if settings.ADMIN_OTP_REQUIRED:
            self.login_form = OTPAdminAuthenticationForm
            self.login_template = OTPAdminSite.login_template
        else:
            self.login_form = None
            self.login_template = None
        return super().login(request, extra_context)
