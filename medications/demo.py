"""Demo medication stories (synthetic): several months of medication changes and the
observations around them, written through the services in date order.

- **Alex**: sertraline started, a partial response, a dose increase, then improvement.
- **Blair**: escitalopram with side effects, a switch to bupropion, a new side effect;
  a declined refill request.
- **Casey**: fluoxetine with missed doses and then a stop by the patient; a
  patient-reported over-the-counter medication the therapist updated.
- **Drew**: clonazepam (schedule IV) and a *late* refill request (needed in 3 days; the
  clinic asks for 10).
- **Emery**: methylphenidate (schedule II) with a timely refill request.
- **Harper**: a medication the therapist cannot see (the release expired).

The prescriber has reviewed the older observations; the last week's wait in the review
queue, flagged ones first. Runs once: a second run finds the medications and stops.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases import services as case_services
from cases.models import Observation

from . import formulary, services
from .models import Medication, MedicationChange

Adherence = Observation.Adherence
Response = Observation.Response
Attitude = Observation.Attitude
Kind = MedicationChange.Kind

# Observations older than this were reviewed by the other clinician (two days after).
REVIEWED_BEFORE_DAYS = 10


class Story:
    """Writes one patient's story with dates counted back from today."""

    def __init__(self, context: dict, key: str, today: dt.date):
        self.case = context["cases"][key]
        self.patient = context["patients"][key]
        self.prescriber = context["clinicians"]["prescriber"].user
        self.therapist = context["clinicians"]["therapist"].user
        self.today = today
        self.observations: list[Observation] = []

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def start(self, days_ago: int, **fields) -> Medication:
        fields.setdefault("filled_on", self.day(days_ago))
        return services.medication_start(
            patient=self.patient, author=self.prescriber, start_date=self.day(days_ago), **fields
        )

    def fills(self, medication: Medication, *days_ago: int) -> None:
        for days in days_ago:
            medication.refresh_from_db()
            services.medication_fill(
                medication=medication,
                author=self.prescriber,
                filled_on=self.day(days),
                quantity=medication.quantity or 30,
                days_supply=medication.days_supply or 30,
                refills_left=max((medication.refills_left or 1) - 1, 0),
            )

    def observe(self, days_ago: int, medications=(), *, author=None, **fields) -> Observation:
        observation = case_services.observation_create(
            case=self.case,
            author=author or self.therapist,
            observed_on=self.day(days_ago),
            medications=list(medications),
            **fields,
        )
        self.observations.append(observation)
        return observation

    def prescriber_note(self, days_ago: int, medications=(), **fields) -> Observation:
        return self.observe(days_ago, medications, author=self.prescriber, **fields)

    def mark_reviews(self) -> None:
        """The other clinician reviewed each shared observation two days after it, up to
        REVIEWED_BEFORE_DAYS ago."""
        now = timezone.now()
        for observation in self.observations:
            if (
                not observation.shared
                or (self.today - observation.observed_on).days < REVIEWED_BEFORE_DAYS
            ):
                continue
            reviewer = (
                self.prescriber if observation.author_id == self.therapist.pk else self.therapist
            )
            at = timezone.make_aware(
                dt.datetime.combine(observation.observed_on + dt.timedelta(days=2), dt.time(12))
            )
            case_services.observation_mark_reviewed(
                observation=observation, reviewer=reviewer, at=min(at, now)
            )


def seed(context: dict) -> None:
    """The medication stories of the demo patients (once)."""
    formulary.formulary_load_if_empty()
    patients = context["patients"]
    if Medication.objects.filter(patient__in=list(patients.values())).exists():
        return
    today = timezone.localdate()
    for story in (_alex, _blair, _casey, _drew, _emery, _harper):
        story(context, today)


