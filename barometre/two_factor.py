"""Staff two-factor authentication: a one-field login step and self-service enrolment.

Built on django-otp's devices (TOTP apps, static backup codes). A staff member without any
device signs in with their password alone, then must set up an authenticator app before
reaching the admin; once they have one, every sign-in asks for a code.
"""

import base64
import re

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_DEVICE_NAME = "Application d'authentification (en attente)"
DEVICE_NAME = "Application d'authentification"


def clean_code(value):
    """Codes as people type them: « 123 456 » or « 123456 »."""
    return re.sub(r"[\s-]", "", value or "")


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        attrs = {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        super().__init__(max_length=20, widget=forms.TextInput(attrs=attrs), **kwargs)


class TwoFactorLoginForm(AdminAuthenticationForm):
    """Username, password and, for staff who have set up an app, one code field."""

    otp_token = CodeField(
        label="Code de vérification",
        required=False,
        help_text="Les 6 chiffres affichés par votre application d'authentification, ou l'un "
        "de vos codes de secours. À votre toute première connexion, laissez vide : vous "
        "configurerez ensuite votre application.",
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user):
            return cleaned
        code = clean_code(cleaned.get("otp_token"))
        if not code:
            raise ValidationError(
                "Saisissez le code de vérification de votre application d'authentification.",
                code="otp_required",
            )
        device = match_token(user, code)
        if device is None:
            raise ValidationError(
                "Ce code de vérification n'est pas valide ou a expiré : saisissez le code "
                "affiché en ce moment par votre application.",
                code="otp_invalid",
            )
        user.otp_device = device  # django-otp records it in the session at login
        return cleaned


class EnrolForm(forms.Form):
    otp_token = CodeField(
        label="Code affiché par l'application",
        help_text="Les 6 chiffres affichés après avoir ajouté le compte.",
        error_messages={"required": "Saisissez le code affiché par votre application."},
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        code = clean_code(self.cleaned_data["otp_token"])
        allowed, _ = self.device.verify_is_allowed()
        if not allowed:  # django-otp slows down guessing after each wrong code
            raise ValidationError(
                "Trop d'essais : patientez quelques secondes, puis saisissez le nouveau code.",
                code="otp_throttled",
            )
        if not self.device.verify_token(code):
            raise ValidationError(
                "Ce code ne correspond pas : vérifiez que l'heure de votre téléphone est à "
                "jour et saisissez le code affiché en ce moment.",
                code="otp_invalid",
            )
        return code


def qr_code_data_url(text):
    """A QR code as an inline SVG image (the CSP allows data: images)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def grouped_secret(device):
    """The secret in base32, by groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def may_enrol(user):
    """First enrolment right after the password; another device only once verified."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_verified() or not user_has_device(user)


@never_cache
def enrol(request, admin_site):
    """Set up an authenticator app: scan the QR code, type the code it shows."""
    user = request.user
    if not user.is_authenticated or not may_enrol(user):
        login_url = reverse("admin:login", current_app=admin_site.name)
        return redirect(f"{login_url}?next={request.path}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    form = EnrolForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed, device.name = True, DEVICE_NAME
        device.save(update_fields=["confirmed", "name"])
        otp_login(request, device)
        return redirect("admin:index")
    context = {
        **admin_site.each_context(request),
        "title": "Configurer votre application d'authentification",
        "form": form,
        "qr_code": qr_code_data_url(device.config_url),
        "secret": grouped_secret(device),
        "digits": device.digits,
    }
    status = 400 if form.errors else 200
    return TemplateResponse(request, "admin/two_factor_enrol.html", context, status=status)
