"""A page mounting the collectivité picker as the profile page will, for browser tests only."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from survey.collectivites.forms import CollectivitePickerForm

PAGE = """{% extends "base.html" %}
{% block content %}
<h1>Votre collectivité</h1>
{% if saved %}<p id="saved">Enregistré : {{ saved }}</p>{% endif %}
<form method="post" novalidate>
  {% csrf_token %}
  {% include "survey/includes/collectivite_picker.html" with form=form %}
  <button type="submit" class="btn btn-primary">Enregistrer</button>
</form>
{% include "survey/includes/collectivite_search_form.html" %}
{% endblock %}"""


def picker_page(request):
    saved = None
    if request.method == "POST":
        form = CollectivitePickerForm(request.POST)
        if form.is_valid():
            saved = form.structure
    else:
        form = CollectivitePickerForm(prefill=request.GET.get("collectivite"))
    template = engines["django"].from_string(PAGE)
    return HttpResponse(template.render({"form": form, "saved": saved}, request))


urlpatterns = [
    path("essai/collectivite", picker_page, name="picker_test_page"),
    path("", include("usecases.urls")),  # the footer links to the catalogue
    path("", include("survey.urls")),
]
