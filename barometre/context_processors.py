from django.conf import settings


def local_trial(request):
    """Whether pages carry the « Essai local » banner (`make demo`, never in production)."""
    return {"local_trial": settings.LOCAL_TRIAL}
