from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from community.notifications import services
from community.notifications.errors import InvalidUnsubscribeLink
from community.notifications.forms import EmailPreferencesForm
from community.notifications.models import EmailPreferences
from community.notifications.tokens import read_unsubscribe_token


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = EmailPreferences.objects.filter(user=request.user).first() or EmailPreferences(user=request.user)  # type: ignore[misc]
    form = EmailPreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.update_email_preferences(member=request.user, choices=form.choices())  # type: ignore[arg-type]
        messages.success(request, "Your email preferences are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


# Mail clients post one-click unsubscribes (RFC 8058) without a session or a CSRF token; the signed
# link is the proof. A GET changes nothing, because link scanners follow every link in an email.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        wanted = read_unsubscribe_token(token)
    except InvalidUnsubscribeLink as error:
        return render(request, "notifications/unsubscribe_invalid.html", {"reason": str(error)}, status=400)
    context = {"member": wanted.member, "kind": wanted.kind}
    if request.method == "POST":
        services.turn_off_email(member=wanted.member, kind=wanted.kind)
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)
