from django.conf import settings
from django.http import HttpRequest


def servicedesk(request: HttpRequest) -> dict[str, object]:
    return {"DEV_MAIL_PAGE": settings.DEV_MAIL_PAGE}
