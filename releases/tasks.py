"""Celery tasks of releases: the periodic sweep (a thin adapter)."""

from celery import shared_task

from . import services


@shared_task(
    name="releases.sweep_releases",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def sweep_releases() -> dict:
    """Beat: expire releases whose date passed and bring grants up to date."""
    return services.releases_sweep()
