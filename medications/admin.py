"""Medications, their changes and refill requests are clinical records, so they are not
in the Django admin: clinic admins and staff never read clinical text (minimum
necessary), and every change goes through ``medications.services``, which writes its
MedicationChange row."""
