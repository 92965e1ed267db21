import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.test import RequestFactory

from community.members.adapters import SocialAccountAdapter
from community.members.models import Profile, User

GITHUB = {"github": {"APPS": [{"client_id": "id-123", "secret": "secret-456"}]}}


@pytest.mark.django_db
def test_social_buttons_are_hidden_when_no_provider_is_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    for path in ("/accounts/login/", "/accounts/signup/"):
        body = client.get(path).content.decode()
        assert "Continue with GitHub" not in body
        assert "Continue with Google" not in body


@pytest.mark.django_db
def test_social_button_appears_for_a_configured_provider_only(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = GITHUB

    body = client.get("/accounts/login/").content.decode()

    assert "Continue with GitHub" in body
    assert 'action="/accounts/github/login/?process=login"' in body
    assert "Continue with Google" not in body


def test_social_sign_up_goes_through_the_form_with_the_code_of_conduct(settings):
    # Auto sign-up would create accounts that never ticked the code of conduct.
    assert settings.SOCIALACCOUNT_AUTO_SIGNUP is False


@pytest.mark.django_db
def test_social_signup_form_requires_the_code_of_conduct(rf: RequestFactory):
    from allauth.socialaccount.forms import SignupForm

    user = User(email="octo@example.org")
    sociallogin = SocialLogin(user=user, account=SocialAccount(provider="github", uid="1", extra_data={}))
    form = SignupForm(
        data={"email": "octo@example.org", "display_name": "Octo Cat", "time_zone": "UTC"}, sociallogin=sociallogin
    )

    assert not form.is_valid()
    assert form.errors["accept_code_of_conduct"] == ["You must accept the code of conduct to join the community."]


@pytest.mark.django_db
def test_social_signup_creates_a_profile_with_the_acceptance_time(rf: RequestFactory):
    from allauth.socialaccount.forms import SignupForm

    request = rf.post("/accounts/3rdparty/signup/")
    request.session = {}
    user = User(email="octo@example.org")
    sociallogin = SocialLogin(
        user=user, account=SocialAccount(provider="github", uid="1", extra_data={"name": "Octo Cat"})
    )
    form = SignupForm(
        data={
            "email": "octo@example.org",
            "display_name": "Octo Cat",
            "time_zone": "Africa/Lagos",
            "accept_code_of_conduct": "on",
        },
        sociallogin=sociallogin,
    )
    assert form.is_valid(), form.errors

    saved = form.save(request)

    profile = Profile.objects.get(user=saved)
    assert (profile.display_name, profile.time_zone, profile.slug) == ("Octo Cat", "Africa/Lagos", "octo-cat")
    assert profile.code_of_conduct_accepted_at is not None


def test_social_signup_form_is_prefilled_with_the_providers_name():
    user = User(email="octo@example.org")
    sociallogin = SocialLogin(
        user=user, account=SocialAccount(provider="github", uid="1", extra_data={"name": "Octo Cat"})
    )

    initial = SocialAccountAdapter().get_signup_form_initial_data(sociallogin)

    assert initial["display_name"] == "Octo Cat"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/github/login/", "/accounts/google/login/", "/accounts/github/login/callback/"]
)
def test_provider_that_is_not_configured_answers_not_found(client, settings, path):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
