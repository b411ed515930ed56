"""Liveness and readiness: is this process serving, and can it reach what it depends on.

`/healthz/` is what a load balancer or an orchestrator restarts a process on, so it asks only
the database, which every page needs. A broker outage delays mail (the outbox keeps it) but
takes no page down, so restarting web processes over it would only make things worse; the
broker is reported by `/readyz/`, for dashboards and alerts.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return False
    return True


def broker_answers() -> bool:
    """Whether the broker accepts a connection and answers, within its short timeouts."""
    from servicedesk.celery import app

    try:
        with app.connection_for_write(
            connect_timeout=settings.BROKER_TIMEOUT_SECONDS,
            transport_options={
                "socket_connect_timeout": settings.BROKER_TIMEOUT_SECONDS,
                "socket_timeout": settings.BROKER_TIMEOUT_SECONDS,
            },
        ) as broker:
            broker.ensure_connection(max_retries=0, timeout=settings.BROKER_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_answers(), "broker": broker_answers()}
    ready = all(checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable"}
        | {name: "ok" if up else "unavailable" for name, up in checks.items()},
        status=200 if ready else 503,
    )