def _alex(context, today) -> None:
    """A dose increase followed by improvement."""
    s = Story(context, "alex", today)
    sertraline = s.start(
        160,
        name="Sertraline",
        strength="50 mg",
        directions="1 tablet in the morning",
        frequency="once daily",
        quantity=30,
        days_supply=30,
        refills_left=5,
        reason="Synthetic demo: moderate depression; first SSRI trial.",
    )
    s.observe(
        153,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        side_effects="Synthetic: mild nausea the first days, settling now.",
        attitudes=[Attitude.FEAR_OF_DEPENDENCY],
        attitude_notes="Synthetic: worries about needing it for the rest of their life.",
    )
    s.fills(sertraline, 130)
    s.observe(
        139,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        body="Synthetic: mood flat, sleeping a little better.",
    )
    s.observe(125, [sertraline], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME)
    s.observe(
        111,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.WORSE,
        body="Synthetic: hard week at work, more hopelessness, no safety concerns.",
        question="Synthetic: nine weeks at 50 mg with little change. Time to raise the dose?",
    )
    s.fills(sertraline, 100)
    s.observe(97, [sertraline], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME)
    services.medication_change_dose(
        medication=sertraline,
        author=s.prescriber,
        kind=Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg) in the morning",
        effective_on=s.day(95),
        reason="Synthetic demo: partial response after nine weeks at 50 mg; well tolerated.",
    )
    s.prescriber_note(
        95,
        [sertraline],
        body="Synthetic: raised sertraline to 100 mg. Please watch for restlessness or "
        "agitation in the first two weeks.",
    )
    s.observe(
        88,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        body="Synthetic: a little restless the first days after the increase.",
    )
    s.fills(sertraline, 70)
    s.observe(74, [sertraline], adherence=Adherence.AS_PRESCRIBED, response=Response.BETTER)
    s.observe(
        60,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        body="Synthetic: more energy; went back to the running group.",
    )
    s.fills(sertraline, 40)
    s.observe(46, [sertraline], adherence=Adherence.AS_PRESCRIBED, response=Response.MUCH_BETTER)
    # A change typed on the wrong chart and taken back: it stays in the history, struck
    # through, and counts nowhere (days after, chart, reminders).
    wrong = services.medication_change_dose(
        medication=sertraline,
        author=s.prescriber,
        kind=Kind.INCREASE,
        strength="150 mg",
        directions="1 tablet (150 mg) in the morning",
        effective_on=s.day(38),
    )
    services.medication_change_mark_entered_in_error(
        change=wrong,
        author=s.prescriber,
        reason="Synthetic demo: meant for another patient's chart; Alex stays at 100 mg.",
    )
    s.observe(
        32,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.MUCH_BETTER,
        attitudes=[],
    )
    s.observe(
        18,
        [sertraline],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.MUCH_BETTER,
        body="Synthetic: talks about plans for the summer; therapy work is moving.",
    )
    s.fills(sertraline, 10)
    s.observe(4, [sertraline], adherence=Adherence.AS_PRESCRIBED, response=Response.BETTER)
    s.prescriber_note(
        3, [sertraline], body="Synthetic: saw Alex; continue 100 mg and recheck in six weeks."
    )
    refill = services.refill_request_create(
        medication=sertraline,
        requested_by=s.therapist,
        needed_by=s.day(-20),
        note="Synthetic: asked in session; same pharmacy as before.",
    )
    services.refill_request_send(refill_request=refill, handler=s.prescriber)
    s.mark_reviews()


