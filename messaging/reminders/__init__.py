"""Reminders: the sweeps that decide what is due, and their exactly-once delivery.

**Rows first.** A sweep computes, for every kind, the set of reminders due today, each
identified by (kind, subject, due date, recipient), and in one transaction inserts the
missing rows (the database's unique constraint makes a second sweep, or a second beat,
insert nothing) and marks *resolved* the open rows that are no longer due: the subject
was acted on (the observation was logged, the question answered, the refill asked
for, a new release activated), the medication stopped, the recipient lost access. After
the commit it enqueues one delivery task per pending row.

**Set-based.** Each kind's rule is one SQL query of (subject, due date, recipient) rows:
the candidates, their care team's recipients and the gate's rule
(``releases.gate.readable_by``: the releases, care teams and grants in force, hashed
once) together, never a query per subject or per recipient. One statement then inserts
the new rows and finds the stale ones from those rows, without loading them into Python.
A sweep runs the same number of queries for one patient as for thousands.

**Delivery.** A delivery task claims its row with one conditional UPDATE
(pending -> sending) and exits when that claims nothing; it creates the in-app
notification (idempotent by the key ``reminder:<id>``) and marks the row sent in one
transaction. The notification goes to the registered channels after commit: the e-mail
channel (``messaging.email``) sends the reminder's e-mail, exactly once, by
:func:`reminder_email_send`. A failed delivery gives its row back (pending) for the
task's retry; a worker that dies leaves the row in "sending", and
:func:`reminders_redeliver` hands it out again after ``STUCK_AFTER``, together with
rows never enqueued (Redis was down) and e-mails never sent.

**What "exactly once" means here.** In the app: exactly once, always (one row per key,
one notification per row by the unique ``reminder:<id>`` key, whatever runs twice). By
e-mail: the claim (``email_sent_at``) and the SMTP hand-over happen inside one database
transaction, so a failed send rolls the claim back and is retried, and a concurrent
sender waits on the row lock and then finds it claimed. One window remains: the SMTP
server accepted the message and the process died, or the database went away, before
COMMIT; the claim rolls back and a later attempt sends a second copy (with the same
Message-ID, which mail systems that de-duplicate use). No mail is lost, none is sent
twice outside that window. Redis down: nothing is lost (rows wait in the database),
pages do not wait for it (publishing gives up in a fraction of a second, then pauses),
and the next sweep delivers.

**Who and when** (per-clinic settings on ``cases.Clinic``; "today" is the local date):

- refill due: an active, prescribed medication whose last fill plus days of supply ends
  within the lead time (``controlled_refill_lead_days`` for schedule II-V, else
  ``refill_lead_days``), with no open refill request and none sent since the last fill;
  not when it stops on or before the day the supply ends. Due on ``supply end - lead``;
  dropped two weeks after the supply ran out (stale data). -> prescribers and
  therapists on the care team who may read the medication.
- late refill request: a request flagged ``late`` by the medications service (a
  controlled substance asked for inside the lead time), made in the last 14 days. Due
  the day it was made. It is something to explore with the patient, not logistics: it
  resolves for a clinician when they write an observation (private ones count) after
  the request. -> prescribers and therapists who may read the request.
- check-in due: ``checkin_days`` (7, 28) after a start, dose change, switch or stop
  (``MedicationChange`` rows). Only the latest check-in point that has passed is due
  (at day 28 the 28-day one replaces the 7-day one); three weeks after the last point
  it lapses. A later change of the same medication, once in effect, supersedes earlier
  ones (a switch counts for the old and the new medication); a start or dose change of a
  medication stopped before the check-in needs none (the stop has its own). What counts
  as an observation *about* the change: a shared observation of the patient, observed
  from the middle of the interval leading to the check-in (day 4 for day 7, day 18 for
  day 28), that is linked to the medication (``Medication.observations``), or is linked
  to no medication and records adherence or response. A note linked to another
  medication, a private note or a note with neither field does not count.
  -> therapists on the care team who may read the change.
- quiet case: an open case that had no shared observation for ``quiet_case_days`` (21),
  again every 21 days of quiet, when the therapist's shared observations would reach a
  prescriber of the case under a release active now (without one, asking to share is
  noise). -> the case's therapists.
- release expiring: ``release_notice_days`` (30, 7) before an active release's expiry
  date (the nearest notice that has passed), unless a newer active release between the
  same parties runs longer. -> the clinic's admins and the patient's care team.
- consult waiting: a consult question open ``consult_wait_working_days`` (2) working
  days (Monday to Friday). -> the care team except the asker (the prescriber, for a
  therapist's question) who may read it.

The package: ``rules`` (what is due, to whom), ``services`` (sweeps and delivery),
``texts`` (what a reminder says and where it links), ``selectors`` (the due view).
"""

from .rules import EVALUATORS, add_working_days
from .selectors import reminders_due_for
from .services import (
    reminder_deliver,
    reminder_email_send,
    reminders_redeliver,
    reminders_resolve_for,
    reminders_sweep,
)

__all__ = [
    "EVALUATORS",
    "add_working_days",
    "reminder_deliver",
    "reminder_email_send",
    "reminders_due_for",
    "reminders_redeliver",
    "reminders_resolve_for",
    "reminders_sweep",
]
