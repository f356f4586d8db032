"""A short load run (bench/load.py: 5 users, 10 seconds) against the server as
./scripts/run starts it: SQLite in WAL, DEBUG off, demo mode, the threaded runserver on
loopback. Any 5xx, or a request that fails outright, fails the test."""

import subprocess
import sys
import time
import urllib.request

import pytest

from bench import load

from .test_settings import CLEAN, ROOT


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(*args, env, timeout=300):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=timeout,
    )


@pytest.fixture
def embedded_server(tmp_path):
    env = {
        **CLEAN,
        "DJANGO_SETTINGS_MODULE": "carecollab.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "false",
        "SECRET_KEY": "load-test-" + "k" * 50,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DEMO_MODE": "true",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nostatic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((tmp_path / "server.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_five_users_for_ten_seconds_meet_no_server_error(embedded_server, tmp_path):
    result = load.run(embedded_server, users=5, seconds=10)
    log = (tmp_path / "server.log").read_text()
    assert result["errors"] == 0, (result["error_samples"], log[-3000:])
    # How much is served depends on the machine; that it is served, without errors, not.
    assert result["statuses"].get("200", 0) >= 5
    assert result["statuses"].get("302", 0) >= 1  # a sign-in (or a write) went through


def test_the_load_script_refuses_anything_but_loopback():
    with pytest.raises(SystemExit):
        load.run("http://example.org", users=1, seconds=1)
