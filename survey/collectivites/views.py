"""Finding one's collectivité: a JSON search for the combobox, and a page that works without
JavaScript (search, then follow the link of the right result back to where one came from)."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from survey import numbers
from survey.collectivites.search import MAX_QUERY_LENGTH, cached_search, search
from survey.typography import typeset

QUERY_TOO_LONG = f"Votre recherche est trop longue : {MAX_QUERY_LENGTH} caractères au plus."
PAGE_RESULTS = 50


def describe(collectivite):
    """« Commune · Loire (42) · 170 049 habitants »: what tells a result from its homonyms."""
    parts = [collectivite.kind_label]
    if collectivite.place:
        parts.append(collectivite.place)
    if collectivite.population:
        parts.append(f"{numbers.integer(collectivite.population)} habitants")
    return " · ".join(parts)


@require_GET
@ratelimit(key="ip", rate="300/m", block=True)  # a combobox sends a request per keystroke
def search_json(request):
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        return JsonResponse({"error": QUERY_TOO_LONG, "results": []}, status=400)
    return JsonResponse({"query": query, "results": cached_search(query, as_results)})


def as_results(collectivites):
    return [
        {
            "code": collectivite.code,
            # The script shows these as they are: French typography here (« L’Île-Saint-Denis »).
            "name": typeset(collectivite.name),
            "label": typeset(str(collectivite)),
            "detail": typeset(describe(collectivite)),
        }
        for collectivite in collectivites
    ]


def with_collectivite(url, code):
    """`url` with `collectivite=<code>` in its query string, replacing any previous one."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "collectivite"
    ]
    query.append(("collectivite", code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _is_safe_next(request, url):
    return (
        bool(url)
        and url.isprintable()
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )


@require_GET
@ratelimit(key="ip", rate="60/m", block=True)
def choose(request):
    next_url = request.GET.get("next", "")
    if not _is_safe_next(request, next_url):
        return render(request, "survey/collectivite_choose.html", {"bad_next": True}, status=400)
    query = request.GET.get("q", "").strip()
    context = {"next_url": next_url, "query": query, "results": [], "truncated": False}
    if len(query) > MAX_QUERY_LENGTH:
        context.update(query="", error=QUERY_TOO_LONG)
        return render(request, "survey/collectivite_choose.html", context, status=400)
    if query:
        found = search(query, limit=PAGE_RESULTS + 1)
        context["truncated"] = len(found) > PAGE_RESULTS
        context["results"] = [
            {
                "collectivite": collectivite,
                "detail": describe(collectivite),
                "url": with_collectivite(next_url, collectivite.code),
            }
            for collectivite in found[:PAGE_RESULTS]
        ]
    return render(request, "survey/collectivite_choose.html", context)
