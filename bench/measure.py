"""Measurements: each page as shipped (a), with the gate's filter replaced by an
unfiltered query of the same rows (b), and one bare SQL query for the same rows (c);
the reminder sweeps against one aggregate SQL pass; throughput under load."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, models
from django.db.models import Q, Value
from django.test import Client
from django.urls import reverse

from accounts.otp import trusted_tool_verify
from releases import gate

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Page:
    name: str
    url_name: str
    user: str
    args: list = field(default_factory=list)
    sql: str = ""


def pages(who: dict) -> list[Page]:
    return [
        Page("review queue", "medications:review", "prescriber", sql=REVIEW_SQL),
        Page(
            "patient page + timeline",
            "cases:patient_detail",
            "prescriber",
            [who["patient"]],
            sql=PATIENT_SQL,
        ),
        Page("therapist's patient list", "medications:caseload", "therapist", sql=CASELOAD_SQL),
        Page("releases list (clinic admin)", "releases:list", "clinic_admin", sql=RELEASES_SQL),
    ]


# (c): one bare query fetching the rows each page shows.
REVIEW_SQL = """
SELECT n.id, n.observed_on, n.adherence, n.response, n.side_effects, n.question, n.body,
       p.id, p.given_name, p.family_name
FROM cases_observation n
JOIN cases_case c ON c.id = n.case_id
JOIN cases_patient p ON p.id = c.patient_id
WHERE n.shared AND n.author_id <> %(user)s
  AND EXISTS (SELECT 1 FROM cases_careteammember m
              JOIN cases_case mc ON mc.id = m.case_id
              JOIN cases_clinician cl ON cl.id = m.clinician_id
              WHERE mc.patient_id = c.patient_id AND cl.user_id = %(user)s)
  AND NOT EXISTS (SELECT 1 FROM cases_observationreview r
                  WHERE r.observation_id = n.id AND r.reviewer_id = %(user)s)
ORDER BY (n.adherence IN ('missed_doses', 'stopped') OR n.side_effects <> ''
          OR n.response IN ('worse', 'much_worse') OR n.question <> '') DESC,
         n.observed_on DESC
LIMIT 50
"""
PATIENT_SQL = """
SELECT 'observation', n.id, n.observed_on FROM cases_observation n
JOIN cases_case c ON c.id = n.case_id
WHERE c.patient_id = %(patient)s AND (n.shared OR n.author_id = %(user)s)
UNION ALL
SELECT 'change', ch.id, ch.effective_on FROM medications_medicationchange ch
JOIN medications_medication m ON m.id = ch.medication_id
WHERE m.patient_id = %(patient)s
ORDER BY 3 DESC
"""
CASELOAD_SQL = """
SELECT p.id, p.given_name, p.family_name, MAX(n.observed_on)
FROM cases_patient p
JOIN cases_case c ON c.patient_id = p.id
JOIN cases_careteammember m ON m.case_id = c.id
JOIN cases_clinician cl ON cl.id = m.clinician_id AND cl.user_id = %(user)s
LEFT JOIN cases_observation n ON n.case_id = c.id AND n.author_id = %(user)s
GROUP BY p.id, p.given_name, p.family_name
ORDER BY p.family_name, p.given_name
"""
RELEASES_SQL = """
SELECT r.id, r.status, r.effective_on, r.expires_at, p.given_name, p.family_name, p.mrn
FROM releases_informationrelease r
JOIN cases_patient p ON p.id = r.patient_id
JOIN cases_clinician cl ON cl.clinic_id = p.clinic_id AND cl.user_id = %(user)s
ORDER BY r.created_at DESC
LIMIT 50
"""


def _ungated_visible(user, model, queryset=None, *, when=None):
    """The same rows as gate.visible for users whose releases are all active: own rows,
    and shared rows of patients on their care team, with no release or grant check."""
    from cases.models import CareTeamMember

    kind = gate.kind_of(model)
    queryset = model._default_manager.all() if queryset is None else queryset
    patients = (
        CareTeamMember.objects.reading().filter(clinician__user=user).values("case__patient_id")
    )
    return queryset.annotate(
        gate_release_id=Value(None, output_field=models.BigIntegerField())
    ).filter(
        Q(**{kind.author_field: user})
        | (kind.shared_q() & Q(**{f"{kind.patient_path}__in": patients}))
    )


@contextlib.contextmanager
def ungated():
    original = gate.visible
    gate.visible = _ungated_visible
    try:
        yield
    finally:
        gate.visible = original


class QueryCounter:
    """Counts the SQL statements a request runs (survives the connection closing at
    the end of each request, unlike the test utilities' query log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "n": len(ordered)}


def _time_requests(client: Client, path: str, repeat: int) -> tuple[dict, int, int]:
    for _ in range(2):  # warm up
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        response = client.get(path)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path)
        samples.append(time.perf_counter() - start)
    return _stats(samples), counter.count, len(response.content)


