"""The embedded default runs the scheduler too: scripts/worker (what ./scripts/run starts
beside the web server) is a Celery worker with beat on the filesystem broker, so a
reminder that falls due arrives with no command run by anyone.

The worker runs as its own process, as in ./scripts/run, against the test database
(these tests commit), with no REDIS_URL and beat's intervals shortened by environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from messaging.models import Reminder
from notifications.models import Notification
from tests.conftest import make_world

from .test_reminders_kit import medication, observation

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(transactional_db):
    """The personas in a database the worker process sees (committed rows)."""
    return make_world()


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_embedded_worker(tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",  # the embedded default: the filesystem broker
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "BEAT_SWEEP_SECONDS": "2",
        "BEAT_REDELIVER_SECONDS": "2",
        "CELERY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "worker")],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_a_due_reminder_arrives_from_beat_and_the_worker_with_no_command_run(
    shared_world, tmp_path
):
    medication(shared_world, last_fill_date=timezone.localdate(), days_supply=5)
    observation(shared_world, adherence="as_prescribed")
    assert not Reminder.objects.exists()

    worker = start_embedded_worker(tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            sent = Reminder.objects.filter(status=Reminder.Status.SENT)
            if sent.count() == 2 and Notification.objects.count() == 2:
                break
            time.sleep(0.5)
    finally:
        code = stop(worker)
    log = (tmp_path / "worker.log").read_text()
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 2, log
    assert sorted(n.recipient.username for n in Notification.objects.all()) == [
        "author",
        "recipient",
    ]
    assert code == 0, f"the worker did not stop cleanly on SIGTERM:\n{log}"
