from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from servicedesk.http import AuthedHtmxRequest, client_address

from . import password_reset as reset
from . import services
from .forms import PasswordResetRequestForm, PreferencesForm, ProfileForm


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedHtmxRequest) -> HttpResponse:
    user = request.user
    kinds = services.kinds_for(user)
    if request.method == "POST":
        profile_form = ProfileForm(request.POST, instance=user)
        prefs_form = PreferencesForm(request.POST, kinds=kinds)
        if profile_form.is_valid() and prefs_form.is_valid():
            services.update_profile(user, **profile_form.cleaned_data)
            services.set_notification_preferences(
                user, enabled=prefs_form.cleaned_data["enabled"], by=user
            )
            messages.success(request, "Your profile and email preferences are saved.")
            return redirect("accounts:profile")
    else:
        profile_form = ProfileForm(instance=user)
        prefs_form = PreferencesForm(
            initial={"enabled": sorted(services.enabled_kinds(user))}, kinds=kinds
        )
    context = {"profile_form": profile_form, "prefs_form": prefs_form}
    return render(request, "accounts/profile.html", context)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. Every valid address gets the same answer, sent or not."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset.request_reset(
            form.cleaned_data["email"], client=client_address(request), now=timezone.now()
        )
        return redirect("accounts:password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})
