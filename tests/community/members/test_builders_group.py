"""Builders (staff) hold the workflow engine's permissions through the Builders group; members do not."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from community.members.models import User
from tests.factories import BuilderFactory, UserFactory

WORKFLOWS_PERMISSIONS = {
    "workflows.view_dagrun",
    "workflows.trigger_dagrun",
    "workflows.pause_dagrecord",
    "workflows.clear_taskinstance",
    "workflows.mark_taskinstance",
}


def _fresh(user):
    # Permissions are cached on the user object.
    return User.objects.get(pk=user.pk)


@pytest.mark.django_db
def test_a_staff_user_is_a_builder_and_holds_the_workflows_permissions_through_the_group():
    builder = BuilderFactory()
    assert list(builder.groups.values_list("name", flat=True)) == ["Builders"]
    assert _fresh(builder).get_all_permissions() == WORKFLOWS_PERMISSIONS
    assert _fresh(builder).get_user_permissions() == set()


@pytest.mark.django_db
def test_a_member_who_is_not_staff_is_in_no_group_and_holds_no_workflows_permission():
    member = UserFactory()
    assert list(member.groups.all()) == []
    assert _fresh(member).get_all_permissions() == set()


@pytest.mark.django_db
def test_staff_status_given_or_taken_moves_the_user_in_or_out_of_the_group():
    member = UserFactory()
    member.is_staff = True
    member.save()
    assert _fresh(member).has_perm("workflows.trigger_dagrun") is True
    member.is_staff = False
    member.save()
    assert (_fresh(member).has_perm("workflows.trigger_dagrun"), member.groups.count()) == (False, 0)


@pytest.mark.django_db
def test_an_inactive_staff_user_keeps_the_group_but_no_permission():
    builder = BuilderFactory(is_active=False)
    assert (builder.groups.count(), _fresh(builder).get_all_permissions()) == (1, set())


@pytest.mark.django_db
def test_a_login_stamp_leaves_the_groups_alone(django_assert_num_queries):
    builder = BuilderFactory()
    with django_assert_num_queries(1):
        builder.save(update_fields=["last_login"])


@pytest.mark.django_db
def test_the_group_is_made_again_with_its_permissions_when_it_is_gone():
    Group.objects.filter(name="Builders").delete()
    builder = BuilderFactory()
    assert _fresh(builder).get_all_permissions() == WORKFLOWS_PERMISSIONS


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_every_existing_staff_user_in_the_group():
    before = [("members", "0003_profile_slug_unique")]
    after = [("members", "0004_builders_group_workflows_permissions")]
    builder, member = BuilderFactory(), UserFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert not Group.objects.filter(name="Builders").exists()
    # Staff made while the group did not exist, without signals, as the rows of a database being upgraded.
    other = UserFactory()
    User.objects.filter(pk=other.pk).update(is_staff=True)
    MigrationExecutor(connection).migrate(after)
    group = Group.objects.get(name="Builders")
    assert set(group.user_set.values_list("pk", flat=True)) == {builder.pk, other.pk}
    assert {f"workflows.{p}" for p in group.permissions.values_list("codename", flat=True)} == WORKFLOWS_PERMISSIONS
    assert _fresh(member).get_all_permissions() == set()


@pytest.mark.django_db
def test_the_demo_builder_is_in_the_group_and_demo_members_hold_no_workflows_permission():
    from community.members.demo_members import seed_members

    builder, members = seed_members()
    assert list(builder.groups.values_list("name", flat=True)) == ["Builders"]
    assert {p for member in members for p in _fresh(member).get_all_permissions()} == set()
