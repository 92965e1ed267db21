from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.availability import Slot, slots_by_day
from community.chats import services
from community.chats.conf import app_settings
from community.chats.enums import ChatOutcome
from community.chats.errors import ChatError
from community.chats.forms import (
    BlockDateForm,
    BookingForm,
    CancelForm,
    HostFilterForm,
    HostForm,
    OutcomeForm,
    RuleFormSet,
    SlotChoiceForm,
)
from community.chats.models import CoffeeChat, Host
from community.chats.queries import (
    chat_for_participant,
    chats_for_member,
    host_for_viewer,
    hosts_for_browsing,
    open_slots_for_host,
    slot_refusal,
)
from community.members.zones import member_zone

HOSTS_PER_PAGE = 20


def _viewer_zone() -> ZoneInfo:
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def _zone_label(zone: ZoneInfo) -> str:
    return zone.key.replace("_", " ")


def _city(zone: ZoneInfo) -> str:
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def _host_time_label(start: datetime, host: Host) -> str:
    # Formatted here: the template date filters would convert it back to the viewer's zone.
    local = start.astimezone(host.zone)
    return f"{local:%A %H:%M} {local.tzname()}"


def _slot_rows(slots: list[Slot], host: Host) -> list[tuple[date, list[dict[str, Any]]]]:
    """Slots grouped by the viewer's calendar day, each also naming the host's local time."""
    viewer_zone = _viewer_zone()
    host_zone = host.zone
    same_zone = viewer_zone.key == host_zone.key
    rows = []
    for day, day_slots in slots_by_day(slots, viewer_zone):
        entries = []
        for slot in day_slots:
            host_local = slot.start.astimezone(host_zone)
            entries.append(
                {
                    "start": slot.start,
                    "end": slot.end,
                    "iso": slot.start.isoformat(),
                    "host_time": "" if same_zone else f"{host_local:%H:%M} {host_local.tzname()} ({host_local:%a})",
                }
            )
        rows.append((day, entries))
    return rows


@require_safe
def host_list(request: HttpRequest) -> HttpResponse:
    form = HostFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        area = form.cleaned_data["area"]
        filters = {
            "area_slug": area.slug if area else "",
            "topic": form.cleaned_data["topic"].strip(),
            "only_with_slots": form.cleaned_data["soon"],
        }
    listings = hosts_for_browsing(
        viewer=request.user,
        now=timezone.now(),
        soon=timedelta(days=app_settings.BROWSE_WINDOW_DAYS),
        **filters,
    )
    page = Paginator(listings, HOSTS_PER_PAGE).get_page(request.GET.get("page"))
    own_host = Host.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "chats/host_list.html",
        {
            "form": form,
            "page": page,
            "own_host": own_host,
            "querystring": query.urlencode(),
            "zone_label": _zone_label(_viewer_zone()),
            "window_days": app_settings.BROWSE_WINDOW_DAYS,
        },
    )


@require_safe
def host_detail(request: HttpRequest, slug: str) -> HttpResponse:
    host = host_for_viewer(viewer=request.user, slug=slug)
    if host is None:
        raise Http404("No such host.")
    slots = open_slots_for_host(host, now=timezone.now())
    return render(
        request,
        "chats/host_detail.html",
        {
            "host": host,
            "days": _slot_rows(slots, host),
            "is_self": request.user.is_authenticated and request.user.pk == host.user_id,
            "zone_label": _zone_label(_viewer_zone()),
            "host_zone_label": _zone_label(host.zone),
            "host_city": _city(host.zone),
        },
    )


def _slot_from_query(request: HttpRequest) -> tuple[datetime | None, str]:
    """The slot chosen on the host's page, or None and what to tell the member."""
    form = SlotChoiceForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["start"], ""
    if form.has_error("start", "too_far") or form.has_error("start", "passed"):
        return None, form.errors["start"][0]
    return None, "Please pick a time from the host's open slots."


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    host = host_for_viewer(viewer=request.user, slug=slug)
    if host is None:
        raise Http404("No such host.")
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                chat = services.book_chat(
                    guest=request.user,
                    host=host,
                    start=form.cleaned_data["start"],
                    topic=form.cleaned_data["topic"],
                    note=form.cleaned_data["note"],
                )
            except ChatError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Your coffee chat is booked. We sent you an email with a calendar invite.")
                return redirect("chats:detail", pk=chat.pk)
        start = form.cleaned_data.get("start") if hasattr(form, "cleaned_data") else None
    else:
        start, problem = _slot_from_query(request)
        if start is None:
            messages.error(request, problem)
            return redirect("chats:host", slug=slug)
        form = BookingForm(initial={"start": start.isoformat()})
        refusal = slot_refusal(host, start=start, now=timezone.now())
        if refusal is not None:
            messages.error(request, refusal.value)
            return redirect("chats:host", slug=slug)
    suggestions = [area.name for area in host.areas.all()] + host.topic_list
    if suggestions:
        form.fields["topic"].widget.attrs["list"] = "topic-suggestions"
    return render(
        request,
        "chats/book.html",
        {
            "host": host,
            "form": form,
            "start": start,
            "end": start + timedelta(minutes=host.slot_minutes) if start else None,
            "host_time_label": _host_time_label(start, host) if start else "",
            "zone_label": _zone_label(_viewer_zone()),
            "host_zone_label": _zone_label(host.zone),
            "suggestions": suggestions,
        },
    )


