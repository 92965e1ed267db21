"""Builder pages: batches, the review screen, publishing, the report."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from community.members.permissions import builder_required
from mentorship import queries, services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.errors import MentorshipError
from mentorship.forms import BatchForm, PairRuleForm, ScheduleMatchingForm, SwapForm
from mentorship.models import Batch, Match, MatchingRun, PairRule
from mentorship.reports import batch_report
from mentorship.services.matching import (
    MATCHING_DAG_ID,
    RUNNABLE_STATUSES,
    active_matching_run,
    describe_moment,
    latest_matching_run,
)
from workflows.queries import task_outcomes

TRANSITION_SERVICES = {
    BatchStatus.OPEN: services.open_batch,
    BatchStatus.CLOSED: services.close_batch,
    BatchStatus.ACTIVE: services.activate_batch,
    BatchStatus.COMPLETED: services.complete_batch,
}
"""Status changes a button can ask for directly; matching and publishing have their own actions."""

SORTS = {
    "score": ("-score", "pk"),
    "-score": ("score", "pk"),
    "mentor": ("mentor_application__member__profile__display_name", "pk"),
    "mentee": ("mentee_application__member__profile__display_name", "pk"),
}


@builder_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = Batch.objects.annotate(
        mentor_count=Count("mentorapplication", filter=Q(mentorapplication__withdrawn_at__isnull=True), distinct=True),
        mentee_count=Count("menteeapplication", filter=Q(menteeapplication__withdrawn_at__isnull=True), distinct=True),
    ).order_by("-applications_open_at")
    return render(request, "mentorship/manage/batches.html", {"batches": batches})


@builder_required
def batch_create(request: HttpRequest) -> HttpResponse:
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        batch = services.create_batch(**form.cleaned_data)
        messages.success(request, f"{batch.name} is created as a draft. Open it when applications may start.")
        return redirect("mentorship:review", slug=batch.slug)
    return render(request, "mentorship/manage/batch_form.html", {"form": form})


@builder_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    sort = request.GET.get("sort", "score")
    order = SORTS.get(sort, SORTS["score"])
    pairs = list(queries.batch_matches(batch).exclude(status=MatchStatus.REJECTED).order_by(*order))
    context = {
        "batch": batch,
        "pairs": pairs,
        "sort": sort if sort in SORTS else "score",
        "counts": {
            "proposed": sum(p.status == MatchStatus.PROPOSED for p in pairs),
            "approved": sum(p.status == MatchStatus.APPROVED for p in pairs),
        },
        "rejected": list(queries.batch_matches(batch, statuses=(MatchStatus.REJECTED,))),
        "unmatched": list(queries.unmatched_mentees(batch)),
        "spare": queries.mentors_with_spare_capacity(batch),
        "rules": list(
            PairRule.objects.filter(batch=batch).select_related(
                "mentor_application__member__profile", "mentee_application__member__profile"
            )
        ),
        "rematch_ids": set(queries.rematch_queue(batch).values_list("pk", flat=True)),
        "not_met": list(queries.pairs_not_met(batch)) if batch.published_at else [],
        **_matching_run_context(batch),
        "transitions": [s for s in batch.next_statuses if s in TRANSITION_SERVICES],
        "swap_form": SwapForm(batch=batch) if batch.status == BatchStatus.PROPOSED else None,
        "rule_form": PairRuleForm(batch=batch) if batch.status == BatchStatus.PROPOSED else None,
        "applications": {
            "mentors": queries.mentor_applications(batch).count(),
            "mentees": queries.mentee_applications(batch).count(),
        },
    }
    return render(request, "mentorship/manage/review.html", context)


def _matching_run_context(batch: Batch) -> dict[str, object]:
    """The batch's latest matching run with the state of each of its steps, and what a builder may do."""
    run = latest_matching_run(batch)
    if run is not None and run.is_active:
        run = active_matching_run(batch) or latest_matching_run(batch)
    active = run is not None and run.is_active
    waiting = bool(active and run.dag_run and run.dag_run.is_waiting)
    runnable = batch.status in RUNNABLE_STATUSES and not active
    now = timezone.now()
    return {
        "batch": batch,
        "now": now,
        "matching_run": run,
        "active": active,
        "waiting": waiting,
        "dag_id": MATCHING_DAG_ID,
        "tasks": task_outcomes(run.dag_run_id) if run is not None and run.dag_run_id else [],
        "move_form": ScheduleMatchingForm(batch=batch, now_allowed=False, initial={"when": run.scheduled_for})
        if waiting and run is not None
        else None,
        "can_run_now": runnable and (batch.status != BatchStatus.OPEN or batch.applications_close_at <= now),
        "schedule_form": ScheduleMatchingForm(batch=batch, now_allowed=False) if runnable else None,
    }


