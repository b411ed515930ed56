"""Development only: read the emails the file backend wrote, so links can be clicked."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from accounts.models import User
from servicedesk.http import AuthedHtmxRequest

app_name = "devmail"


def _mail_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _messages() -> list[Path]:
    folder = _mail_dir()
    if not folder.exists():
        return []
    return sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)


def _parse(path: Path) -> list[EmailMessage]:
    """The file backend appends messages separated by a line of dashes."""
    raw = path.read_bytes()
    chunks = [c.strip(b"\n") for c in raw.split(b"\n" + b"-" * 79 + b"\n") if c.strip()]
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(chunk) for chunk in chunks]


def _guard(request: HttpRequest) -> None:
    if not settings.DEV_MAIL_PAGE:
        raise Http404


def _is_for(msg: EmailMessage, user: User) -> bool:
    """Admins read every message; anyone else only those addressed to them."""
    if user.is_admin:
        return True
    recipients = getaddresses([str(msg[key]) for key in ("To", "Cc", "Bcc") if msg[key]])
    return user.email.lower() in {address.lower() for _, address in recipients}


@login_required
@require_GET
def mail_list(request: AuthedHtmxRequest) -> HttpResponse:
    _guard(request)
    items = []
    for mail_file in _messages()[:200]:
        for msg_index, msg in enumerate(_parse(mail_file)):
            if not _is_for(msg, request.user):
                continue
            items.append(
                {
                    "name": mail_file.stem,
                    "index": msg_index,
                    "subject": msg["Subject"],
                    "to": msg["To"],
                    "date": msg["Date"],
                }
            )
    return render(request, "devmail/list.html", {"nav": "dev-mail", "items": items})


def _load(request: AuthedHtmxRequest, name: str, index: int) -> EmailMessage:
    """One message the person may read; someone else's is missing (404), not forbidden."""
    path = _mail_dir() / f"{name}.log"
    if "/" in name or ".." in name or not path.exists():
        raise Http404
    messages = _parse(path)
    if index >= len(messages) or not _is_for(messages[index], request.user):
        raise Http404
    return messages[index]


@login_required
@require_GET
def mail_detail(request: AuthedHtmxRequest, name: str, index: int) -> HttpResponse:
    _guard(request)
    msg = _load(request, name, index)
    text = msg.get_body(preferencelist=("plain",))
    headers = {key: msg[key] for key in ("Subject", "From", "To", "Date", "Message-ID")}
    context = {
        "nav": "dev-mail",
        "headers": headers,
        "name": name,
        "index": index,
        "text": text.get_content() if text else "",
    }
    return render(request, "devmail/detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
@csp_replace(  # type: ignore[arg-type]  # django-csp types a view as taking only the request
    {
        "frame-ancestors": ["'self'"],
        "style-src": ["'unsafe-inline'"],
        "sandbox": ["allow-popups", "allow-top-navigation-by-user-activation"],
    }
)
def mail_html(request: AuthedHtmxRequest, name: str, index: int) -> HttpResponse:
    """The HTML part on its own, framed by the detail page with scripts disabled."""
    _guard(request)
    html = _load(request, name, index).get_body(preferencelist=("html",))
    # Links open in the whole window, as from a mail client: the site is never framed.
    top = '<base target="_top">'
    content = html.get_content() if html else "<p>No HTML part.</p>"
    if "<head>" in content:
        return HttpResponse(content.replace("<head>", f"<head>{top}", 1))
    return HttpResponse(top + content)


urlpatterns = [
    path("", mail_list, name="list"),
    path("<str:name>/<int:index>/", mail_detail, name="detail"),
    path("<str:name>/<int:index>/html/", mail_html, name="html"),
]
