"""The accounts adapter that settings name: members' adapter, with account emails sent through the outbox."""

import uuid
from typing import Any

from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.utils.html import strip_tags

from community.members.adapters import AccountAdapter
from community.members.models import User
from community.notifications.services import queue_rendered_email


class OutboxAccountAdapter(AccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render with allauth's own templates, then queue in the outbox: a worker sends it after commit.

        Each call is a new email (a second reset request must send a second link), hence a fresh key.
        """
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request), **context},
        )
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
        text = message.body
        if message.content_subtype == "html":  # allauth found only an HTML template
            text, html = strip_tags(message.body), message.body
        user = context.get("user")
        queue_rendered_email(
            key=f"account:{template_prefix}:{uuid.uuid4()}",
            to=email,
            recipient=user if isinstance(user, User) and user.pk else None,
            template=template_prefix,
            subject=str(message.subject),
            text=str(text),
            html=str(html),
        )
