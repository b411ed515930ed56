"""The monthly agent pulse in the workspace: two questions, answered once, stored anonymously."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from servicedesk.http import AuthedHtmxRequest
from servicedesk.rendering import render
from surveys import pulse as pulse_survey
from tickets.forms import add_service_error

from .survey_forms import PulseForm
from .views import staff_required


@staff_required
@require_http_methods(["GET", "POST"])
def pulse(request: AuthedHtmxRequest) -> HttpResponse:
    now = timezone.now()
    current = pulse_survey.current_round(now)
    answered = current is not None and pulse_survey.has_answered(current, request.user)
    teams = pulse_survey.teams_of(request.user) if current and not answered else []
    form = PulseForm(request.POST if request.method == "POST" else None, teams=teams)
    if current and not answered and request.method == "POST" and form.is_valid():
        try:
            pulse_survey.record_pulse_answer(
                current, person=request.user, now=now, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            # The message says thanks and nothing of the answer: it is kept in the session.
            messages.success(request, "Thank you. Your answer is recorded, without your name.")
            return redirect("workspace:pulse")
    context = {"nav": "pulse", "round": current, "answered": answered, "form": form, "teams": teams}
    return render(request, "workspace/pulse.html", context)
