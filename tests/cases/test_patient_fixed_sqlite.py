"""The embedded default (SQLite) refuses moving a case to another patient too: the
same triggers, installed by migrate on a fresh SQLite database."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_refuses_to_move_a_case_to_another_patient(tmp_path):
    database = tmp_path / "embedded.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    db = sqlite3.connect(database)
    db.execute(
        "INSERT INTO cases_clinic (id, name, mrn_system, refill_lead_days, "
        "controlled_refill_lead_days, checkin_days, quiet_case_days, "
        "release_notice_days, consult_wait_working_days, alert_escalation_minutes) "
        "VALUES (1, 'C', '', 7, 10, '7', 21, '30', 2, 120)"
    )
    for pk in (1, 2):
        db.execute(
            "INSERT INTO cases_patient (id, clinic_id, given_name, family_name, "
            "date_of_birth, mrn, created_at) VALUES (?, 1, 'A', 'B', '1990-01-01', ?, "
            "'2026-01-01 00:00:00')",
            (pk, f"M{pk}"),
        )
    db.execute(
        "INSERT INTO cases_case (id, patient_id, opened_on, status) "
        "VALUES (1, 1, '2026-01-01', 'open')"
    )
    db.commit()
    with pytest.raises(sqlite3.IntegrityError, match="cannot change"):
        db.execute("UPDATE cases_case SET patient_id = 2 WHERE id = 1")
    db.execute("UPDATE cases_case SET status = 'open' WHERE id = 1")  # other columns: fine
    assert db.execute("SELECT patient_id FROM cases_case").fetchone() == (1,)
