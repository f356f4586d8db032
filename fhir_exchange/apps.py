from django.apps import AppConfig


class FhirExchangeConfig(AppConfig):
    """HL7 FHIR R4: export what a clinician may read of a patient, import medication lists.

    The folder is not called ``fhir`` because that name belongs to the ``fhir.resources``
    package this app validates with; its URLs live under ``/fhir/`` (namespace ``fhir``).
    """

    name = "fhir_exchange"
    verbose_name = "FHIR exchange"

    def ready(self) -> None:
        from cases import extensions

        from . import panels

        extensions.add_patient_action(panels.patient_actions)
