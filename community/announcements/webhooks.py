"""Posting a message to a Slack or Discord incoming webhook. No model and no database here.

Which payload a webhook gets is decided by its host:
- hooks.slack.com: Slack's `{"text": ...}`, with &, < and > escaped so a title cannot ping `<!channel>`.
- discord.com, discordapp.com (and their ptb/canary hosts): Discord's `{"content": ...}` with mentions
  disabled, posted to the address with `?wait=true` so that a 2xx answer means the message exists.
- any other host (a proxy, a self-hosted chat): a path shaped like Discord's (`/api/webhooks/<id>/<token>`)
  is treated as Discord; anything else gets the Slack shape, which Mattermost and Rocket.Chat accept too.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from community.announcements.enums import WebhookFlavour
from workflows.backoff import parse_retry_after

SLACK_HOSTS = frozenset({"hooks.slack.com"})
DISCORD_HOSTS = frozenset(
    {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com", "ptb.discordapp.com"}
)


def flavour_of(url: str) -> WebhookFlavour:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in SLACK_HOSTS:
        return WebhookFlavour.SLACK
    if host in DISCORD_HOSTS or parts.path.startswith("/api/webhooks/"):
        return WebhookFlavour.DISCORD
    return WebhookFlavour.SLACK


def webhook_id(url: str) -> str:
    """A stable fingerprint of the address, stored instead of the address (which holds the token)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def webhook_label(url: str) -> str:
    """The host and the first path segment, e.g. "hooks.slack.com/services/… #1a2b3c4d" (token hidden)."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    head = f"/{segments[0]}/…" if segments else ""
    return f"{parts.netloc}{head} #{webhook_id(url)[:8]}"


def target_url(url: str) -> str:
    """The address to post to: Discord's with wait=true, so its answer tells whether the message was created."""
    if flavour_of(url) is not WebhookFlavour.DISCORD:
        return url
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "wait"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("wait", "true")])))


def payload(url: str, text: str) -> dict[str, object]:
    if flavour_of(url) is WebhookFlavour.DISCORD:
        return {"content": text[:2000], "allowed_mentions": {"parse": []}}
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"text": escaped}


@dataclass(frozen=True)
class PostResult:
    """What one POST came to. `delivered` is True (2xx), False (surely not posted) or None (cannot tell)."""

    delivered: bool | None
    status: int | None = None
    body: str = ""
    retry_after: float | None = None
    retryable: bool = False
    """Not posted, and worth trying again: throttled (429), a server error (5xx), or no connection made."""


def post(url: str, text: str, *, timeout: float) -> PostResult:
    """POST the message once; never raises for network or HTTP trouble, it is all in the result.

    urllib wraps failures of connecting and sending in URLError: the server never had the request, so
    it surely was not posted. A failure while waiting for the answer (timeout, dropped connection) may
    come after the server acted on the request: the outcome is unknown.
    """
    if urlsplit(url).scheme not in {"http", "https"}:
        return PostResult(delivered=False, body="not sent: the address must start with https://")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        target_url(url),
        data=json.dumps(payload(url, text)).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "wicn-announcements"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return PostResult(delivered=True, status=response.status, body=_read(response))
    except urllib.error.HTTPError as answer:
        return PostResult(
            delivered=False,
            status=answer.code,
            body=_read(answer),
            retry_after=parse_retry_after(answer.headers.get("Retry-After")),
            retryable=answer.code == 429 or answer.code >= 500,
        )
    except urllib.error.URLError as exc:
        return PostResult(delivered=False, body=f"not sent: {exc.reason}", retryable=True)
    except (OSError, http.client.HTTPException) as exc:
        return PostResult(delivered=None, body=f"no answer: {type(exc).__name__}: {exc}")


def _read(response: object) -> str:
    try:
        return response.read(4000).decode("utf-8", "replace")  # type: ignore[attr-defined]
    except (OSError, http.client.HTTPException):
        return ""
