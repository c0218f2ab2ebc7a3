from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

from survey.models import Edition


def home(request):
    edition = Edition.objects.current()
    sections = edition.sections.all() if edition else []
    return render(request, "survey/home.html", {"edition": edition, "sections": sections})


def healthz(request):
    """For the load balancer: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("base de données injoignable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
