from django.conf import settings
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.shortcuts import redirect
from django.urls import path, reverse
from django_otp import user_has_device

from barometre import two_factor
from barometre.task_queue import STALL_AFTER, stalled_tasks
from results.permissions import VIEW_COVERAGE, VIEW_RESULTS

# Apps that only keep the site running and safe: grouped last, in one section, on the index.
TECHNICAL_APPS = ("axes", "otp_totp", "otp_static", "django_tasks_database", "barometre")
FIRST_APPS = ("survey", "auth")
# Technical models whose packages name them in English only (no translation to load): the
# index names them in French. (Their own pages keep the package's name.)
FRENCH_NAMES = {
    "TOTPDevice": "Applications d’authentification (TOTP)",
    "StaticDevice": "Codes de secours",
    "DBTaskResult": "Tâches en arrière-plan",
}


@admin.action(
    permissions=["delete"], description="Supprimer les %(verbose_name_plural)s de la sélection"
)
def delete_selection(modeladmin, request, queryset):
    # Django's French wording agrees in the masculine only (« réponses sélectionnés »).
    return delete_selected(modeladmin, request, queryset)


def add_results_pages(app_list, app_label, request):
    """The coverage and results pages are no models: list them under « Résultats » for those
    who may see them."""
    if app_label not in (None, "results"):
        return
    pages = [
        (VIEW_COVERAGE, "Suivi de la collecte", "Coverage", "admin:results_coverage"),
        (VIEW_RESULTS, "Résultats pondérés", "Results", "admin:results_index"),
    ]
    pages = [page for page in pages if request.user.has_perm(page[0])]
    if not pages:
        return
    results = next((app for app in app_list if app["app_label"] == "results"), None)
    if results is None:
        results = {
            "name": "Résultats",
            "app_label": "results",
            "app_url": reverse(pages[0][3]),
            "has_module_perms": True,
            "models": [],
        }
        app_list.append(results)
    for position, (_, name, object_name, url_name) in enumerate(pages):
        results["models"].insert(
            position,
            {
                "name": name,
                "object_name": object_name,
                "perms": {"view": True},
                "admin_url": reverse(url_name),
                "add_url": None,
                "view_only": True,
            },
        )


class BarometreAdminSite(admin.AdminSite):
    """The staff site; with ADMIN_OTP_REQUIRED, staff also need a one-time password."""

    site_header = "Baromètre — Observatoire Data Publica"
    site_title = "Baromètre"
    index_title = "Administration du baromètre"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Same name, so that Django's confirmation page posts back to it.
        self.add_action(delete_selection, "delete_selected")

    def each_context(self, request):
        context = super().each_context(request)
        if request.user.is_active and request.user.is_staff:
            stalled = stalled_tasks()
            if stalled is not None:
                context["stalled_tasks"] = {
                    "count": stalled[0],
                    "since": stalled[1],
                    "minutes": int(STALL_AFTER.total_seconds() // 60),
                }
        return context

    def get_app_list(self, request, app_label=None):
        """The survey first; the technical apps (lockouts, devices, tasks) merged into one, last."""
        app_list = super().get_app_list(request, app_label)
        add_results_pages(app_list, app_label, request)
        if app_label is not None:
            return app_list
        technical = [app for app in app_list if app["app_label"] in TECHNICAL_APPS]
        others = [app for app in app_list if app["app_label"] not in TECHNICAL_APPS]
        others.sort(key=lambda app: (FIRST_APPS + (app["app_label"],)).index(app["app_label"]))
        if technical:
            others.append(
                {
                    **technical[0],
                    "name": "Technique (verrouillages, doubles authentifications, tâches)",
                    "models": [
                        {**model, "name": FRENCH_NAMES.get(model["object_name"], model["name"])}
                        for app in technical
                        for model in app["models"]
                    ],
                }
            )
        return others

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_OTP_REQUIRED or request.user.is_verified()

    def get_urls(self):
        enrol = [
            path(
                "double-authentification/",
                lambda request: two_factor.enrol(request, self),
                name="two_factor_enrol",
            ),
            path(
                "double-authentification/lien/<str:token>/",
                lambda request, token: two_factor.open_enrolment_link(request, token, self),
                name="two_factor_enrolment_link",
            ),
        ]
        from editions import views as trends
        from results import views as results

        results_pages = [
            path(
                "suivi-collecte/",
                self.admin_view(lambda request: results.coverage(request, self)),
                name="results_coverage",
            ),
            path(
                "resultats/",
                self.admin_view(lambda request: results.results_index(request, self)),
                name="results_index",
            ),
            path(
                "resultats/<int:year>/questions/<slug:code>/",
                self.admin_view(
                    lambda request, year, code: results.results_question(request, self, year, code)
                ),
                name="results_question",
            ),
            path(
                "resultats/<int:year>/evolution/",
                self.admin_view(lambda request, year: trends.staff_trends(request, self, year)),
                name="results_trends",
            ),
            path(
                "resultats/<int:year>/publication/",
                self.admin_view(
                    lambda request, year: results.results_publication(request, self, year)
                ),
                name="results_publication",
            ),
        ]
        from survey.collection.preview import preview

        # Before the model pages: their « <id>/… » patterns would take it otherwise.
        previews = [
            path(
                "survey/edition/<int:edition_id>/apercu/<slug:slug>/",
                self.admin_view(preview),
                name="survey_edition_preview",
            ),
        ]
        return [*enrol, *results_pages, *previews, *super().get_urls()]

    def login(self, request, extra_context=None):
        if settings.ADMIN_OTP_REQUIRED:
            user = request.user
            if (
                request.method == "GET"
                and user.is_authenticated
                and two_factor.may_enrol(user)
                and not user.is_verified()
                and not user_has_device(user)
            ):
                return redirect("admin:two_factor_enrol")
            self.login_form = two_factor.TwoFactorLoginForm
            self.login_template = "admin/login_otp.html"
        else:
            self.login_form = None
            self.login_template = None
        return super().login(request, extra_context)
