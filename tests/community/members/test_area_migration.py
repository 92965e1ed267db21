"""Area moved from mentorship to members in the migration state only: a database from before the move
keeps its Areas (same ids) and every link to them, on PostgreSQL and on SQLite alike."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from community.chats.models import Host
from community.members.models import Area, Profile
from community.workshops.models import Workshop
from mentorship.models import MenteeApplication, MentorApplication

# The migrations that move Area; each app is taken back to the migration just before its own.
MOVE = [
    ("members", "0005_area"),
    ("chats", "0003_host_areas_from_members"),
    ("workshops", "0003_workshop_areas_from_members"),
    ("mentorship", "0006_area_belongs_to_members"),
]


def before_the_move(executor: MigrationExecutor) -> list[tuple[str, str]]:
    graph = executor.loader.graph
    return [parent.key for app, name in MOVE for parent in graph.node_map[(app, name)].parents if parent.key[0] == app]


@pytest.fixture
def executor(transactional_db):
    executor = MigrationExecutor(connection)
    yield executor
    # Whatever the test did, the next one finds the database at the newest migrations.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(executor: MigrationExecutor, targets: list[tuple[str, str]]):
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_members_migrations_do_not_depend_on_mentorship(executor):
    graph = executor.loader.graph
    members = [key for key in graph.nodes if key[0] == "members"]

    assert [key for key in members for dep in graph.node_map[key].parents if dep.key[0] == "mentorship"] == []


def test_an_area_from_before_the_move_keeps_its_id_name_and_links(executor):
    old = migrate(executor, before_the_move(executor))
    area = old.get_model("mentorship", "Area").objects.create(name="Chaos engineering", slug="chaos", position=9)
    member = old.get_model("members", "User").objects.create(username="ada", email="ada@example.org")
    profile = old.get_model("members", "Profile").objects.create(user=member, display_name="Ada", slug="ada")
    # The profile's link table predates the move, but its field joins members' state only with the move.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_profile_interests (profile_id, area_id) VALUES (%s, %s)", [profile.pk, area.pk]
        )
    old.get_model("chats", "Host").objects.create(user=member).areas.add(area)
    old.get_model("workshops", "Workshop").objects.create(
        title="Breaking things on purpose",
        slug="chaos",
        description="Game days.",
        starts_at=datetime(2030, 1, 1, 16, tzinfo=UTC),
        ends_at=datetime(2030, 1, 1, 17, tzinfo=UTC),
        capacity=10,
        join_url="https://meet.example.org/chaos",
    ).areas.add(area)
    batch = old.get_model("mentorship", "Batch").objects.create(
        name="Cohort",
        slug="cohort",
        applications_open_at=datetime(2030, 1, 1, tzinfo=UTC),
        applications_close_at=datetime(2030, 2, 1, tzinfo=UTC),
        program_starts_on=date(2030, 3, 1),
        program_ends_on=date(2030, 6, 1),
    )
    common = {"batch": batch, "member": member, "years_experience": 5, "time_zone": "UTC", "hours_per_month": 4}
    old.get_model("mentorship", "MentorApplication").objects.create(current_role="SRE", **common).areas.add(area)
    mentee = old.get_model("mentorship", "MenteeApplication").objects.create(goals="Run a game day", **common)
    old.get_model("mentorship", "MenteeAreaChoice").objects.create(application=mentee, area=area, rank=1)
    old_content_type = old.get_model("contenttypes", "ContentType").objects.get(app_label="mentorship", model="area")

    migrate(executor, executor.loader.graph.leaf_nodes())

    moved = Area.objects.get(pk=area.pk)
    assert (moved.pk, moved.name, moved.slug, moved.position) == (area.pk, "Chaos engineering", "chaos", 9)
    assert list(Profile.objects.get(pk=profile.pk).interests.all()) == [moved]
    assert list(Host.objects.get(user_id=member.pk).areas.all()) == [moved]
    assert list(Workshop.objects.get(slug="chaos").areas.all()) == [moved]
    assert list(MentorApplication.objects.get(member_id=member.pk).areas.all()) == [moved]
    assert list(MenteeApplication.objects.get(pk=mentee.pk).areas.all()) == [moved]
    assert list(moved.interested_profiles.values_list("pk", flat=True)) == [profile.pk]
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Area).pk == old_content_type.pk


def test_going_back_before_the_move_keeps_the_areas(executor):
    area = Area.objects.create(name="Chaos engineering", slug="chaos")

    old = migrate(executor, before_the_move(executor))

    assert old.get_model("mentorship", "Area").objects.filter(pk=area.pk, name="Chaos engineering").exists()
