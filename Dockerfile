# Servicedesk: one image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/servicedesk
WORKDIR /app

COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --home /app servicedesk \
    && mkdir -p $VAR_DIR && chown servicedesk $VAR_DIR

USER servicedesk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
