"""CareCollab's own code systems: served as CodeSystem resources at their stable URL's
path, and every project code an export uses is defined there."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from fhir_exchange import codes
from fhir_exchange.validation import validate_resource
from tests.factories import observation

from .fhirkit import codes_of, parse_bundle
from .test_export_gate import client_for, export, share_everything, write_records

pytestmark = pytest.mark.django_db

SYSTEMS = [codes.OBSERVATION_ANSWERS, codes.ASSESSMENT_BANDS, codes.RELEASE_CATEGORIES]


@pytest.mark.parametrize("url", SYSTEMS)
def test_each_code_system_is_served_at_its_canonical_path_without_signing_in(url):
    path = "/fhir/" + url.split("/fhir/", 1)[1]
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = json.loads(response.content)
    assert resource["resourceType"] == "CodeSystem"
    assert resource["url"] == url
    assert resource["content"] == "complete"
    assert resource["count"] == len(resource["concept"]) > 0
    validate_resource(resource)


def test_an_unknown_code_system_is_a_404():
    response = Client().get(reverse("fhir:code_system", args=["nothing-here"]))
    assert response.status_code == 404


def test_every_project_code_in_an_export_is_defined_in_its_code_system(world):
    share_everything(world)
    write_records(world)
    observation(
        world.case,
        world.author.user,
        adherence="missed_doses",
        response="much_worse",
        attitudes=["fear_of_dependency", "other"],
        question="Lower the dose?",
        evaluation_suggestion="Thyroid panel",
        attitude_notes="Worried",
    )
    bundle = parse_bundle(export(client_for(world, "recipient"), world.patient).content)
    for url in SYSTEMS:
        served = Client().get("/fhir/" + url.split("/fhir/")[1])
        defined = {concept["code"] for concept in json.loads(served.content)["concept"]}
        used = set(codes_of(bundle, url))
        assert used, url
        assert used <= defined, (url, used - defined)
