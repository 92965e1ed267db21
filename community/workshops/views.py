from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from community.members.permissions import builder_required
from community.workshops import services
from community.workshops.calendar import workshop_ics, workshops_ics
from community.workshops.errors import WorkshopError
from community.workshops.forms import AttendanceForm, RecordingForm
from community.workshops.models import Registration, Workshop
from community.workshops.queries import (
    active_registrations_by_workshop,
    past_workshops_with_recordings,
    registrations_for_attendance,
    upcoming_workshops,
    waitlist_position,
    workshop_with_details,
)

PAST_PER_PAGE = 12


@require_safe
def workshop_list(request: HttpRequest) -> HttpResponse:
    upcoming = list(upcoming_workshops())
    past_page = Paginator(past_workshops_with_recordings(), PAST_PER_PAGE).get_page(request.GET.get("page"))
    registrations = active_registrations_by_workshop(
        member=request.user,  # type: ignore[arg-type]
        workshop_ids=[w.pk for w in upcoming],
    )
    for workshop in upcoming:
        workshop.my_registration = registrations.get(workshop.pk)  # type: ignore[attr-defined]
    return render(request, "workshops/workshop_list.html", {"upcoming": upcoming, "past_page": past_page})


def _registration_context(request: HttpRequest, workshop: Workshop) -> dict[str, object]:
    registration: Registration | None = None
    if request.user.is_authenticated:
        registration = active_registrations_by_workshop(
            member=request.user,  # type: ignore[arg-type]
            workshop_ids=[workshop.pk],
        ).get(workshop.pk)
    return {
        "workshop": workshop,
        "registration": registration,
        "position": waitlist_position(registration) if registration else None,
    }


def _detail_or_404(slug: str) -> Workshop:
    workshop = workshop_with_details(slug=slug)
    if workshop is None:
        raise Http404("No workshop here.")
    return workshop


@require_safe
def workshop_detail(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _detail_or_404(slug)
    return render(request, "workshops/workshop_detail.html", _registration_context(request, workshop))


def _after_action(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        fresh = _detail_or_404(workshop.slug)
        return render(request, "workshops/_registration.html", _registration_context(request, fresh))
    return redirect(workshop)


def _act(request: HttpRequest, slug: str, *, cancel: bool) -> HttpResponse:
    workshop = get_object_or_404(Workshop, slug=slug)
    if not request.user.is_authenticated:
        login = redirect_to_login(workshop.get_absolute_url())
        if request.htmx:  # type: ignore[attr-defined]
            # A plain redirect would be followed by htmx and the whole login page swapped into the panel.
            return HttpResponseClientRedirect(login.url)
        return login
    try:
        if cancel:
            services.cancel_registration(member=request.user, workshop=workshop)  # type: ignore[arg-type]
            messages.success(request, "Your registration is cancelled. Thank you for freeing the place.")
        else:
            registration = services.register(member=request.user, workshop=workshop)  # type: ignore[arg-type]
            if registration.has_seat:
                messages.success(request, "You're in! We've emailed you the join link and a calendar invite.")
            else:
                messages.info(
                    request, "The workshop is full: you're on the waitlist and we'll email you if a seat frees up."
                )
    except WorkshopError as exc:
        messages.error(request, str(exc))
    return _after_action(request, workshop)


@require_POST
def register(request: HttpRequest, slug: str) -> HttpResponse:
    return _act(request, slug, cancel=False)


@require_POST
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    return _act(request, slug, cancel=True)


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def workshop_ics_download(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = get_object_or_404(Workshop.objects.prefetch_related("speakers__profile", "areas"), slug=slug)
    seated = (
        request.user.is_authenticated
        and Registration.objects.filter(
            workshop=workshop, member=request.user, status__in=["confirmed", "attended"]
        ).exists()
    )
    return _ics_response(workshop_ics(workshop, include_join_link=seated), f"{slugify(workshop.slug)}.ics")


@require_safe
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Public feed of upcoming workshops: never any join link."""
    response = HttpResponse(workshops_ics(upcoming_workshops()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="workshops.ics"'
    return response


@builder_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """The builder's sheet after the event: who attended, and the recording link."""
    workshop = get_object_or_404(Workshop, slug=slug)
    registrations = list(registrations_for_attendance(workshop=workshop))
    attendance_form = AttendanceForm(registrations=registrations)
    recording_form = RecordingForm(initial={"recording_url": workshop.recording_url})
    if request.method == "POST":
        try:
            if "save_attendance" in request.POST:
                attendance_form = AttendanceForm(request.POST, registrations=registrations)
                if attendance_form.is_valid():
                    count = services.mark_attendance(
                        workshop=workshop, attended_registration_ids=attendance_form.attended_ids()
                    )
                    messages.success(request, f"Attendance saved: {count} of {len(registrations)} attended.")
                    return redirect("workshops:manage", slug=workshop.slug)
            elif "save_recording" in request.POST:
                recording_form = RecordingForm(request.POST)
                if recording_form.is_valid():
                    sent = services.add_recording(
                        workshop=workshop, recording_url=recording_form.cleaned_data["recording_url"]
                    )
                    messages.success(request, f"Recording published; {sent} registrants are told by email.")
                    return redirect("workshops:manage", slug=workshop.slug)
        except WorkshopError as exc:
            messages.error(request, str(exc))
    context = {
        "workshop": workshop,
        "registrations": registrations,
        "attendance_form": attendance_form,
        "recording_form": recording_form,
    }
    return render(request, "workshops/manage.html", context, status=400 if request.method == "POST" else 200)
