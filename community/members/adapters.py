"""allauth adapters: every account gets a Profile, and two-factor authentication is offered to
builders. Account emails go through the outbox, which stands on members: its adapter
(`community.notifications.accounts`) extends the one here."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.forms import Form
from django.http import Http404, HttpRequest

from community.members import services
from community.members.models import User
from community.members.permissions import is_builder


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: Form, commit: bool = True) -> User:  # type: ignore[override]
        saved = super().save_user(request, user, form, commit=commit)
        if commit:
            # The sign-up form fills the profile in right after; creating it here first means no code
            # path (a custom form, a future flow) can leave an account without one.
            services.ensure_profile(user=saved)
        return saved


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> SocialApp:
        """A provider with no app configured (no client id and secret) is not offered, so its
        addresses (`/accounts/github/login/`, its callback) answer 404 instead of a server error."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404(f"Signing in with {provider} is not set up on this site.") from None

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Form | None = None) -> User:  # type: ignore[override]
        user = super().save_user(request, sociallogin, form=form)
        services.ensure_profile(user=user)
        return user

    def get_signup_form_initial_data(self, sociallogin: SocialLogin) -> dict[str, Any]:
        initial = super().get_signup_form_initial_data(sociallogin)
        name = (sociallogin.account.extra_data or {}).get("name") or ""
        if name:
            initial["display_name"] = str(name)[:80]
        return initial


class MFAAdapter(DefaultMFAAdapter):
    def is_mfa_offered_to(self, user: Any) -> bool:
        """Builders may protect their account with TOTP. A member who set it up while a builder keeps
        access to the pages, so that they can still see recovery codes or switch it off."""
        if not user.is_authenticated:
            return False
        return is_builder(user) or Authenticator.objects.filter(user_id=user.pk).exists()