def _time_sql(sql: str, params: dict, repeat: int) -> tuple[dict, int]:
    samples, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(repeat + 2):
            start = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            samples.append(time.perf_counter() - start)
    return _stats(samples[2:]), rows


def measure_reference(who: dict, *, repeat: int) -> dict:
    """The reference: the median of a signed-in page that renders the base template and
    nothing else (``bench_reference``), as the prescriber whose pages are measured."""
    from django.contrib.auth import get_user_model

    client = signed_in_client(get_user_model().objects.get(pk=who["prescriber"]))
    timing, queries, size = _time_requests(client, reverse("bench_reference"), repeat)
    print(f"  reference page: {timing['median_ms']:.1f} ms, {queries} queries", flush=True)
    return {**timing, "queries": queries, "bytes": size, "path": reverse("bench_reference")}


def signed_in_client(user) -> Client:
    """A test client signed in as ``user`` and past the second factor, as after a code."""
    client = Client()
    client.force_login(user)
    session = client.session
    trusted_tool_verify(session, user)
    session.save()
    return client


def measure_pages(who: dict, *, repeat: int, reference: dict | None = None) -> list[dict]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    results = []
    for page in pages(who):
        user = users.get(pk=who[page.user])
        client = signed_in_client(user)
        path = reverse(page.url_name, args=page.args)
        shipped, queries, size = _time_requests(client, path, repeat)
        with ungated():
            bare_orm, ungated_queries, ungated_size = _time_requests(client, path, repeat)
        params = {"user": user.pk, "patient": who["patient"]}
        sql, rows = _time_sql(page.sql, params, repeat)
        results.append(
            {
                "page": page.name,
                "path": path,
                "queries": queries,
                "queries_ungated": ungated_queries,
                "bytes": size,
                "bytes_ungated": ungated_size,
                "shipped": shipped,
                "ungated": bare_orm,
                "sql": sql,
                "sql_rows": rows,
                "ratio_a_b": shipped["median_ms"] / bare_orm["median_ms"],
                "ratio_a_c": shipped["median_ms"] / sql["median_ms"],
                "ratio_to_reference": (
                    shipped["median_ms"] / reference["median_ms"] if reference else None
                ),
            }
        )
        print(
            f"  {page.name}: {shipped['median_ms']:.1f} ms shipped, "
            f"{bare_orm['median_ms']:.1f} ms ungated, {sql['median_ms']:.2f} ms SQL, "
            f"{queries} queries",
            flush=True,
        )
    return results


AGGREGATE_SQL = """
SELECT m.id, m.last_fill_date + m.days_supply AS runs_out
FROM medications_medication m
JOIN cases_patient p ON p.id = m.patient_id
JOIN cases_clinic c ON c.id = p.clinic_id
WHERE m.status = 'active' AND m.last_fill_date IS NOT NULL AND m.days_supply IS NOT NULL
  AND m.last_fill_date + m.days_supply
      <= CURRENT_DATE + CASE WHEN m.controlled_schedule <> ''
                             THEN c.controlled_refill_lead_days ELSE c.refill_lead_days END
  AND NOT EXISTS (SELECT 1 FROM medications_refillrequest r
                  WHERE r.medication_id = m.id AND r.status = 'open')
"""


def _sweep_callables() -> dict:
    """The reminder sweeps as the app runs them (messaging.reminders), one per kind and
    all of them together."""
    from messaging.reminders.services import EVALUATORS, reminders_sweep

    sweeps = {
        f"sweep_{kind}": (lambda kind=kind: reminders_sweep(kinds=[kind])) for kind in EVALUATORS
    }
    sweeps["sweep_all"] = reminders_sweep
    return sweeps


