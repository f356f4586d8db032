"""Every page of the matrix, as every persona: each gated record whose text appears on
the page has an access entry for that request and, read by anyone but its author, a
disclosure (issue 11, hole 4). A page that shows a record it did not record fails."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from releases import gate
from releases.models import Disclosure
from tests.conftest import PERSONAS

from .test_matrix import KINDS, URLS, matrix_world

pytestmark = pytest.mark.django_db


def _author_id(obj) -> int:
    return getattr(obj, f"{gate.kind_of(type(obj)).author_field}_id")


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_every_record_a_page_shows_is_recorded_for_that_request(kind_name):
    world, objs, markers = matrix_world(kind_name, "active")
    failures = []
    for url in [u for u in URLS if u.kind == kind_name and u.mode != "post"]:
        shown_as = {k: url.marker(objs[k], markers[k]) if url.marker else markers[k] for k in objs}
        targets = list(objs) if url.mode in ("detail", "edit") else [None]
        for key in targets:
            path = reverse(url.name, args=url.args(world, objs.get(key)))
            for persona in [p for p in PERSONAS if p != "anonymous"]:
                user = world.user(persona)
                client = Client()
                client.force_login(user)
                started = timezone.now()
                response = client.get(path)
                if response.status_code != 200 or response.streaming:
                    continue
                body = response.content.decode(errors="replace")
                for k, obj in objs.items():
                    if shown_as[k] not in body:
                        continue
                    entry = LogEntry.objects.filter(
                        action=LogEntry.Action.ACCESS,
                        actor=user,
                        content_type=ContentType.objects.get_for_model(obj),
                        object_pk=str(obj.pk),
                        timestamp__gte=started,
                    )
                    if not entry.exists():
                        failures.append(f"{persona} {path}: {k} shown without an access entry")
                    if (
                        _author_id(obj) != user.pk
                        and not Disclosure.objects.filter(
                            recipient=user, object_model=obj._meta.label, object_id=obj.pk
                        ).exists()
                    ):
                        failures.append(f"{persona} {path}: {k} shown without a disclosure")
    assert not failures, "\n" + "\n".join(failures)
