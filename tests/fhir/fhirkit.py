"""Helpers for the FHIR tests: fetch an export, parse it with fhir.resources (R4B) and
find resources in it."""

from __future__ import annotations

import json
import re

from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from fhir_exchange.validation import validate_resource

REFERENCE = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})$")


def parse_bundle(content: bytes | str) -> dict:
    """The Bundle as JSON data, after fhir.resources parsed the whole Bundle and every
    entry on its own (its R4B model and the required codes); any error fails the test."""
    data = json.loads(content)
    Bundle.model_validate(data)
    validate_resource(data)
    for entry in data.get("entry", []):
        validate_resource(entry["resource"])
    return data


def export(client, patient, *, everything: bool = True):
    """GET the patient's export; returns the response."""
    name = "fhir:everything" if everything else "fhir:patient_export"
    return client.get(reverse(name, args=[patient.pk]))


def resources(bundle: dict, resource_type: str | None = None) -> list[dict]:
    found = [entry["resource"] for entry in bundle.get("entry", [])]
    if resource_type:
        found = [r for r in found if r["resourceType"] == resource_type]
    return found


def types_in(bundle: dict) -> set[str]:
    return {resource["resourceType"] for resource in resources(bundle)}


def references(value) -> list[str]:
    """Every relative reference ('Type/id') anywhere in a resource."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def codes_of(resource: dict, system: str) -> list[str]:
    """Every code of ``system`` anywhere in a resource."""
    found = []
    if isinstance(resource, dict):
        if resource.get("system") == system and "code" in resource:
            found.append(resource["code"])
        for item in resource.values():
            found += codes_of(item, system)
    elif isinstance(resource, list):
        for item in resource:
            found += codes_of(item, system)
    return found
