"""Announcements: what is announced, the payload each chat expects, and that each post is made once."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from community.announcements.dags import announcements, find_new, post_announcements, store_announcements
from community.announcements.enums import AnnouncementStatus
from community.announcements.errors import AnnouncementsWaiting
from community.announcements.models import Announcement
from community.announcements.queries import announcement_drafts
from community.podcasts.models import Episode
from community.workshops.models import Workshop
from mentorship.enums import BatchStatus
from mentorship.models import Batch
from tests.community.podcasts.factories import EpisodeFactory
from tests.community.workshops.factories import WorkshopFactory
from tests.factories import BuilderFactory
from tests.mentorship.factories import BatchFactory
from tests.workflows.support import install_dags
from workflows import services as workflow_services
from workflows.enums import DagRunState, TaskState
from workflows.errors import SkipTask
from workflows.models import DagRun, TaskInstance, TaskTry
from workflows.scheduler import Scheduler

pytestmark = pytest.mark.django_db

SLACK_PATH = "/services/T0001/B0001/slack-token"
DISCORD_PATH = "/api/webhooks/42/discord-token"
STARTS = datetime(2031, 4, 2, 17, 30, tzinfo=UTC)


class HookServer(ThreadingHTTPServer):
    """A local chat webhook: records each POST and answers from a script (200 once the script is used up)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.received: list[tuple[str, dict]] = []
        self.script: dict[str, list[tuple[int, dict[str, str], float]]] = {}
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def answer(self, path: str, status: int, *, headers: dict[str, str] | None = None, delay: float = 0) -> None:
        self.script.setdefault(path, []).append((status, headers or {}, delay))

    def handle_error(self, request, client_address) -> None:
        """A client that gave up waiting (the timeout test) closes the socket; that is expected."""


class HookHandler(BaseHTTPRequestHandler):
    server: HookServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append((self.path, body))
            queue = self.server.script.get(self.path.split("?")[0], [])
            status, headers, delay = queue.pop(0) if queue else (200, {}, 0)
        time.sleep(delay)
        answer = b'{"message": "Unknown Webhook"}' if status == 404 else b"ok"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hooks():
    server = HookServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def engine(settings, monkeypatch, tmp_path):
    """The workflow engine in this process: the real DAG, run by the scheduler with the inline executor."""
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    bag = install_dags(monkeypatch, announcements)

    def run_until_done(run: DagRun, *, max_loops: int = 200) -> DagRun:
        def finished() -> bool:
            return DagRun.objects.filter(pk=run.pk, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists()

        Scheduler(executor_names=["inline"], bag=bag, max_loops=max_loops, until=finished).run()
        run.refresh_from_db()
        return run

    return run_until_done


@pytest.fixture
def slack(hooks, settings):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"workshops": [hooks.url(SLACK_PATH)]}
    return hooks


def _run_announcements() -> dict[str, int]:
    """The DAG's tasks in order, as one run executes them."""
    store_announcements.function(find_new.function())
    return post_announcements.function()


def _statuses() -> list[tuple[str, str]]:
    return list(Announcement.objects.order_by("pk").values_list("source", "status"))


def test_announcements_dag_runs_every_ten_minutes_with_retries_for_posting():
    assert (announcements.schedule, announcements.topological_task_ids()) == (
        "*/10 * * * *",
        ["find_new", "store_announcements", "post_announcements"],
    )
    assert announcements.tasks["post_announcements"].retries == 3


def test_new_workshop_posted_to_slack_once_and_rerun_posts_nothing(slack):
    workshop = WorkshopFactory(title="Helm & <friends>", slug="helm", starts_at=STARTS)

    first = _run_announcements()
    again = _run_announcements()

    assert (first, again) == ({"posted": 1, "failed": 0, "unknown": 0}, {"posted": 0, "failed": 0, "unknown": 0})
    assert slack.received == [
        (
            SLACK_PATH,
            {
                "text": "New workshop: Helm &amp; &lt;friends&gt;\n"
                "Wednesday 2 April 2031, 17:30 UTC\n"
                "http://localhost:8000/workshops/helm/"
            },
        )
    ]
    row = Announcement.objects.get()
    assert (row.source, row.object_id, row.status, row.attempts, row.response_status) == (
        "workshops",
        str(workshop.pk),
        AnnouncementStatus.POSTED,
        1,
        200,
    )
    assert slack.url(SLACK_PATH) not in row.webhook_label


