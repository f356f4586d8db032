"""python -m bench.load: a clinic's morning against a running CareCollab, on loopback only.

    ./scripts/run &                      # the embedded default, demo mode on
    python -m bench.load --users 20 --seconds 60

Each virtual user signs in through the sign-in form as one of the demo's users (the demo
has four; users take them in turn, so 20 users are five sessions of each), then until
the time is up browses (home, the patient list, a patient page, notifications) and
writes: therapists log an observation, everyone marks their notifications read. Every
request's status and time is kept; the summary gives requests served, their p95
latency, and the errors (5xx answers and requests that failed outright).

Only a loopback address is accepted, and the run ends after --seconds (at most 600)
plus the time the requests already started take.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

DEMO_USERS = ["therapist", "prescriber", "clinicadmin", "outsider"]
DEMO_PASSWORD = "carecollab-demo"  # noqa: S105  (the demo's published password)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_SECONDS = 600


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer of its own here


class FormParser(HTMLParser):
    """The fields of the first form whose action matches, with their default values."""

    def __init__(self, action_pattern: str):
        super().__init__()
        self.pattern = re.compile(action_pattern)
        self.inside = False
        self.done = False
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self.choices: dict[str, list[str]] = {}
        self.select = ""
        self.textarea = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done and self.pattern.search(attrs.get("action") or ""):
            self.inside, self.action = True, attrs.get("action") or ""
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                self.choices.setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self.select = ""
        elif tag == "textarea":
            self.textarea = ""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[str, int, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, label: str, status: int, seconds: float) -> None:
        with self.lock:
            self.samples.append((label, status, seconds))

    def fail(self, label: str, error: str) -> None:
        with self.lock:
            self.failures.append(f"{label}: {error}")


class VirtualUser:
    def __init__(self, base: str, username: str, tally: Tally, deadline: float, number: int):
        self.base, self.username, self.tally, self.deadline = base, username, tally, deadline
        self.number = number
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )
        self.writes = 0

    def request(self, label: str, path: str, data: list | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if body is not None:
            request.add_header("Referer", self.base + path)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
            location = error.headers.get("Location", "")
        except OSError as error:
            self.tally.fail(label, repr(error))
            return 0, "", ""
        self.tally.add(label, status, time.perf_counter() - start)
        return status, text, location

    def csrf(self) -> str:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), "")

    def post_form(self, label: str, page: str, action: str, overrides: dict) -> None:
        status, html, _ = self.request(label + " (form)", page)
        if status != 200:
            return
        parser = FormParser(action)
        parser.feed(html)
        if not parser.done and not parser.inside:
            return
        data = [(k, v) for k, v in parser.fields if k not in overrides]
        for key, value in overrides.items():
            if value == "<first>":
                value = next((v for v in parser.choices.get(key, []) if v), "")
            data.append((key, value))
        self.request(label, parser.action or page, data)

    def sign_in(self) -> bool:
        self.request("sign-in page", "/accounts/login/")
        status, _, location = self.request(
            "sign in",
            "/accounts/login/",
            [
                ("csrfmiddlewaretoken", self.csrf()),
                ("username", self.username),
                ("password", DEMO_PASSWORD),
                ("next", ""),
            ],
        )
        if status == 0:
            return False  # already counted as a failed request
        if status != 302 or "login" in location:
            self.tally.fail("sign in", f"{self.username}: status {status}, to {location}")
            return False
        return True

    def run(self) -> None:
        if not self.sign_in():
            return
        while time.monotonic() < self.deadline:
            _, home, _ = self.request("home", "/")
            _, patients, _ = self.request("patient list", "/cases/patients/")
            ids = re.findall(r'href="/cases/patients/(\d+)/"', patients)
            if ids and time.monotonic() < self.deadline:
                patient = random.choice(ids)
                self.request("patient page", f"/cases/patients/{patient}/")
                if self.username == "therapist" and time.monotonic() < self.deadline:
                    self.writes += 1
                    self.post_form(
                        "log an observation",
                        f"/cases/patients/{patient}/observations/new/",
                        r"observations/new/",
                        {
                            "csrfmiddlewaretoken": self.csrf(),
                            "adherence": "<first>",
                            "body": f"Load run, user {self.number}, note {self.writes}.",
                        },
                    )
            if time.monotonic() >= self.deadline:
                break
            self.request("notifications", "/notifications/")
            self.request(
                "mark notifications read",
                "/notifications/read-all/",
                [("csrfmiddlewaretoken", self.csrf())],
            )


def summary(tally: Tally, users: int, seconds: float) -> dict:
    times = sorted(s for _, _, s in tally.samples)
    statuses: dict[str, int] = {}
    for _, status, _ in tally.samples:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    server_errors = [f"{label}: {status}" for label, status, _ in tally.samples if status >= 500]
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if times else 0.0
    return {
        "users": users,
        "seconds": round(seconds, 1),
        "requests": len(times),
        "requests_per_second": round(len(times) / seconds, 1) if seconds else 0,
        "median_ms": round(statistics.median(times) * 1000, 1) if times else 0,
        "p95_ms": round(p95 * 1000, 1),
        "statuses": statuses,
        "errors": len(server_errors) + len(tally.failures),
        "error_samples": (server_errors + tally.failures)[:20],
    }


def run(base: str, *, users: int, seconds: float) -> dict:
    """Run the load and return its summary."""
    host = urllib.parse.urlsplit(base).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"bench.load runs against a loopback address only, not {host!r}")
    seconds = min(seconds, MAX_SECONDS)
    tally = Tally()
    start = time.monotonic()
    deadline = start + seconds
    crowd = [
        VirtualUser(base.rstrip("/"), DEMO_USERS[n % len(DEMO_USERS)], tally, deadline, n)
        for n in range(users)
    ]
    threads = [threading.Thread(target=user.run, daemon=True) for user in crowd]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return summary(tally, users, time.monotonic() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", default="", help="write the summary as JSON here too")
    args = parser.parse_args(argv)
    result = run(args.url, users=args.users, seconds=args.seconds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
