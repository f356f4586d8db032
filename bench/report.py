"""The bench's JSON file, its table, and the machine it ran on."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict:
    from django.db import connection

    cpu = "unknown"
    with open("/proc/cpuinfo") if os.path.exists("/proc/cpuinfo") else open(os.devnull) as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        database = cursor.fetchone()[0].split(",")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "database": database,
    }


# Goals (issues 13 and 15): page medians as multiples of the reference page's.
PAGE_GOALS = {
    "review queue": 4.0,
    "patient page + timeline": 4.0,
    "therapist's patient list": 3.0,
    "releases list (clinic admin)": 3.0,
}
GATE_GOAL = 1.5  # a/b: the gated page against the same page ungated
GROWTH_GOAL = 1.3  # a page's median at the default scale against the small scale
THROUGHPUT_GOAL = 0.25  # review queue requests/s against the reference page's
REFILL_SWEEP_GOAL = 2.0  # the refill sweep against one aggregate SQL pass
ALL_SWEEPS_GOAL = 6.0  # all six sweeps against the same pass


def _goal(name: str, value, limit: float, *, at_least: bool = False) -> dict:
    reached = None if value is None else (value >= limit if at_least else value <= limit)
    return {
        "goal": name,
        "limit": f"{'>=' if at_least else '<='} {limit}",
        "value": None if value is None else round(value, 2),
        "reached": reached,
    }


def goals(result: dict) -> list[dict]:
    """Every goal of the bench with its figure from this run and whether it is reached
    (None: not measured in this run)."""
    out = []
    small = {p["page"]: p for p in (result.get("small") or {}).get("pages", [])}
    for page in result["pages"]:
        name = page["page"]
        if name in PAGE_GOALS:
            out.append(_goal(f"{name}: x reference", page["ratio_to_reference"], PAGE_GOALS[name]))
        out.append(_goal(f"{name}: gate cost a/b", page["ratio_a_b"], GATE_GOAL))
        if name in small:
            growth = page["shipped"]["median_ms"] / small[name]["shipped"]["median_ms"]
            out.append(_goal(f"{name}: default / small scale", growth, GROWTH_GOAL))
            same = page["queries"] == small[name]["queries"]
            out.append(
                {
                    "goal": f"{name}: queries small = default",
                    "limit": "equal",
                    "value": f"{small[name]['queries']} / {page['queries']}",
                    "reached": same,
                }
            )
    throughput = result.get("throughput")
    if throughput:
        out.append(
            _goal(
                "review queue throughput / reference",
                throughput["review_to_reference"],
                THROUGHPUT_GOAL,
                at_least=True,
            )
        )
    sweeps = result.get("sweeps")
    if sweeps:
        for label, refill, every in (
            ("first sweep", "ratio_refill_sweep_to_sql", "ratio_all_sweeps_to_sql"),
            ("repeat sweep", "ratio_refill_repeat_to_sql", "ratio_all_repeat_to_sql"),
        ):
            out.append(
                _goal(f"refill {label} / aggregate SQL", sweeps.get(refill), REFILL_SWEEP_GOAL)
            )
            out.append(
                _goal(f"all six, {label} / aggregate SQL", sweeps.get(every), ALL_SWEEPS_GOAL)
            )
    return out


def build(*, scale, smoke, generated_in, reference, pages, small, sweeps, load, total) -> dict:
    throughput = None
    if load:
        review = load["review"]["requests_per_second"]
        reference_rps = load["reference"]["requests_per_second"]
        throughput = {
            "review_rps": review,
            "reference_rps": reference_rps,
            "review_to_reference": review / reference_rps if reference_rps else None,
        }
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": {
            "patients": scale.patients,
            "observations": scale.observations,
            "medications": scale.medications,
            "clinics": scale.clinics,
        },
        "smoke": smoke,
        "generated_in_s": round(generated_in, 1),
        "reference": reference,
        "pages": pages,
        "small": small,
        "sweeps": sweeps,
        "load": load,
        "throughput": throughput,
        "total_s": round(total, 1),
    }
    result["goals"] = goals(result)
    return result


def default_path(small: bool) -> Path:
    name = "small" if small else "default"
    return ROOT / "bench" / "results" / f"{name}-{dt.date.today().isoformat()}.json"


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))


def table(result: dict) -> str:
    m = result["machine"]
    s = result["scale"]
    ref = result["reference"]
    lines = [
        "",
        f"CareCollab bench, {result['date']} on {m['cpu']} ({m['cores']} cores, "
        f"{m['memory']}), {m['database']}, Python {m['python']}",
        f"scale: {s['patients']} patients, {s['observations']} observations, "
        f"{s['medications']} medications in {s['clinics']} clinics "
        f"(generated in {result['generated_in_s']} s)",
        "",
        f"reference page (base template, signed in): {ref['median_ms']:.1f} ms median, "
        f"{ref['queries']} queries",
        f"{'page':32} {'queries':>7} {'(a) ms':>8} {'p95':>7} {'(b) ms':>8} {'(c) ms':>7} "
        f"{'a/b':>5} {'a/c':>6} {'x ref':>6}",
    ]
    for p in result["pages"]:
        lines.append(
            f"{p['page']:32} {p['queries']:>7} {p['shipped']['median_ms']:>8.1f} "
            f"{p['shipped']['p95_ms']:>7.1f} {p['ungated']['median_ms']:>8.1f} "
            f"{p['sql']['median_ms']:>7.2f} {p['ratio_a_b']:>5.2f} {p['ratio_a_c']:>6.1f} "
            f"{p['ratio_to_reference']:>6.1f}"
        )
    sw = result["sweeps"]
    if sw:
        lines.append("")
        lines.append(f"{'sweep':34} {'first ms':>9} {'repeat ms':>10}")
        for name, t in sw["sweeps"].items():
            repeat = sw.get("sweeps_repeat", {}).get(name, {}).get("median_ms", float("nan"))
            lines.append(f"{name:34} {t['median_ms']:>9.1f} {repeat:>10.1f}")
        lines.append(
            f"aggregate SQL over medications   {sw['aggregate_sql']['median_ms']:>9.1f} ms "
            f"({sw['aggregate_rows']} rows)"
        )
    load = result["load"]
    if load:
        for name, run in load.items():
            lines.append(
                f"{name} under load ({run['tool']}, {run['connections']} connections, "
                f"{run['workers']} gunicorn workers, {run['seconds']} s): "
                f"{run['requests_per_second']:.1f} requests/s, {run['non_2xx']} errors"
            )
    lines.append("")
    for goal in result["goals"]:
        state = {True: "reached", False: "MISSED", None: "not measured"}[goal["reached"]]
        lines.append(f"goal {goal['goal']:48} {goal['limit']:>8} {goal['value']!s:>10}  {state}")
    lines.append(f"total bench time {result['total_s']} s")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    """The README's tables from one run: the pages, then every goal (the reason for a
    miss is written beside it by hand)."""
    ref = result["reference"]
    small = {p["page"]: p for p in (result.get("small") or {}).get("pages", [])}
    lines = [
        f"Reference page: {ref['median_ms']:.1f} ms median ({ref['queries']} queries).",
        "",
        "| page | queries (small / default) | (a) shipped median / p95 | (b) ungated "
        "| (c) bare SQL | a/b | x reference |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in result["pages"]:
        queries = f"{small[p['page']]['queries']} / " if p["page"] in small else ""
        lines.append(
            f"| {p['page']} | {queries}{p['queries']} | {p['shipped']['median_ms']:.0f} / "
            f"{p['shipped']['p95_ms']:.0f} ms | {p['ungated']['median_ms']:.0f} ms | "
            f"{p['sql']['median_ms']:.1f} ms | {p['ratio_a_b']:.2f} | "
            f"{p['ratio_to_reference']:.1f} |"
        )
    sw = result.get("sweeps")
    if sw:
        lines += [
            "",
            "| sweep | first (empty table) | repeat (rows exist) |",
            "| --- | --- | --- |",
        ]
        for name, t in sw["sweeps"].items():
            repeat = sw.get("sweeps_repeat", {}).get(name, {}).get("median_ms", float("nan"))
            lines.append(f"| {name} | {t['median_ms']:.0f} ms | {repeat:.0f} ms |")
        lines.append(
            f"| aggregate SQL ({sw['aggregate_rows']} rows) | "
            f"{sw['aggregate_sql']['median_ms']:.0f} ms | |"
        )
    lines += ["", "| goal | limit | this run | |", "| --- | --- | --- | --- |"]
    for goal in result["goals"]:
        state = {True: "reached", False: "**missed**", None: "not measured"}[goal["reached"]]
        lines.append(f"| {goal['goal']} | {goal['limit']} | {goal['value']} | {state} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.report bench/results/<file>.json
    import sys

    run = json.loads(Path(sys.argv[1]).read_text())
    run["goals"] = goals(run)  # as this version of the bench judges them
    print(markdown(run))
