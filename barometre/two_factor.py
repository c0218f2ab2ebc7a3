"""Staff two-factor authentication: a one-field login step and enrolment by a one-time link.

Built on django-otp's devices (TOTP apps, static backup codes). A staff member without any
device signs in with their password alone, then must set up an authenticator app before
reaching the admin; once they have one, every sign-in asks for a code. Setting up the first
app also needs the enrolment link a superuser issued to them (barometre.models.EnrolmentLink):
whoever steals a password of an account not yet enrolled cannot enrol their own app.
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

from barometre.models import EnrolmentLink

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


ENROLMENT_LINK = "two_factor_enrolment_link"  # the session key of the link opened


def enrolment_link_in(request):
    """The usable enrolment link this browser opened for the signed-in user, or None."""
    pk = request.session.get(ENROLMENT_LINK)
    if pk is None:
        return None
    return EnrolmentLink.objects.usable().filter(pk=pk, user=request.user).first()


@never_cache
def open_enrolment_link(request, token, admin_site):
    """The link a superuser issued: this browser may set up the account's first app, once
    signed in with the account's password."""
    link = EnrolmentLink.find(token)
    if link is None:
        context = {**admin_site.each_context(request), "title": "Lien d'inscription non valable"}
        page = TemplateResponse(request, "admin/two_factor_link_invalid.html", context, status=404)
    else:
        request.session[ENROLMENT_LINK] = link.pk
        enrol_url = reverse("admin:two_factor_enrol", current_app=admin_site.name)
        if request.user.is_authenticated and request.user.pk == link.user_id:
            page = redirect(enrol_url)
        else:
            login_url = reverse("admin:login", current_app=admin_site.name)
            page = redirect(f"{login_url}?next={enrol_url}")
    page["Referrer-Policy"] = "same-origin"
    return page


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
    link = None
    if not user.is_verified():  # the first app: only through an enrolment link
        link = enrolment_link_in(request)
        if link is None:
            context = {**admin_site.each_context(request), "title": "Lien d'inscription requis"}
            return TemplateResponse(
                request, "admin/two_factor_link_needed.html", context, status=403
            )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    form = EnrolForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        if link is not None and not link.use():  # spent meanwhile, in another browser
            return redirect("admin:two_factor_enrol")
        request.session.pop(ENROLMENT_LINK, None)
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
