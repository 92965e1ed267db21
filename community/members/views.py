from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from community.members import queries, services
from community.members.conf import app_settings
from community.members.enums import Visibility
from community.members.errors import MembersError
from community.members.forms import DirectoryFilterForm, ProfileForm
from community.members.profile_sections import profile_sections


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    newest_public = queries.visible_profiles(viewer=None).prefetch_related("interests").order_by("-created_at")
    faces = list(newest_public[: app_settings.HOME_FACES])
    return render(request, "members/home.html", {"faces": faces})


@require_safe
def code_of_conduct(request: HttpRequest) -> HttpResponse:
    return render(request, "members/code_of_conduct.html", {"conduct_contact": app_settings.CONDUCT_CONTACT})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = services.ensure_profile(user=request.user)  # type: ignore[arg-type]
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            try:
                profile = services.update_profile(profile=profile, changes=form.changes())
            except MembersError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("members:profile_edit")
        # A refused edit must not leak into the rest of the page (the nav shows the display name).
        profile.refresh_from_db()
    else:
        form = ProfileForm(instance=profile)
    return render(
        request,
        "members/profile_edit.html",
        {
            "form": form,
            "profile": profile,
        },
    )


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    name = area = ""
    if form.is_bound and form.is_valid():
        name, area = form.cleaned_data["q"], form.cleaned_data["area"]
    profiles = queries.directory_profiles(viewer=request.user, name=name, area_slug=area)
    page = Paginator(profiles, app_settings.DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "members/_directory_results.html" if request.htmx else "members/directory.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
            "filtered": bool(name or area),
            "anonymous": not request.user.is_authenticated,
        },
    )


@require_safe
def profile_detail(request: HttpRequest, slug: str) -> HttpResponse:
    profile = queries.profile_for_viewer(viewer=request.user, slug=slug)
    if profile is None:
        # The same answer whether the profile is missing or hidden, so hidden members cannot be probed.
        raise Http404("No such member, or their profile is visible to signed-in members only.")
    is_own = request.user.is_authenticated and profile.user_id == request.user.pk
    return render(
        request,
        "members/profile_detail.html",
        {
            "profile": profile,
            "is_own": is_own,
            "sections": [
                render_to_string(section.template_name, section.context, request=request)
                for section in profile_sections(profile=profile, viewer=request.user)
            ],
            "members_only": profile.visibility == Visibility.MEMBERS,
            "their_now": timezone.now(),
        },
    )
