"""Settings come from environment variables, with safe local defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
from carecollab.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "atomic": db["ATOMIC_REQUESTS"], "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS, "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url, "email": settings.EMAIL_BACKEND,
    "idle": settings.SESSION_COOKIE_AGE, "absolute": settings.SESSION_ABSOLUTE_HOURS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "broker_options": app.conf.broker_transport_options,
    "sweep_every": app.conf.beat_schedule["reminders-sweep"]["schedule"],
}))
"""

CLEAN = {
    key: value
    for key, value in os.environ.items()
    if key
    not in {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "EMAIL_URL",
        "CARECOLLAB_TESTING",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests only
    }
}


def run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**CLEAN, "DJANGO_SETTINGS_MODULE": "carecollab.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(**env) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_in_the_project_folder_with_eager_tasks_and_console_mail():
    values = probe()
    assert values["debug"] is True
    assert values["ssl_redirect"] is False
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert values["broker"].startswith("filesystem://")
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["atomic"] is True


def test_scripts_run_turns_eager_off_for_its_worker_on_a_broker_folder_and_beat_is_tunable(
    tmp_path,
):
    values = probe(
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        BEAT_SWEEP_SECONDS="7",
    )
    assert values["eager"] is False
    assert values["broker"].startswith("filesystem://")
    queue = str(tmp_path / "broker" / "queue")
    assert values["broker_options"]["data_folder_in"] == queue
    assert values["broker_options"]["data_folder_out"] == queue
    assert (tmp_path / "broker" / "queue").is_dir()  # the transport needs it made
    assert values["sweep_every"] == 7


def test_database_redis_and_hosts_come_from_the_environment():
    values = probe(
        DEBUG="false",
        SECRET_KEY="k" * 60,
        DATABASE_URL="postgres://someone@db.internal:5433/clinic",
        REDIS_URL="redis://cache.internal:6379/2",
        ALLOWED_HOSTS="carecollab.example.org,www.carecollab.example.org",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
        SESSION_IDLE_MINUTES="20",
        SESSION_ABSOLUTE_HOURS="8",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "clinic"
    assert values["host"] == "db.internal"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/2"
    assert values["hosts"] == ["carecollab.example.org", "www.carecollab.example.org"]
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["idle"] == 20 * 60
    assert values["absolute"] == 8
    assert values["debug"] is False
    assert values["ssl_redirect"] is True


def test_secret_key_is_required_when_debug_is_off():
    result = run(PROBE, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("value", ["yes", "on", "1", "true", "True"])
def test_debug_accepts_the_usual_spellings_of_true(value):
    assert probe(DEBUG=value)["debug"] is True


def test_check_deploy_reports_nothing_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env={
            **CLEAN,
            "DEBUG": "false",
            "SECRET_KEY": "a-long-random-production-secret-" + "q8Zr5vN2xT" * 5,
            "ALLOWED_HOSTS": "carecollab.example.org",
            "DATABASE_URL": "postgres://carecollab@127.0.0.1:5432/carecollab",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
