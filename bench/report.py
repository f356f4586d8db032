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


def build(*, scale, smoke, generated_in, pages, sweeps, load, total) -> dict:
    return {
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
        "pages": pages,
        "sweeps": sweeps,
        "load": load,
        "total_s": round(total, 1),
    }


def default_path(small: bool) -> Path:
    name = "small" if small else "default"
    return ROOT / "bench" / "results" / f"{name}-{dt.date.today().isoformat()}.json"


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))


def table(result: dict) -> str:
    m = result["machine"]
    s = result["scale"]
    lines = [
        "",
        f"CareCollab bench, {result['date']} on {m['cpu']} ({m['cores']} cores, "
        f"{m['memory']}), {m['database']}, Python {m['python']}",
        f"scale: {s['patients']} patients, {s['observations']} observations, "
        f"{s['medications']} medications in {s['clinics']} clinics "
        f"(generated in {result['generated_in_s']} s)",
        "",
        f"{'page':32} {'queries':>7} {'(a) ms':>8} {'p95':>7} {'(b) ms':>8} {'(c) ms':>7} "
        f"{'a/b':>5} {'a/c':>6}",
    ]
    for p in result["pages"]:
        lines.append(
            f"{p['page']:32} {p['queries']:>7} {p['shipped']['median_ms']:>8.1f} "
            f"{p['shipped']['p95_ms']:>7.1f} {p['ungated']['median_ms']:>8.1f} "
            f"{p['sql']['median_ms']:>7.2f} {p['ratio_a_b']:>5.2f} {p['ratio_a_c']:>6.1f}"
        )
    sw = result["sweeps"]
    lines.append("")
    for name, t in sw["sweeps"].items():
        lines.append(f"sweep {name:28} {t['median_ms']:>9.1f} ms")
    lines.append(
        f"aggregate SQL over medications   {sw['aggregate_sql']['median_ms']:>9.1f} ms "
        f"({sw['aggregate_rows']} rows)"
    )
    if sw["ratio_refill_sweep_to_sql"] is not None:
        lines.append(
            f"refill sweep / aggregate SQL: {sw['ratio_refill_sweep_to_sql']:.2f}; "
            f"all sweeps / aggregate SQL: {sw['ratio_all_sweeps_to_sql']:.2f}"
        )
    load = result["load"]
    lines.append(
        f"review queue under load ({load['tool']}, {load['connections']} connections, "
        f"{load['workers']} gunicorn workers, {load['seconds']} s): "
        f"{load['requests_per_second']:.1f} requests/s, {load['non_2xx']} errors"
    )
    lines.append(f"total bench time {result['total_s']} s")
    return "\n".join(lines)