@login_required
@require_safe
def my_chats(request: HttpRequest) -> HttpResponse:
    chats = chats_for_member(member=request.user, now=timezone.now())
    return render(
        request,
        "chats/my_chats.html",
        {
            "upcoming": [_for_viewer(chat, request) for chat in chats.upcoming],
            "past": [_for_viewer(chat, request) for chat in chats.past],
            "now": timezone.now(),
            "outcome_choices": ChatOutcome.choices,
            "own_host": Host.objects.filter(user=request.user).first(),
            "zone_label": _zone_label(_viewer_zone()),
        },
    )


def _for_viewer(chat: CoffeeChat, request: HttpRequest) -> CoffeeChat:
    chat.viewer_is_host = chat.host.user_id == request.user.pk  # type: ignore[attr-defined]
    return chat


def _participant_chat(request: HttpRequest, pk: int) -> CoffeeChat:
    chat = chat_for_participant(member=request.user, chat_id=pk)
    if chat is None:
        raise Http404("No such chat.")
    return _for_viewer(chat, request)


@login_required
@require_safe
def chat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _participant_chat(request, pk)
    return render(
        request,
        "chats/chat_detail.html",
        {
            "chat": chat,
            "is_host": chat.viewer_is_host,  # type: ignore[attr-defined]
            "now": timezone.now(),
            "outcome_choices": ChatOutcome.choices,
            "host_time_label": _host_time_label(chat.start, chat.host),
            "zone_label": _zone_label(_viewer_zone()),
            "host_zone_label": _zone_label(chat.host.zone),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _participant_chat(request, pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_chat(chat=chat, by=request.user, reason=form.cleaned_data["reason"])
        except ChatError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The chat is cancelled; we let both of you know.")
        return redirect("chats:detail", pk=chat.pk)
    return render(
        request,
        "chats/cancel.html",
        {"chat": chat, "form": form, "now": timezone.now(), "zone_label": _zone_label(_viewer_zone())},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _participant_chat(request, pk)
    form = SlotChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reschedule_chat(chat=chat, by=request.user, start=form.cleaned_data["start"])
        except ChatError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "The chat has a new time; we sent both of you an updated invite.")
            return redirect("chats:detail", pk=chat.pk)
    slots = open_slots_for_host(chat.host, now=timezone.now(), exclude_chat=chat)
    slots = [slot for slot in slots if slot.start != chat.start]
    return render(
        request,
        "chats/reschedule.html",
        {
            "chat": chat,
            "form": form,
            "days": _slot_rows(slots, chat.host),
            "can_move": chat.is_booked and chat.start > timezone.now(),
            "zone_label": _zone_label(_viewer_zone()),
            "host_city": _city(chat.host.zone),
        },
    )


@login_required
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _participant_chat(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether the chat took place or the guest did not come.")
    else:
        try:
            services.mark_chat_outcome(chat=chat, by=request.user, outcome=form.cleaned_data["outcome"])
        except ChatError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Thanks, noted.")
    if request.POST.get("next") == "mine":
        return redirect("chats:mine")
    return redirect("chats:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def host_settings(request: HttpRequest) -> HttpResponse:
    host = Host.objects.filter(user=request.user).prefetch_related("rules", "areas").first()
    initial_rules = [{"weekday": r.weekday, "start": r.start, "end": r.end} for r in host.rules.all()] if host else []
    if request.method == "POST":
        form = HostForm(request.POST, instance=host)
        formset = RuleFormSet(request.POST, initial=initial_rules, prefix="rules")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            services.save_host(
                member=request.user,
                areas=data["areas"],
                topics=data["topics"],
                intro=data["intro"],
                slot_minutes=data["slot_minutes"],
                buffer_minutes=data["buffer_minutes"],
                min_notice_hours=data["min_notice_hours"],
                horizon_days=data["horizon_days"],
                weekly_cap=data["weekly_cap"],
                is_active=data["is_active"],
                rules=formset.rules(),
            )
            messages.success(request, "Your coffee chat settings are saved." if host else "You are now a host.")
            return redirect("chats:host_settings")
    else:
        form = HostForm(instance=host)
        formset = RuleFormSet(initial=initial_rules, prefix="rules")
    return render(
        request,
        "chats/host_settings.html",
        {
            "host": host,
            "form": form,
            "formset": formset,
            "block_form": BlockDateForm(today=_host_today(request)),
            "blocked": host.blocked_dates.all() if host else [],
            "zone_label": _zone_label(member_zone(request.user)),
        },
    )


def _host_today(request: HttpRequest) -> date:
    return timezone.now().astimezone(member_zone(request.user)).date()


@login_required
@require_POST
def block_date(request: HttpRequest) -> HttpResponse:
    host = Host.objects.filter(user=request.user).first()
    if host is None:
        messages.error(request, "Become a host first.")
        return redirect("chats:host_settings")
    form = BlockDateForm(request.POST, today=_host_today(request))
    if form.is_valid():
        blocked = services.block_date(host=host, day=form.cleaned_data["day"], reason=form.cleaned_data["reason"])
        messages.success(request, f"No chats can be booked on {blocked.date:%A %-d %B %Y}.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("chats:host_settings") + "#blocked-dates")


@login_required
@require_POST
def unblock_date(request: HttpRequest, day: str) -> HttpResponse:
    host = Host.objects.filter(user=request.user).first()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404("No such date.") from None
    if host is not None:
        services.unblock_date(host=host, day=parsed)
        messages.success(request, f"{parsed:%A %-d %B %Y} is open for chats again.")
    return redirect(reverse("chats:host_settings") + "#blocked-dates")
