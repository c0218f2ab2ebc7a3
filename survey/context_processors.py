from django.conf import settings


def contact(request):
    """The Observatoire's contact address, shown wherever a respondent may need help."""
    return {"contact_email": settings.CONTACT_EMAIL}