def test_new_episode_posted_to_discord_with_content_and_wait(hooks, settings):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"episodes": [hooks.url(DISCORD_PATH)]}
    EpisodeFactory(title="@everyone listen", slug="operators", publish_at=timezone.now() - timedelta(minutes=5))

    _run_announcements()

    assert hooks.received == [
        (
            f"{DISCORD_PATH}?wait=true",
            {
                "content": "New episode: @everyone listen (42 min)\nhttp://localhost:8000/podcast/operators/",
                "allowed_mentions": {"parse": []},
            },
        )
    ]


def test_each_webhook_of_a_source_gets_the_announcement(hooks, settings):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"workshops": [hooks.url(SLACK_PATH), hooks.url(DISCORD_PATH)]}
    WorkshopFactory(starts_at=STARTS)

    _run_announcements()
    _run_announcements()

    assert sorted(path for path, _ in hooks.received) == [f"{DISCORD_PATH}?wait=true", SLACK_PATH]


def test_webhook_429_fails_the_task_and_the_retry_posts_once_after_retry_after(slack):
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 429, headers={"Retry-After": "1"})

    with pytest.raises(AnnouncementsWaiting, match=r"answered 429 \(retry after 1 s\)"):
        _run_announcements()
    assert _statuses() == [("workshops", AnnouncementStatus.PENDING)]

    started = time.monotonic()
    retried = post_announcements.function()
    waited = time.monotonic() - started
    rerun = _run_announcements()

    assert (retried, rerun) == ({"posted": 1, "failed": 0, "unknown": 0}, {"posted": 0, "failed": 0, "unknown": 0})
    assert waited >= 0.5
    assert len(slack.received) == 2  # the throttled one, then the one that was posted
    assert _statuses() == [("workshops", AnnouncementStatus.POSTED)]


def test_webhook_retry_after_beyond_the_wait_limit_is_left_for_later(slack, settings):
    settings.ANNOUNCEMENTS_MAX_WAIT_SECONDS = 0
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 429, headers={"Retry-After": "120"})

    with pytest.raises(AnnouncementsWaiting):
        _run_announcements()
    with pytest.raises(AnnouncementsWaiting, match="asked to wait until"):
        post_announcements.function()

    assert len(slack.received) == 1
    assert _statuses() == [("workshops", AnnouncementStatus.PENDING)]


def test_webhook_500_fails_the_task_and_the_retry_posts_exactly_once(slack):
    first = WorkshopFactory(starts_at=STARTS)
    second = WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 500)

    # The webhook gets nothing more once it failed: the second workshop waits for the retry too.
    with pytest.raises(AnnouncementsWaiting, match=r"^0 posted, 0 failed, 0 unknown, 2 waiting for a retry: .* 500$"):
        _run_announcements()
    retried = post_announcements.function()
    rerun = _run_announcements()

    assert (retried, rerun) == ({"posted": 2, "failed": 0, "unknown": 0}, {"posted": 0, "failed": 0, "unknown": 0})
    assert [body["text"].splitlines()[0] for _, body in slack.received] == [
        f"New workshop: {first.title}",
        f"New workshop: {first.title}",
        f"New workshop: {second.title}",
    ]
    assert _statuses() == [("workshops", AnnouncementStatus.POSTED)] * 2


def test_webhook_404_is_recorded_as_failed_and_not_retried(slack):
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 404)

    assert _run_announcements() == {"posted": 0, "failed": 1, "unknown": 0}
    assert _run_announcements() == {"posted": 0, "failed": 0, "unknown": 0}

    row = Announcement.objects.get()
    assert (row.status, row.response_status, row.response_body, len(slack.received)) == (
        AnnouncementStatus.FAILED,
        404,
        '{"message": "Unknown Webhook"}',
        1,
    )


def test_webhook_without_answer_is_unknown_and_never_posted_again(slack, settings):
    settings.ANNOUNCEMENTS_TIMEOUT_SECONDS = 0.3
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 200, delay=1)

    assert _run_announcements() == {"posted": 0, "failed": 0, "unknown": 1}
    assert _run_announcements() == {"posted": 0, "failed": 0, "unknown": 0}

    assert len(slack.received) == 1
    assert _statuses() == [("workshops", AnnouncementStatus.UNKNOWN)]


def test_no_webhook_configured_skips_with_a_log_line(settings, capsys):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"workshops": [], "episodes": [], "batches": []}
    WorkshopFactory(starts_at=STARTS)

    with pytest.raises(SkipTask):
        find_new.function()

    assert capsys.readouterr().out == (
        "no announcement webhook is configured (ANNOUNCE_WORKSHOP_WEBHOOKS, ANNOUNCE_EPISODE_WEBHOOKS, "
        "ANNOUNCE_BATCH_WEBHOOKS are empty); nothing to announce\n"
    )
    assert Announcement.objects.count() == 0


