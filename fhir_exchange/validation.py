"""FHIR validation by a real FHIR library: ``fhir.resources`` and its R4B models.

The models check structure, cardinality, data types, choice types and unknown elements.
They do not check the codes of required bindings, so the status codes (and a
MedicationRequest's intent) are checked here against the R4 value sets. The resources
CareCollab reads and writes are the same in R4 and R4B.
"""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

# R4 required bindings of the elements CareCollab writes or reads.
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("MedicationStatement", "status"): frozenset(
        {
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
            "unknown",
            "not-taken",
        }
    ),
    ("MedicationRequest", "status"): frozenset(
        {
            "active",
            "on-hold",
            "cancelled",
            "completed",
            "entered-in-error",
            "stopped",
            "draft",
            "unknown",
        }
    ),
    ("MedicationRequest", "intent"): frozenset(
        {
            "proposal",
            "plan",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        }
    ),
    ("Observation", "status"): frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    ("Consent", "status"): frozenset(
        {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
    ),
    ("QuestionnaireResponse", "status"): frozenset(
        {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    ),
    ("CareTeam", "status"): frozenset(
        {"proposed", "active", "suspended", "inactive", "entered-in-error"}
    ),
    ("CodeSystem", "status"): frozenset({"draft", "active", "retired", "unknown"}),
    ("Bundle", "type"): frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
}


class InvalidResource(ValueError):
    """A resource that does not validate; ``problems`` says why, one line each (paths
    and rule names only, never the values, which may be PHI)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item.get("loc", ())) or "resource"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{path}: {message}"[:300])
    return problems[:10]


def validate_resource(data: dict):
    """Parse one resource with its R4B model and check its required codes; return the
    model, or raise :class:`InvalidResource`."""
    if not isinstance(data, dict):
        raise InvalidResource(["resource: a FHIR resource is a JSON object"])
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise InvalidResource(["resourceType: missing"])
    try:
        model_class = get_fhir_model_class(resource_type)
    except (ValueError, TypeError):
        problem = f"resourceType: {resource_type[:60]!r} is not a FHIR R4 resource"
        raise InvalidResource([problem]) from None
    try:
        model = model_class.model_validate(data)
    except ValidationError as error:
        raise InvalidResource(_problems(error)) from None
    except (TypeError, ValueError, RecursionError) as error:
        # fhir.resources raises a few plain errors for shapes pydantic never sees.
        raise InvalidResource([f"resource: {type(error).__name__}"]) from None
    problems = [
        f"{element}: {data.get(element)!r} is not an R4 {resource_type}.{element} code"[:200]
        for (kind, element), allowed in REQUIRED_CODES.items()
        if kind == resource_type and element in data and data.get(element) not in allowed
    ]
    if problems:
        raise InvalidResource(problems)
    return model
