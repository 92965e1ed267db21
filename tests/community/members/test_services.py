from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from community.members.models import User
from community.members.services import delete_unverified_accounts
from tests.factories import BuilderFactory, UserFactory

pytestmark = pytest.mark.django_db


def signed_up(username: str, *, days_ago: int, verified: bool = False, logged_in: bool = False, **kwargs) -> User:
    """A member who signed up `days_ago` days ago with one address, verified or not."""
    factory = kwargs.pop("factory", UserFactory)
    user = factory(
        username=username,
        verified_email=False,
        date_joined=timezone.now() - timedelta(days=days_ago),
        last_login=timezone.now() if logged_in else None,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


def test_delete_unverified_accounts_deletes_only_abandoned_sign_ups(settings):
    settings.MEMBERS_UNVERIFIED_ACCOUNT_DAYS = 14
    signed_up("abandoned", days_ago=15)
    signed_up("recent", days_ago=13)
    signed_up("verified", days_ago=30, verified=True)
    signed_up("used", days_ago=30, logged_in=True)
    signed_up("staff", days_ago=30, factory=BuilderFactory)
    second = signed_up("second-address", days_ago=30)
    EmailAddress.objects.create(user=second, email="other@example.org", verified=True)
    UserFactory(username="made-by-hand", verified_email=False, date_joined=timezone.now() - timedelta(days=30))

    assert delete_unverified_accounts(dry_run=True) == 1
    assert User.objects.filter(username="abandoned").exists()
    assert delete_unverified_accounts() == 1

    assert sorted(User.objects.values_list("username", flat=True)) == [
        "made-by-hand",
        "recent",
        "second-address",
        "staff",
        "used",
        "verified",
    ]
    assert not EmailAddress.objects.filter(email="abandoned@example.org").exists()


def test_delete_unverified_accounts_follows_the_configured_age(settings):
    settings.MEMBERS_UNVERIFIED_ACCOUNT_DAYS = 3
    signed_up("four-days", days_ago=4)

    assert delete_unverified_accounts() == 1
    assert delete_unverified_accounts() == 0
