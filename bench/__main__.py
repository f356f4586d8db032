"""python -m bench: generate a clinic group, then measure the gate against its absence.

    python -m bench            # default scale: 2,000 patients, 100,000 observations, ...
    python -m bench --small    # a quick run (60 patients, 1,500 observations)
    python -m bench --small --smoke   # CI's smoke run: few repetitions, short load

Every page is also reported against a reference measured in the same run: a signed-in
page that renders the base template and nothing else (``ratio_to_reference``), and the
review queue's throughput against the reference's on the same workers. The default run
first measures the pages at the small scale too (a second database, in a subprocess), so
its goals "cost does not grow with the table" come from the same run.

It writes bench/results/<scale>-<date>.json and prints a table. Timing is measured
here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="the quick scale")
    parser.add_argument("--smoke", action="store_true", help="few repetitions (CI)")
    parser.add_argument(
        "--database",
        default="",
        help="PostgreSQL database to (re)create; default carecollab_bench[_small] on the "
        "server of DATABASE_URL, or 127.0.0.1:5432",
    )
    parser.add_argument("--repeat", type=int, default=0, help="requests per page and variant")
    parser.add_argument("--load-seconds", type=int, default=0, help="length of the load test")
    parser.add_argument("--out", default="", help="JSON file to write")
    parser.add_argument(
        "--pages-only", action="store_true", help="measure the pages only (no sweeps, no load)"
    )
    parser.add_argument(
        "--no-small", action="store_true", help="default scale: skip the small-scale pages"
    )
    return parser.parse_args(argv)


def database_url(args) -> str:
    """The bench database's URL, on the server the environment names (never its DB)."""
    from urllib.parse import urlsplit, urlunsplit

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    name = args.database or ("carecollab_bench_small" if args.small else "carecollab_bench")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def recreate_database(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(
        (parts.scheme.replace("postgres", "postgresql"), parts.netloc, "/postgres", "", "")
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def configure(url: str) -> dict:
    """Production-like settings for the bench process and its gunicorn."""
    env = {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "BENCH_REFERENCE_PAGE": "true",
        "DJANGO_SETTINGS_MODULE": "carecollab.settings",
    }
    for key in ("REDIS_URL", "CARECOLLAB_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        os.environ.pop(key, None)
    os.environ.update(env)
    return env


def small_pages(args) -> dict | None:
    """The pages at the small scale, measured by a subprocess on a database of its own
    (so the default run compares both scales from one run)."""
    import json
    import tempfile

    name = (args.database or "carecollab_bench") + "_small"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "small.json"
        command = [sys.executable, "-m", "bench", "--small", "--pages-only"]
        command += ["--database", name, "--out", str(out)]
        if args.repeat:
            command += ["--repeat", str(args.repeat)]
        print("bench: the small scale first (pages only)", flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
        return json.loads(out.read_text())


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    small = None if args.small or args.no_small or args.pages_only else small_pages(args)
    url = database_url(args)
    env = configure(url)
    started = time.perf_counter()
    print(f"bench: (re)creating {url.rsplit('/', 1)[-1]}", flush=True)
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    from . import generate, measure, report

    call_command("migrate", verbosity=0)
    # Production serves hashed static files (whitenoise's manifest): build it as a
    # deployment would.
    call_command("collectstatic", interactive=False, verbosity=0)
    scale = generate.SMALL if args.small else generate.DEFAULT
    print(f"bench: generating {scale}", flush=True)
    t0 = time.perf_counter()
    who = generate.generate(scale)
    generated_in = time.perf_counter() - t0
    # A production database has planner statistics (autovacuum); give the fresh one its.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    repeat = args.repeat or (5 if args.smoke else 30)
    load_seconds = args.load_seconds or (3 if args.smoke else 15)
    print(f"bench: measuring pages ({repeat} requests per page and variant)", flush=True)
    reference = measure.measure_reference(who, repeat=repeat)
    pages = measure.measure_pages(who, repeat=repeat, reference=reference)
    sweeps = load = None
    if not args.pages_only:
        print("bench: timing the reminder sweeps", flush=True)
        sweeps = measure.measure_sweeps(repeat=3)
        print(f"bench: load on gunicorn, {load_seconds} s per page", flush=True)
        try:
            load = measure.measure_load(who, env=env, seconds=load_seconds)
        except (OSError, subprocess.SubprocessError) as error:
            if args.smoke:
                raise  # the smoke run checks that the load test works
            # Keep what was measured; the table says the load was not.
            print(f"bench: the load test failed: {error!r}", flush=True)
            load = None

    result = report.build(
        scale=scale,
        smoke=args.smoke,
        generated_in=generated_in,
        reference=reference,
        pages=pages,
        small=small,
        sweeps=sweeps,
        load=load,
        total=time.perf_counter() - started,
    )
    out = Path(args.out) if args.out else report.default_path(args.small)
    report.write(result, out)
    print(report.table(result))
    print(f"bench: wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
