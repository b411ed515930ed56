"""DRF glue: service-layer errors become 400/403/409/429 responses with a reason."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from tickets.services import ConflictError, SubmissionLimitReached

    if isinstance(exc, ConflictError):
        response = Response({"detail": " ".join(exc.messages)}, status=409)
        return response
    if isinstance(exc, SubmissionLimitReached):
        retry_after = str(exc.retry_after.seconds)
        return Response({"detail": str(exc)}, status=429, headers={"Retry-After": retry_after})
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)
