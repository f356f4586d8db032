"""The edge: bad Host headers, caching of signed-in pages, the embedded SQLite set-up.

Alice is a therapist of the clinic.
"""

import pytest
from django.urls import reverse

from cases.models import Clinician
from tests.factories import ClinicianFactory

from .test_settings import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return ClinicianFactory(user__username="alice", role=Clinician.Role.THERAPIST).user


@pytest.mark.parametrize("host", ["evil.example.org", "127.0.0.1:8000@evil", "bad host"])
def test_a_request_for_an_unknown_host_answers_400_not_500(client, host):
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 400
    assert b"Bad request" in response.content


def test_a_signed_in_users_pages_are_never_stored(as_user, alice):
    response = as_user(alice).get(reverse("home"))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control
    assert "private" in cache_control


def test_a_signed_in_users_refusals_are_never_stored_either(as_user, alice):
    response = as_user(alice).get("/no-such-page/")
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_page_is_the_apps_own_404(as_user, alice):
    response = as_user(alice).get("/no-such-page/")
    assert b"Not found" in response.content or b"not found" in response.content
    assert b"Traceback" not in response.content


SQLITE_PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
options = settings.DATABASES["default"]["OPTIONS"]
print(json.dumps({"journal": journal, "mode": options["transaction_mode"],
                  "timeout": options["timeout"]}))
"""


def test_the_embedded_sqlite_database_is_set_for_concurrent_use(tmp_path):
    result = run(SQLITE_PROBE, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    import json

    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {"journal": "wal", "mode": "IMMEDIATE", "timeout": 60}
