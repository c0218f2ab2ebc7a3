#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "barometre.settings")
    # manage.py is the developer's tool: debug unless told otherwise. The WSGI server (and the
    # Docker image, which sets DJANGO_DEBUG=0) default to production settings.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