@builder_required
def matching_run(request: HttpRequest, slug: str) -> HttpResponse:
    """The matching run's progress alone, polled by the batch page while the run is active.

    The page polls only while a run is active; once the poll finds it over, the whole page reloads,
    so that the pairs, the unmatched mentees and the actions it proposed appear without a click.
    """
    batch = get_object_or_404(Batch, slug=slug)
    context = _matching_run_context(batch)
    if request.htmx and not context["active"]:
        return HttpResponseClientRefresh()
    return render(request, "mentorship/manage/_matching_run.html", context)


def _form_errors(form: ScheduleMatchingForm) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


def _done(request: HttpRequest, batch: Batch, action, success: str) -> HttpResponse:
    try:
        action()
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("mentorship:review", slug=batch.slug)


TRANSITION_BUTTONS = {
    BatchStatus.OPEN: "Open for applications",
    BatchStatus.CLOSED: "Close applications",
    BatchStatus.ACTIVE: "Start the program",
    BatchStatus.COMPLETED: "Complete the batch",
}

CONFIRMED = "yes"
"""The value of the `confirm` field that only the confirmation pages send."""


def _transition_question(batch: Batch, target: BatchStatus) -> tuple[str, str]:
    """What a builder is asked before a status change, and what the change does."""
    if target == BatchStatus.OPEN:
        close = timezone.localtime(batch.applications_close_at)
        zone = timezone.get_current_timezone_name()
        return (
            f"Open {batch.name} for applications?",
            f"Members can apply as mentors and mentees until {date_format(close, 'D j M Y, H:i')} ({zone}).",
        )
    if target == BatchStatus.CLOSED:
        mentees = queries.mentee_applications(batch).count()
        mentors = queries.mentor_applications(batch).count()
        return (
            f"Close applications of {batch.name}?",
            f"{mentees} mentee{pluralize(mentees)} and {mentors} mentor{pluralize(mentors)} applied; "
            "nobody can apply or edit after this.",
        )
    if target == BatchStatus.ACTIVE:
        return (
            f"Start the program of {batch.name}?",
            "Every published pair becomes active; the batch can then only be completed.",
        )
    return (
        f"Complete {batch.name}?",
        "Every active pair is completed and stays on both members' records; this cannot be undone.",
    )


def _transition_done(batch: Batch, target: BatchStatus) -> str:
    return {
        BatchStatus.OPEN: f"{batch.name} is open for applications.",
        BatchStatus.CLOSED: f"Applications to {batch.name} are closed.",
        BatchStatus.ACTIVE: f"{batch.name} is active.",
        BatchStatus.COMPLETED: f"{batch.name} is completed.",
    }[target]


def _confirm_page(request: HttpRequest, batch: Batch, **context: object) -> HttpResponse:
    return render(request, "mentorship/manage/confirm.html", {"batch": batch, "confirm_value": CONFIRMED, **context})


@builder_required
@require_http_methods(["GET", "POST"])
def transition(request: HttpRequest, slug: str) -> HttpResponse:
    """A status change: GET asks for confirmation, POST (from that page, with confirm=yes) makes it."""
    batch = get_object_or_404(Batch, slug=slug)
    data = request.POST if request.method == "POST" else request.GET
    target = data.get("to", "")
    service = TRANSITION_SERVICES.get(target)
    if service is None:
        messages.error(request, "Choose one of the status changes offered on the page.")
        return redirect("mentorship:review", slug=batch.slug)
    status = BatchStatus(target)
    if request.method == "GET" or data.get("confirm") != CONFIRMED:
        if request.method == "POST":
            messages.error(request, "Nothing changed yet: confirm the change on this page.")
        question, consequence = _transition_question(batch, status)
        return _confirm_page(
            request,
            batch,
            question=question,
            consequence=consequence,
            action=reverse("mentorship:transition", args=[batch.slug]),
            fields={"to": status.value},
            confirm_label=TRANSITION_BUTTONS[status],
        )
    return _done(request, batch, lambda: service(batch=batch, by=request.user), _transition_done(batch, status))


