FROM python:3.12-slim

ENV DJANGO_DEBUG=0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 1000 barometre
WORKDIR /app

COPY pyproject.toml README.md ./
# pip byte-compiles what it installs (its default).
RUN pip install .

COPY --chown=barometre:barometre . .
# The project runs from /app, not site-packages: its .pyc are written here, at build time, since
# PYTHONDONTWRITEBYTECODE keeps every process from writing them and each would otherwise compile
# the whole project from source as it starts (three times the CPU time; docs/benchmarks.md).
RUN python -m compileall -q -j 0 barometre campaigns editions outbox poll results survey usecases manage.py
# collectstatic needs settings but no secret nor database.
RUN DJANGO_DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput

USER barometre
EXPOSE 8000
# The mail worker runs from the same image: `python manage.py db_worker --no-reload` (README).
# Threaded workers: gunicorn kills a sync worker that has been busy for 30 s, even while it
# streams; a whole-edition export lasts longer, and must not hold a worker meanwhile.
CMD ["gunicorn", "barometre.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--logger-class", "barometre.logging.GunicornLogger", \
     "--worker-class", "gthread", "--threads", "4", "--timeout", "60", "--keep-alive", "75", \
     "--no-control-socket", "--access-logfile", "-"]
