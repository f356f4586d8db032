# CareCollab production image: gunicorn serves the web app; the same image runs the
# Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV DEBUG=false \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=carecollab.settings

# The app never runs as root. Its home is writable (gunicorn keeps its control socket in
# ~/.gunicorn); the code in /app is not.
RUN groupadd --system --gid 10001 carecollab \
    && useradd --system --uid 10001 --gid carecollab --create-home \
       --home-dir /home/carecollab --shell /usr/sbin/nologin carecollab

WORKDIR /app

# Dependencies in their own layer, rebuilt only when pyproject.toml changes. The project
# declares no installable packages, so this installs its dependencies; the code runs
# from /app (on PYTHONPATH).
COPY pyproject.toml README.md ./
RUN pip install .

# Code stays owned by root (read-only for the app user).
COPY . .

# Writable by the app user: the static root (collectstatic also runs at container start)
# and the signed-documents store. A named volume mounted on /data/signed-documents takes
# this ownership on first use.
RUN mkdir -p /app/staticfiles /data/signed-documents \
    && chown carecollab:carecollab /app/staticfiles /data/signed-documents \
    && chmod 0700 /data/signed-documents

USER carecollab

# Static files baked into the image; the key is a throwaway used only for this step.
RUN SECRET_KEY=collectstatic-build-only DEBUG=false \
    python manage.py collectstatic --noinput --verbosity 0

EXPOSE 8000

CMD ["gunicorn", "carecollab.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