@builder_required
@require_POST
def run(request: HttpRequest, slug: str) -> HttpResponse:
    """Run matching now, or schedule it for a moment (or for when applications close)."""
    batch = get_object_or_404(Batch, slug=slug)
    form = ScheduleMatchingForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("mentorship:review", slug=batch.slug)
    run_after = form.cleaned_data["run_after"]
    try:
        services.schedule_matching_run(batch=batch, by=request.user, run_after=run_after)
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        if run_after is None:
            messages.success(request, f"Matching of {batch.name} has started; this page shows its progress.")
        else:
            messages.success(request, f"Matching of {batch.name} is scheduled for {describe_moment(run_after)}.")
    return redirect("mentorship:review", slug=batch.slug)


@builder_required
@require_POST
def move_run(request: HttpRequest, pk: int) -> HttpResponse:
    scheduled = get_object_or_404(MatchingRun.objects.select_related("batch"), pk=pk)
    form = ScheduleMatchingForm(request.POST, batch=scheduled.batch, now_allowed=False)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("mentorship:review", slug=scheduled.batch.slug)
    run_after = form.cleaned_data["run_after"]
    return _done(
        request,
        scheduled.batch,
        lambda: services.reschedule_matching_run(run=scheduled, run_after=run_after, by=request.user),
        f"The matching run is moved to {describe_moment(run_after)}." if run_after else "The matching run starts now.",
    )


@builder_required
@require_POST
def cancel_run(request: HttpRequest, pk: int) -> HttpResponse:
    scheduled = get_object_or_404(MatchingRun.objects.select_related("batch"), pk=pk)
    return _done(
        request,
        scheduled.batch,
        lambda: services.cancel_matching_run(run=scheduled, by=request.user),
        "The matching run is cancelled; the batch is as it was.",
    )


@builder_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publishing emails every applicant: GET asks for confirmation, POST (with confirm=yes) publishes."""
    batch = get_object_or_404(Batch, slug=slug)
    if request.method == "GET" or request.POST.get("confirm") != CONFIRMED:
        if request.method == "POST":
            messages.error(request, "Nothing is published yet: confirm on this page.")
        approved = batch.matches.filter(status=MatchStatus.APPROVED).count()
        waiting = queries.unmatched_mentees(batch).count()
        return _confirm_page(
            request,
            batch,
            question=f"Publish {batch.name}?",
            consequence=(
                f"Both members of the {approved} approved pair{pluralize(approved)} and the {waiting} "
                f"mentee{pluralize(waiting)} on the waiting list are emailed; this cannot be undone."
            ),
            action=reverse("mentorship:publish", args=[batch.slug]),
            fields={},
            confirm_label=f"Publish and email {approved + waiting} member{pluralize(approved + waiting)}",
        )
    return _done(
        request,
        batch,
        lambda: services.publish_batch(batch=batch, by=request.user),
        f"{batch.name} is published: both sides of each pair and the waiting list are being emailed.",
    )


@builder_required
@require_POST
def approve_all(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    return _done(
        request,
        batch,
        lambda: services.approve_all_matches(batch=batch, by=request.user),
        "All proposed pairs approved.",
    )


@builder_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in {"approve", "reject"}:
        raise Http404("Unknown decision.")
    pair = get_object_or_404(Match.objects.select_related("batch"), pk=pk)
    if decision == "approve":
        action, text = (lambda: services.approve_match(match_=pair, by=request.user)), "Pair approved."
    else:
        action = lambda: services.reject_match(match_=pair, by=request.user)  # noqa: E731
        text = "Pair rejected: the mentee goes back to the pool and is served first on the next run."
    return _done(request, pair.batch, action, text)


@builder_required
@require_POST
def swap(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    form = SwapForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("mentorship:review", slug=batch.slug)
    return _done(
        request,
        batch,
        lambda: services.swap_mentors(**form.cleaned_data, by=request.user),
        "Mentors swapped; both pairs are proposed again with their new scores.",
    )


@builder_required
@require_POST
def add_rule(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    form = PairRuleForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, "Choose a mentor, a mentee and a rule from the lists.")
        return redirect("mentorship:review", slug=batch.slug)
    return _done(
        request,
        batch,
        lambda: services.set_pair_rule(batch=batch, **form.cleaned_data, by=request.user),
        "Rule saved: it applies from the next matching run.",
    )


@builder_required
@require_POST
def delete_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(PairRule.objects.select_related("batch"), pk=pk)
    return _done(request, rule.batch, lambda: services.remove_pair_rule(rule=rule, by=request.user), "Rule removed.")


@builder_required
def report(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    not_met = list(queries.pairs_not_met(batch)) if batch.published_at else []
    return render(
        request, "mentorship/manage/report.html", {"batch": batch, "report": batch_report(batch), "not_met": not_met}
    )
