"""Bound what a request may send: no application endpoint but the staff's imports expects a file.

Django caps the form fields it keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE) but would read
and store any number of megabytes sent as files in a multipart body.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render


class BodySizeLimitMiddleware:
    """Refuse, before anything reads it, a body larger than REQUEST_BODY_MAX_SIZE (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # The staff's file imports (one path each) accept a larger body.
        limit = settings.REQUEST_BODY_LARGER_PATHS.get(request.path, settings.REQUEST_BODY_MAX_SIZE)
        if length > limit:
            return render(request, "413.html", status=413)
        return self.get_response(request)


class RefuseFiles(FileUploadHandler):
    """The only upload handler: any file in a multipart body makes the request a 400."""

    def new_file(self, *args, **kwargs):
        raise BadRequest("Aucun fichier n'est attendu.")

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - never reached
        return None

    def file_complete(self, file_size):  # pragma: no cover - never reached
        return None
