"""Matching an uploaded medication list to the formulary and to the patient's list.

Each candidate (``importing.Candidate``) is matched to the clinic's formulary by an
RxNorm ingredient code the formulary states, else by its name (generic, brand, or
generic with a formulation suffix: the formulary's own rule,
``medications.formulary.entry_for_name``). A medication the formulary does not know, or
one already on the list the clinician sees (or listed twice in the file), gets a
message and cannot be chosen.
"""

from __future__ import annotations

import re

from medications import formulary
from medications.models import Medication

from .importing import Candidate

# The name part of an EHR's drug text: the words before the first number
# ("Wellbutrin XL 150 MG 24 HR Extended Release Oral Tablet" -> "Wellbutrin XL").
NAME_PART = re.compile(r"^\D*?(?=\s*\d)|^\D+$")


def name_part(text: str) -> str:
    match = NAME_PART.match(text.strip())
    return " ".join((match.group(0) if match else text).split())


def match_formulary(candidates: list[Candidate], *, clinic_id: int) -> None:
    """Set each candidate's formulary entry (id, name, schedule), or say it is unknown."""
    entries = list(formulary.formulary_for_clinic(clinic_id))
    by_rxcui = {entry.rxnorm_rxcui: entry for entry in entries if entry.rxnorm_rxcui}
    for candidate in candidates:
        if not candidate.name:
            continue
        entry = next((by_rxcui[code] for code in candidate.rxnorm if code in by_rxcui), None)
        if entry is None:
            entry = formulary.entry_for_name(clinic_id, name_part(candidate.name))
        if entry is None:
            candidate.problems.append(
                "CareCollab's formulary does not know this medication: add it by hand "
                "(as 'Other', with its schedule) if it belongs on the list."
            )
            continue
        candidate.formulary_id = entry.pk
        candidate.formulary_name = entry.display_name
        candidate.controlled_schedule = entry.dea_schedule


def mark_duplicates(candidates: list[Candidate], current: list[Medication]) -> None:
    """A medication already on the patient's active list (as the clinician sees it), or
    listed earlier in the same file, cannot be added again."""
    on_list = {m.formulary_entry_id for m in current if m.formulary_entry_id}
    names = {m.name.strip().lower() for m in current}
    seen: dict[int, int] = {}
    for candidate in candidates:
        if candidate.formulary_id is None:
            continue
        if candidate.formulary_id in on_list or candidate.formulary_name.lower() in names:
            candidate.problems.append(
                f"{candidate.formulary_name} is already on the patient's medication list: "
                "change it there instead of adding it twice."
            )
        elif candidate.formulary_id in seen:
            candidate.problems.append(
                f"{candidate.formulary_name} is listed twice in this file (also entry "
                f"{seen[candidate.formulary_id]}): only the first can be added."
            )
        elif candidate.choosable:
            seen[candidate.formulary_id] = candidate.index
