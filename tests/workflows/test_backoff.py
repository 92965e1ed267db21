"""Exponential backoff and Retry-After: the one home of both, for task retries, pods and webhooks."""

from datetime import UTC, datetime, timedelta

import pytest

from workflows.backoff import exponential_backoff, parse_retry_after

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_backoff_doubles_from_base_for_each_attempt():
    assert [exponential_backoff(n, base=10) for n in range(5)] == [10, 20, 40, 80, 160]


def test_backoff_stops_growing_at_its_cap():
    assert [exponential_backoff(n, base=0.1, cap=1.0) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_backoff_grows_by_the_factor_given():
    assert [exponential_backoff(n, base=1, factor=3) for n in range(4)] == [1, 3, 9, 27]


def test_backoff_of_a_negative_attempt_is_shorter_than_base():
    assert exponential_backoff(-1, base=60) == 30


def test_backoff_after_thousands_of_attempts_is_the_cap_not_an_overflow():
    assert exponential_backoff(5000, base=0.2, cap=30.0) == 30.0
    assert exponential_backoff(5000, base=0.2) == float("inf")


def test_task_retry_delays_follow_the_backoff_with_max_retry_delay_as_cap():
    from workflows.sdk import DAG, task

    with DAG("retries") as d:
        task(retries=5, retry_delay=10, retry_exponential_backoff=True, max_retry_delay=60)(lambda: 1).override(
            task_id="job"
        )()
    delays = [d.tasks["job"].retry_delay_for(n) for n in range(1, 6)]
    assert delays == [timedelta(seconds=s) for s in (10, 20, 40, 60, 60)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 2 ", 2.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Mon, 02 Mar 2026 12:01:30 GMT", 90.0),
        ("Mon, 02 Mar 2026 11:00:00 GMT", 0.0),
        ("Mon, 02 Mar 2026 13:00:00 +0100", 0.0),
        ("Mon, 02 Mar 2026 13:00:00 +0000", 3600.0),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 32 Foo 2026"])
def test_retry_after_missing_or_unreadable_is_none(value):
    assert parse_retry_after(value, now=NOW) is None


def test_retry_after_date_without_a_zone_is_read_as_utc():
    assert parse_retry_after("Mon, 02 Mar 2026 12:00:10", now=NOW) == 10.0


def test_kubernetes_api_error_retry_after_is_read_from_either_spelling_of_the_header():
    from kubernetes.client.exceptions import ApiException

    from workflows.kubernetes.client import retry_after_seconds

    def error(headers):
        exc = ApiException(status=429, reason="Too Many Requests")
        exc.headers = headers
        return exc

    assert [
        retry_after_seconds(error({"Retry-After": "3"})),
        retry_after_seconds(error({"retry-after": "-1"})),
        retry_after_seconds(error({})),
        retry_after_seconds(error(None)),
    ] == [3.0, 0.0, None, None]