def _blair(context, today) -> None:
    """A side effect, a switch, and a new side effect."""
    s = Story(context, "blair", today)
    escitalopram = s.start(
        120,
        name="Escitalopram",
        strength="10 mg",
        directions="1 tablet in the morning",
        frequency="once daily",
        quantity=30,
        days_supply=30,
        refills_left=3,
        reason="Synthetic demo: generalised anxiety with low mood.",
    )
    s.observe(
        113,
        [escitalopram],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        side_effects="Synthetic: nausea and headaches in the first week.",
        attitudes=[Attitude.SIDE_EFFECT_WORRIES],
    )
    s.fills(escitalopram, 90)
    s.observe(
        99,
        [escitalopram],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        side_effects="Synthetic: sexual side effects; feels emotionally flat.",
        question="Synthetic: could we try something with fewer sexual side effects?",
        attitudes=[Attitude.SIDE_EFFECT_WORRIES],
    )
    s.observe(
        88,
        [escitalopram],
        adherence=Adherence.MISSED_DOSES,
        response=Response.SAME,
        body="Synthetic: skips weekend doses to avoid the side effects.",
    )
    bupropion = services.medication_switch(
        medication=escitalopram,
        author=s.prescriber,
        name="Bupropion XL",
        strength="150 mg",
        directions="1 tablet in the morning",
        frequency="once daily",
        quantity=30,
        days_supply=30,
        refills_left=5,
        effective_on=s.day(84),
        reason="Synthetic demo: sexual side effects and emotional blunting on escitalopram.",
    )
    s.prescriber_note(
        84,
        [bupropion],
        body="Synthetic: switched to bupropion XL 150 mg (no taper needed at 10 mg). "
        "Insomnia can appear: best taken early in the morning.",
    )
    s.fills(bupropion, 84)
    s.observe(70, [bupropion], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME)
    s.observe(
        56,
        [bupropion],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        body="Synthetic: relieved the side effects are gone.",
    )
    s.fills(bupropion, 54)
    s.observe(
        42,
        [bupropion],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        evaluation_suggestion="Synthetic: tired and cold all the time; primary care could "
        "check the thyroid.",
    )
    s.observe(28, [bupropion], adherence=Adherence.AS_PRESCRIBED, response=Response.BETTER)
    s.fills(bupropion, 24)
    s.observe(
        6,
        [bupropion],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        side_effects="Synthetic: trouble falling asleep for two weeks; takes it at 8 am.",
    )
    refill = services.refill_request_create(
        medication=bupropion,
        requested_by=s.therapist,
        needed_by=s.day(-6),
        note="Synthetic: patient asked for a 90-day supply.",
    )
    services.refill_request_decline(
        refill_request=refill,
        handler=s.prescriber,
        reason="Synthetic: let's meet first about the insomnia; the front desk will book a "
        "visit this week.",
    )
    s.mark_reviews()


def _casey(context, today) -> None:
    """Missed doses, then a stop by the patient; a patient-reported medication."""
    s = Story(context, "casey", today)
    melatonin = services.medication_report(
        patient=s.patient,
        author=s.therapist,
        name="Melatonin",
        strength="3 mg",
        directions="1 tablet at bedtime",
        frequency="nightly",
        prescribed_elsewhere_by="Over the counter",
        controlled_schedule="",  # not in the formulary (a supplement): not controlled
        start_date=s.day(180),
        reason="Synthetic: bought it for sleep before starting with us.",
    )
    fluoxetine = s.start(
        70,
        name="Fluoxetine",
        strength="20 mg",
        directions="1 capsule in the morning",
        frequency="once daily",
        quantity=30,
        days_supply=30,
        refills_left=2,
        reason="Synthetic demo: depression with irritability.",
    )
    s.observe(63, [fluoxetine], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME)
    s.observe(
        49,
        [fluoxetine],
        adherence=Adherence.MISSED_DOSES,
        response=Response.SAME,
        body="Synthetic: forgot doses while staying with family.",
    )
    s.fills(fluoxetine, 38)
    s.observe(
        35,
        [fluoxetine],
        adherence=Adherence.MISSED_DOSES,
        response=Response.WORSE,
        attitudes=[Attitude.FEELING_CONTROLLED],
        attitude_notes="Synthetic: says the capsule 'decides her moods'.",
    )
    services.medication_report_update(
        medication=melatonin,
        author=s.therapist,
        strength="5 mg",
        effective_on=s.day(30),
        reason="Synthetic: raised it herself because sleep got worse.",
    )
    s.observe(
        21, [fluoxetine, melatonin], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME
    )
    s.observe(
        9,
        [fluoxetine],
        adherence=Adherence.MISSED_DOSES,
        response=Response.SAME,
        question="Synthetic: would a pill organiser plan help, or a weekly formulation?",
    )
    s.observe(
        2,
        [fluoxetine],
        adherence=Adherence.STOPPED,
        response=Response.WORSE,
        body="Synthetic: stopped it three days ago; irritable and 'foggy'.",
    )
    s.mark_reviews()


