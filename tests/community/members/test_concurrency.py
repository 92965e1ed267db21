import threading

import pytest
from django.db import connection

from community.members.models import Profile
from tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_members_with_the_same_name_signing_up_at_once_get_distinct_addresses():
    users = [UserFactory(profile=None) for _ in range(6)]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def create(user):
        try:
            barrier.wait(timeout=10)
            Profile.objects.create(user=user, display_name="Ada Lovelace")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    slugs = list(Profile.objects.filter(display_name="Ada Lovelace").values_list("slug", flat=True))
    assert errors == []
    assert len(slugs) == 6
    assert len(set(slugs)) == 6
    assert "ada-lovelace" in slugs