def test_announcements_run_without_webhooks_succeeds_with_its_tasks_skipped(settings, engine):
    settings.ANNOUNCEMENTS_WEBHOOKS = {}
    WorkshopFactory(starts_at=STARTS)

    run = engine(workflow_services.trigger_dag(dag=announcements))

    states = dict(TaskInstance.objects.filter(run=run).values_list("task_id", "state"))
    log = TaskTry.objects.get(task_instance__run=run, task_instance__task_id="find_new").log
    assert (run.state, states) == (
        DagRunState.SUCCESS,
        {
            "find_new": TaskState.SKIPPED,
            "store_announcements": TaskState.SKIPPED,
            "post_announcements": TaskState.SKIPPED,
        },
    )
    assert "no announcement webhook is configured" in log


def test_announcements_run_retries_after_a_429_and_posts_once(slack, engine):
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 429, headers={"Retry-After": "1"})
    run = workflow_services.trigger_dag(dag=announcements)

    run = engine(run, max_loops=15)
    post = TaskInstance.objects.get(run=run, task_id="post_announcements")
    assert (run.state, post.state) == (DagRunState.RUNNING, TaskState.UP_FOR_RETRY)

    TaskInstance.objects.filter(pk=post.pk).update(next_retry_at=timezone.now())
    run = engine(run)

    post.refresh_from_db()
    assert (run.state, post.state, post.try_number) == (DagRunState.SUCCESS, TaskState.SUCCESS, 2)
    assert post.result == {"posted": 1, "failed": 0, "unknown": 0}
    assert len(slack.received) == 2
    assert _statuses() == [("workshops", AnnouncementStatus.POSTED)]


def test_announcement_drafts_only_within_the_lookback(settings):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"workshops": ["https://hooks.slack.com/services/a"], "episodes": ["x"]}
    settings.ANNOUNCEMENTS_LOOKBACK_HOURS = 24
    now = timezone.now()
    fresh = WorkshopFactory(starts_at=STARTS)
    old = WorkshopFactory(starts_at=STARTS)
    Workshop.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    WorkshopFactory(starts_at=now - timedelta(hours=1))  # created now, but already started
    live = EpisodeFactory(publish_at=now - timedelta(hours=2))
    EpisodeFactory(publish_at=now - timedelta(hours=30))
    EpisodeFactory(publish_at=now + timedelta(hours=1))
    Episode.objects.filter(pk=live.pk).update(created_at=now - timedelta(days=10))  # written long before it aired

    drafts = announcement_drafts(now=timezone.now())

    assert [(d["source"], d["object_id"]) for d in drafts] == [
        ("workshops", str(fresh.pk)),
        ("episodes", str(live.pk)),
    ]


def test_batch_opened_recently_is_announced_by_mentorship(settings, hooks):
    settings.ANNOUNCEMENTS_WEBHOOKS = {"batches": [hooks.url(SLACK_PATH)]}
    opened = BatchFactory(
        name="Spring cohort",
        slug="spring",
        applications_open_at=timezone.now() - timedelta(days=1),
        applications_close_at=datetime(2031, 5, 1, 12, tzinfo=UTC),
    )
    long_open = BatchFactory()
    Batch.objects.filter(pk=long_open.pk).update(updated_at=timezone.now() - timedelta(days=5))
    BatchFactory(status=BatchStatus.DRAFT)

    _run_announcements()

    assert hooks.received == [
        (
            SLACK_PATH,
            {
                "text": "Mentorship applications are open: Spring cohort\n"
                "Apply by Thursday 1 May 2031, 12:00 UTC\n"
                "http://localhost:8000/mentorship/batches/spring/"
            },
        )
    ]
    assert list(Announcement.objects.values_list("source", "object_id")) == [("batches", str(opened.pk))]


def test_admin_post_again_posts_a_failed_announcement(slack, client):
    WorkshopFactory(starts_at=STARTS)
    slack.answer(SLACK_PATH, 404)
    _run_announcements()
    row = Announcement.objects.get()
    client.force_login(BuilderFactory(is_superuser=True))

    response = client.post(
        reverse("admin:announcements_announcement_changelist"),
        {"action": "post_again", "_selected_action": [row.pk]},
        follow=True,
    )

    row.refresh_from_db()
    assert response.status_code == 200
    assert (row.status, row.attempts, len(slack.received)) == (AnnouncementStatus.POSTED, 2, 2)
    assert f"Posted to {row.webhook_label}." in response.content.decode()