def _drew(context, today) -> None:
    """A controlled substance and a late refill request."""
    s = Story(context, "drew", today)
    clonazepam = s.start(
        140,
        name="Clonazepam",
        strength="0.5 mg",
        directions="1 tablet twice daily as needed for panic",
        frequency="up to twice daily",
        controlled_schedule=Medication.Schedule.IV,
        quantity=60,
        days_supply=30,
        refills_left=5,
        reason="Synthetic demo: panic disorder while therapy starts; short-term plan.",
    )
    s.observe(133, [clonazepam], adherence=Adherence.AS_PRESCRIBED, response=Response.BETTER)
    s.fills(clonazepam, 110)
    s.observe(
        105,
        [clonazepam],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        attitudes=[Attitude.OVER_RELIANCE],
        attitude_notes="Synthetic: takes an extra tablet before hard conversations instead "
        "of the breathing work.",
    )
    s.fills(clonazepam, 80)
    s.observe(
        77,
        [clonazepam],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        question="Synthetic: could we plan a slow taper as the therapy skills take hold?",
    )
    s.prescriber_note(
        75,
        [clonazepam],
        body="Synthetic: agreed; we will talk about a taper at the next visit. Please keep "
        "practising the panic plan with Drew.",
    )
    s.fills(clonazepam, 50)
    s.observe(49, [clonazepam], adherence=Adherence.AS_PRESCRIBED, response=Response.SAME)
    s.fills(clonazepam, 27)
    s.observe(
        21,
        [clonazepam],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        attitudes=[Attitude.FEAR_OF_DEPENDENCY],
    )
    s.observe(
        5,
        [clonazepam],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.SAME,
        body="Synthetic: asked me for the refill today; runs out this weekend.",
    )
    # Needed in 3 days; the clinic asks for 10 days' notice for controlled substances.
    services.refill_request_create(
        medication=clonazepam,
        requested_by=s.therapist,
        needed_by=s.day(-3),
        note="Synthetic: patient asked at the end of the session; runs out this weekend.",
    )
    # The taper agreed at the last visit: from 1 mg a day to 0.125 mg over six weeks.
    services.medication_plan_steps(
        medication=clonazepam,
        author=s.prescriber,
        steps=[
            {
                "planned_on": s.day(-7),
                "strength": "0.25 mg",
                "directions": "1 tablet three times a day",
            },
            {"planned_on": s.day(-21), "strength": "0.25 mg", "directions": "1 tablet twice daily"},
            {"planned_on": s.day(-35), "strength": "0.25 mg", "directions": "1 tablet at bedtime"},
            {
                "planned_on": s.day(-42),
                "strength": "0.125 mg",
                "directions": "1 orally disintegrating tablet at bedtime",
            },
        ],  # fmt: skip
        reason="Synthetic demo: slow taper as the panic plan takes hold; any step can wait.",
    )
    s.mark_reviews()


def _emery(context, today) -> None:
    """A schedule II stimulant with a timely refill request."""
    s = Story(context, "emery", today)
    methylphenidate = s.start(
        60,
        name="Methylphenidate ER",
        strength="36 mg",
        directions="1 tablet in the morning",
        frequency="once daily",
        controlled_schedule=Medication.Schedule.II,
        quantity=30,
        days_supply=30,
        refills_left=0,
        reason="Synthetic demo: adult ADHD confirmed on assessment.",
    )
    s.observe(
        53,
        [methylphenidate],
        adherence=Adherence.AS_PRESCRIBED,
        response=Response.BETTER,
        body="Synthetic: focus better at work.",
    )
    s.fills(methylphenidate, 31)
    s.observe(25, [methylphenidate], adherence=Adherence.AS_PRESCRIBED, response=Response.BETTER)
    s.fills(methylphenidate, 12)
    s.observe(
        11, [methylphenidate], adherence=Adherence.AS_PRESCRIBED, response=Response.MUCH_BETTER
    )
    services.refill_request_create(
        medication=methylphenidate,
        requested_by=s.therapist,
        needed_by=s.day(-14),
        note="Synthetic: a new prescription is needed each month.",
    )
    s.mark_reviews()


def _harper(context, today) -> None:
    """Written after Harper's release expired: the therapist does not see it."""
    s = Story(context, "harper", today)
    s.start(
        200,
        name="Lamotrigine",
        strength="100 mg",
        directions="1 tablet twice daily",
        frequency="twice daily",
        quantity=60,
        days_supply=30,
        refills_left=3,
        reason="Synthetic demo: bipolar II, maintenance.",
    )