def measure_sweeps(*, repeat: int) -> dict:
    """Each sweep twice in one transaction, rolled back after: the first sweep over an
    empty reminder table (it inserts every due row) and a repeat (the rows exist: what
    the 15-minute beat does all day). The aggregate SQL pass is timed between them, so a
    busy machine weighs on both sides alike."""
    from django.db import transaction

    def timed(work) -> float:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    def aggregate() -> None:
        with connection.cursor() as cursor:
            cursor.execute(AGGREGATE_SQL)
            cursor.fetchall()

    sweeps = _sweep_callables()
    first, again, sql = {}, {}, []
    for name, sweep in sorted(sweeps.items()):
        first_samples, again_samples = [], []
        for _ in range(repeat):
            with transaction.atomic():
                sql.append(timed(aggregate))
                first_samples.append(timed(sweep))
                again_samples.append(timed(sweep))
                transaction.set_rollback(True)  # measure the same work each time
        first[name], again[name] = _stats(first_samples), _stats(again_samples)
    aggregate_sql = _stats(sql)
    with connection.cursor() as cursor:
        cursor.execute(AGGREGATE_SQL)
        rows = len(cursor.fetchall())

    def ratio(timings: dict, name: str) -> float | None:
        return timings[name]["median_ms"] / aggregate_sql["median_ms"] if name in timings else None

    return {
        "sweeps": first,
        "sweeps_repeat": again,
        "aggregate_sql": aggregate_sql,
        "aggregate_rows": rows,
        "ratio_refill_sweep_to_sql": ratio(first, "sweep_refill_due"),
        "ratio_all_sweeps_to_sql": ratio(first, "sweep_all"),
        "ratio_refill_repeat_to_sql": ratio(again, "sweep_refill_due"),
        "ratio_all_repeat_to_sql": ratio(again, "sweep_all"),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _session_cookie(user_id: int) -> str:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    user = get_user_model().objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["carecollab_signed_in_at"] = timezone.now().timestamp()
    trusted_tool_verify(session, user)  # past the second factor, as after a code
    session.set_expiry(dt.timedelta(hours=2))
    session.save()
    return session.session_key


def measure_load(who: dict, *, env: dict, seconds: int, workers: int = 2, connections: int = 8):
    """Requests per second on the review queue and on the reference page, one after the
    other on the same gunicorn workers and PostgreSQL, loopback only."""
    from django.db import connections as db_connections

    db_connections.close_all()
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "carecollab.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "SESSION_IDLE_MINUTES": "120"},
    )
    cookie = f"sessionid={_session_cookie(who['prescriber'])}"
    base = f"http://127.0.0.1:{port}"
    # The reference first: requests the load left queued on the workers would otherwise
    # be counted against the next page (each run also waits for the workers to drain).
    urls = {
        "reference": base + reverse("bench_reference"),
        "review": base + reverse("medications:review"),
    }
    try:
        # A busy machine answers the default scale's review queue in seconds.
        deadline = time.monotonic() + 180
        while True:
            try:
                for url in urls.values():
                    request = urllib.request.Request(url, headers={"Cookie": cookie})
                    with urllib.request.urlopen(request, timeout=60) as response:
                        assert response.status == 200, (url, response.status)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        results = {}
        for name, url in urls.items():
            results[name] = _load(url, cookie, seconds, workers, connections)
            _drain(url, cookie, workers)
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _drain(url: str, cookie: str, workers: int) -> None:
    """Wait until the requests a load run left queued are answered: the answer to one
    more request per worker, one after the other, comes after theirs."""
    for _ in range(workers):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()


def _load(url: str, cookie: str, seconds: int, workers: int, connections: int) -> dict:
    """``connections`` clients requesting ``url`` for ``seconds``: wrk when installed,
    else Python threads."""
    wrk = shutil.which("wrk")
    if not wrk:
        return _python_load(url, cookie, seconds, workers, connections)
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
        + ["-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    return _parse_wrk(out, workers, connections, seconds)


def _parse_wrk(out: str, workers: int, connections: int, seconds: int) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latencies = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "tool": "wrk",
        "requests_per_second": rps,
        "latency": latencies,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "workers": workers,
        "connections": connections,
        "seconds": seconds,
    }


def _python_load(url, cookie, seconds, workers, connections) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.monotonic() + seconds

    def worker():
        done, failed = 0, 0
        while time.monotonic() < deadline:
            request = urllib.request.Request(url, headers={"Cookie": cookie})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                    done += response.status == 200
            except OSError:
                failed += 1
        return done, failed

    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(lambda _: worker(), range(connections)))
    done = sum(r[0] for r in results)
    return {
        "tool": "python",
        "requests_per_second": done / seconds,
        "non_2xx": sum(r[1] for r in results),
        "workers": workers,
        "connections": connections,
        "seconds": seconds,
    }
