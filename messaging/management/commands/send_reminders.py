"""python manage.py send_reminders: what beat does, by hand or from cron.

Runs the releases sweep and the reminder sweeps, then delivers in this process every
pending reminder and every e-mail not yet sent: it needs no Redis and no worker (the
embedded set-up), and with them it races nobody (deliveries claim their rows). Running
it again sends nothing twice. A cron line for a set-up without beat:

    */15 * * * *  cd /srv/carecollab && .venv/bin/python manage.py send_reminders
"""

from django.core.management.base import BaseCommand, CommandError

from messaging import reminders
from messaging.models import Reminder
from messaging.reminders.services import reminders_wanting_email
from releases.services import releases_sweep


class Command(BaseCommand):
    help = "Run the reminder (and release) sweeps and deliver what is due, in this process."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-releases", action="store_true", help="Skip the releases expiry sweep."
        )

    def handle(self, *args, **options):
        # Counted as totals before and after: deliveries made by this command, by eager
        # tasks it enqueued, or by a worker meanwhile.
        sent = Reminder.objects.filter(sent_at__isnull=False)
        emailed = Reminder.objects.filter(email_sent_at__isnull=False)
        sent_before, emailed_before = sent.count(), emailed.count()
        if not options["no_releases"]:
            expired = releases_sweep()["expired"]
            self.stdout.write(f"releases expired: {expired}")
        swept = reminders.reminders_sweep()
        redelivered = reminders.reminders_redeliver()
        failures = 0
        pending = Reminder.objects.filter(status=Reminder.Status.PENDING).order_by("due_on", "pk")
        for reminder_id in pending.values_list("pk", flat=True):
            try:
                reminders.reminder_deliver(reminder_id=reminder_id)
            except Exception:  # logged by the service; the row waits for the next run
                failures += 1
        for notification_id in reminders_wanting_email().values_list("notification_id", flat=True):
            try:
                reminders.reminder_email_send(notification_id=notification_id)
            except Exception:
                failures += 1
        self.stdout.write(
            f"reminders created: {swept['created']}, resolved: {swept['resolved']}, "
            f"requeued: {redelivered['requeued']}, "
            f"delivered: {sent.count() - sent_before}, e-mailed: {emailed.count() - emailed_before}"
        )
        if failures:
            raise CommandError(f"{failures} deliveries failed; the next run tries them again.")
