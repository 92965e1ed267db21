"""Member pages: mentorship home, applying, editing, withdrawing, my match, check-in links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from community.members.permissions import is_builder
from community.members.zones import member_zone
from mentorship import queries, services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.errors import MentorshipError
from mentorship.forms import (
    CheckInForm,
    EndEarlyForm,
    FeedbackForm,
    MenteeApplicationForm,
    MentorApplicationForm,
    mentor_service_arguments,
)
from mentorship.models import Batch, CheckIn, Feedback, Match, MenteeApplication, MentorApplication


def home(request: HttpRequest) -> HttpResponse:
    batches = list(queries.open_batches())
    context: dict = {"open_batches": batches}
    if request.user.is_authenticated:
        mine = {
            "mentor": {
                a.batch_id: a
                for a in MentorApplication.objects.filter(
                    member=request.user, withdrawn_at__isnull=True
                ).select_related("batch")
            },
            "mentee": {
                a.batch_id: a
                for a in MenteeApplication.objects.filter(
                    member=request.user, withdrawn_at__isnull=True
                ).select_related("batch")
            },
        }
        for batch in batches:
            batch.my_mentor_application = mine["mentor"].get(batch.pk)
            batch.my_mentee_application = mine["mentee"].get(batch.pk)
        context["applications"] = sorted(
            [*mine["mentor"].values(), *mine["mentee"].values()], key=lambda a: a.created_at, reverse=True
        )
        waiting = set(queries.waiting_applications_of(request.user).values_list("pk", flat=True))
        for application in mine["mentee"].values():
            application.is_waiting = application.pk in waiting
        context["matches"] = list(queries.matches_of_member(request.user))
        for m in context["matches"]:
            m.my_side = m.side_of(request.user)
    return render(request, "mentorship/home.html", context)


def batch_detail(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.exclude(status="draft"), slug=slug)
    return render(request, "mentorship/batch.html", {"batch": batch})


def _profile_zone(request: HttpRequest) -> str:
    return member_zone(request.user).key


def _interest_ranks(request: HttpRequest) -> dict[str, int]:
    """The profile's interests as the mentee form's starting ranks, in the order the profile lists them."""
    profile = getattr(request.user, "profile", None)
    if profile is None:
        return {}
    return {f"rank_{area.pk}": rank for rank, area in enumerate(profile.interests.all(), start=1)}


@login_required
def apply_mentor(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    if not batch.accepts_applications:
        messages.error(request, f"Applications to {batch.name} are closed.")
        return redirect("mentorship:home")
    form = MentorApplicationForm(
        request.POST or None, initial={"time_zone": _profile_zone(request), "languages": ["en"]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_as_mentor(batch=batch, member=request.user, **mentor_service_arguments(form))
        except MentorshipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Thank you! Your application to mentor in {batch.name} is in.")
            return redirect("mentorship:home")
    return render(request, "mentorship/apply.html", {"batch": batch, "form": form, "role": "mentor"})


@login_required
def apply_mentee(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    if not batch.accepts_applications:
        messages.error(request, f"Applications to {batch.name} are closed.")
        return redirect("mentorship:home")
    form = MenteeApplicationForm(
        request.POST if request.method == "POST" else None,
        initial={"time_zone": _profile_zone(request), "languages": ["en"], **_interest_ranks(request)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_as_mentee(batch=batch, member=request.user, **form.service_arguments())
        except MentorshipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Thank you! Your application for a mentor in {batch.name} is in.")
            return redirect("mentorship:home")
    return render(request, "mentorship/apply.html", {"batch": batch, "form": form, "role": "mentee"})


@login_required
def edit_mentor(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        MentorApplication.objects.select_related("batch"), pk=pk, member=request.user, withdrawn_at__isnull=True
    )
    form = MentorApplicationForm(request.POST or None, initial=MentorApplicationForm.initial_from(application))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_mentor_application(application=application, **mentor_service_arguments(form))
        except MentorshipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your mentor application is updated.")
            return redirect("mentorship:home")
    return render(
        request,
        "mentorship/apply.html",
        {"batch": application.batch, "form": form, "role": "mentor", "application": application},
    )


@login_required
def edit_mentee(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        MenteeApplication.objects.select_related("batch"), pk=pk, member=request.user, withdrawn_at__isnull=True
    )
    form = MenteeApplicationForm(request.POST or None, initial=MenteeApplicationForm.initial_from(application))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_mentee_application(application=application, **form.service_arguments())
        except MentorshipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your mentee application is updated.")
            return redirect("mentorship:home")
    return render(
        request,
        "mentorship/apply.html",
        {"batch": application.batch, "form": form, "role": "mentee", "application": application},
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, role: str, pk: int) -> HttpResponse:
    model = MentorApplication if role == "mentor" else MenteeApplication
    application = get_object_or_404(model.objects.select_related("batch"), pk=pk, member=request.user)
    try:
        services.withdraw_application(application=application)
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Your application to {application.batch.name} is withdrawn.")
    return redirect("mentorship:home")


@login_required
@require_POST
def join_rematch_queue(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(MenteeApplication.objects.select_related("batch"), pk=pk, member=request.user)
    try:
        services.join_rematch_queue(application=application, member=request.user)
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "You are in the rematch queue: the next matching serves you first.")
    return redirect("mentorship:home")


def _visible_match(request: HttpRequest, pk: int) -> Match:
    pair = get_object_or_404(
        Match.objects.select_related(
            "batch", "mentor_application__member__profile", "mentee_application__member__profile"
        ),
        pk=pk,
    )
    if not pair.side_of(request.user) and not is_builder(request.user):
        raise PermissionDenied("Only the mentor and the mentee of this pair can open this page.")
    if pair.side_of(request.user) and pair.status in {MatchStatus.PROPOSED, MatchStatus.REJECTED}:
        raise PermissionDenied("This pair has not been published.")
    return pair


ANNOUNCED_BATCH_STATUSES = frozenset({BatchStatus.PUBLISHED, BatchStatus.ACTIVE, BatchStatus.COMPLETED})
PARTNER_STATUSES = frozenset({MatchStatus.APPROVED, MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED_EARLY})


def shows_partner_email(pair: Match, side: str) -> bool:
    """Email addresses stay private, except between the two members of a pair once its batch is published."""
    return bool(side) and pair.batch.status in ANNOUNCED_BATCH_STATUSES and pair.status in PARTNER_STATUSES


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _visible_match(request, pk)
    side = pair.side_of(request.user)
    context = {
        "shows_email": shows_partner_email(pair, side),
        "match": pair,
        "side": side,
        "other": pair.mentee if side == "mentor" else pair.mentor,
        "other_application": pair.mentee_application if side == "mentor" else pair.mentor_application,
        "my_check_in": CheckIn.objects.filter(match=pair, member=request.user).first(),
        "my_feedback": list(Feedback.objects.filter(match=pair, member=request.user)),
        "end_form": EndEarlyForm(),
        "feedback_form": FeedbackForm(),
        "running": pair.status in {MatchStatus.APPROVED, MatchStatus.ACTIVE} and pair.batch.published_at is not None,
    }
    return render(request, "mentorship/match.html", context)


@login_required
@require_POST
def end_match(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _visible_match(request, pk)
    form = EndEarlyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tell us briefly why the pair ends.")
        return redirect("mentorship:match", pk=pk)
    try:
        services.end_match_early(match_=pair, by=request.user, reason=form.cleaned_data["reason"])
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The pair has ended. Thank you for telling us why.")
    return redirect("mentorship:match", pk=pk)


@login_required
@require_POST
def give_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _visible_match(request, pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a rating from 1 to 5 and the stage of the program.")
        return redirect("mentorship:match", pk=pk)
    try:
        services.give_feedback(match_=pair, member=request.user, **form.cleaned_data)
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you for your feedback.")
    return redirect("mentorship:match", pk=pk)


@login_required
@require_POST
def answer_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _visible_match(request, pk)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Answer yes or not yet.")
        return redirect("mentorship:match", pk=pk)
    try:
        services.answer_check_in(match_=pair, member=request.user, met=form.cleaned_data["met"])
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you, noted.")
    return redirect("mentorship:match", pk=pk)


def check_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """The landing of the one-click links in the check-in email.

    A GET only shows the chosen answer with one button: mail scanners open every link in an
    email, and they must not answer for the member. The POST records it.
    """
    try:
        check_in = services.check_in_from_token(token)
    except MentorshipError as exc:
        return render(request, "mentorship/check_in.html", {"error": str(exc)}, status=400)
    form = CheckInForm(request.POST or {"met": request.GET.get("met", "yes")})
    if request.method == "POST" and form.is_valid():
        services.record_check_in(check_in=check_in, met=form.cleaned_data["met"])
        return render(
            request,
            "mentorship/check_in.html",
            {"check_in": check_in, "recorded": True, "met": form.cleaned_data["met"]},
        )
    pair = check_in.match
    other = pair.mentee if check_in.member_id == pair.mentor_application.member_id else pair.mentor
    met = form.cleaned_data["met"] if form.is_valid() else True
    return render(request, "mentorship/check_in.html", {"check_in": check_in, "other": other, "met": met})
