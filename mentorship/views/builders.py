"""Builder pages: batches, the review screen, publishing, the report."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from community.members.permissions import builder_required
from mentorship import queries, services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.errors import MentorshipError
from mentorship.forms import BatchForm, PairRuleForm, SwapForm
from mentorship.models import Batch, Match, MatchingRun, PairRule
from mentorship.reports import batch_report

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
        "last_run": MatchingRun.objects.filter(batch=batch).order_by("-requested_at", "-pk").first(),
        "transitions": [s for s in batch.next_statuses if s in TRANSITION_SERVICES],
        "swap_form": SwapForm(batch=batch) if batch.status == BatchStatus.PROPOSED else None,
        "rule_form": PairRuleForm(batch=batch) if batch.status == BatchStatus.PROPOSED else None,
        "applications": {
            "mentors": queries.mentor_applications(batch).count(),
            "mentees": queries.mentee_applications(batch).count(),
        },
    }
    return render(request, "mentorship/manage/review.html", context)


def _done(request: HttpRequest, batch: Batch, action, success: str) -> HttpResponse:
    try:
        action()
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("mentorship:review", slug=batch.slug)


@builder_required
@require_POST
def transition(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    target = request.POST.get("to", "")
    service = TRANSITION_SERVICES.get(target)
    if service is None:
        messages.error(request, "Choose one of the status changes offered on the page.")
        return redirect("mentorship:review", slug=batch.slug)
    label = BatchStatus(target).label.lower()
    return _done(request, batch, lambda: service(batch=batch, by=request.user), f"{batch.name} is now {label}.")


@builder_required
@require_POST
def run(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
    try:
        result = services.run_matching(batch=batch, by=request.user)
    except MentorshipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Matching proposed {result.pairs} pair(s) for {result.mentees} mentee(s); "
            f"{result.unmatched} unmatched. Total score {result.total_score:g} ({result.duration_ms} ms).",
        )
    return redirect("mentorship:review", slug=batch.slug)


@builder_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    batch = get_object_or_404(Batch, slug=slug)
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
