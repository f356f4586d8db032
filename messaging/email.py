"""The e-mail channel: reminders by e-mail, exactly once, with no PHI.

Registered with ``notifications.channels`` in ``MessagingConfig.ready``: ``notify`` hands it
every new notification after commit. It enqueues an e-mail for a notification that
belongs to a reminder (the reminder row records that its e-mail went, which is what
makes the e-mail exactly-once; see ``reminders.services.reminder_email_send``). Other
notifications (a new message, question, referral) stay in the app: the preference is
``Clinician.email_reminders``, and a question left waiting becomes a consult-waiting
reminder, which is e-mailed.

An e-mail says that something waits and links to it (``SITE_URL`` + the reminder's
path, ids only). Its subject and body come from templates that receive no patient,
medication or clinical text at all: nothing to leak.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from .models import Reminder
from .reminders.texts import absolute_url, reminder_text

logger = logging.getLogger("carecollab.reminders")

# SMTP must not hold the claim's transaction open for long (the delivery task's own
# time limit is the backstop).
EMAIL_TIMEOUT_SECONDS = 20


def email_channel(notification_id: int) -> None:
    """Channel: enqueue the e-mail of a reminder's notification (after commit)."""
    from . import tasks

    if Reminder.objects.filter(notification_id=notification_id).exists():
        tasks.enqueue_many(tasks.send_reminder_email, [notification_id])


def message_id(reminder: Reminder) -> str:
    """The same Message-ID for every copy of one reminder's e-mail."""
    domain = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<reminder-{reminder.pk}@{domain or 'carecollab.invalid'}>"


def reminder_email(reminder: Reminder) -> EmailMessage:
    """The e-mail of one reminder (its notification must exist). No PHI in it."""
    headline, sentence = reminder_text(reminder.kind)
    context = {
        "headline": headline,
        "sentence": sentence,
        "link": absolute_url(reminder.notification.url),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("messaging/email/reminder_subject.txt", context)
    body = render_to_string("messaging/email/reminder_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=[reminder.recipient.email],
        headers={"Message-ID": message_id(reminder), "Auto-Submitted": "auto-generated"},
        connection=get_connection(timeout=EMAIL_TIMEOUT_SECONDS),
    )
