"""The inbox, the case thread and consult questions."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecollab.posting import bind, query_id, run_service, submitted
from cases.access import clinician_required
from releases import gate

from .. import selectors, services
from ..forms import AnswerForm, MessageForm


@clinician_required
@require_safe
def inbox(request):
    """Every case thread of the user, with counts only (no message text)."""
    threads = selectors.inbox_threads(request.user)
    unread = sum(summary.unread for summary in threads)
    return render(request, "messaging/inbox.html", {"threads": threads, "unread": unread})


def _read_thread(request, case, *, extra_reads) -> dict:
    """Read one page of the thread through the gate, record the reads (and those of the
    records the page names), set the reader's read markers, and prepare the messages."""
    thread_messages = selectors.messages_of_thread(
        request.user, case, before=query_id(request, "before")
    )
    unread = selectors.unread_ids(request.user, thread_messages)
    pointers = selectors.pointers_for(request.user, thread_messages)
    gate.record_reads(request.user, [*thread_messages, *pointers.records(), *extra_reads])
    services.messages_mark_read(reader=request.user, messages=thread_messages)
    selectors.prepare_for_display(
        thread_messages,
        pointers=pointers,
        unread=unread,
        readers=selectors.readers_of(thread_messages),
    )
    return {
        "thread": thread_messages,
        "unread_count": len(unread),
        "has_earlier": len(thread_messages) == selectors.THREAD_PAGE,
    }


@clinician_required
@require_http_methods(["GET", "POST"])
def thread(request, case_pk):
    case = selectors.access_case_for_thread(request.user, case_pk)
    cannot_write = selectors.why_cannot_write(case, request.user)
    if request.method == "POST" and cannot_write:
        messages.error(request, cannot_write)
        return redirect("messaging:thread", case.pk)
    medications, observations = (
        ([], []) if cannot_write else selectors.pointer_choices(request.user, case)
    )
    initial = {"kind": request.GET.get("kind", "message")}
    form = bind(
        MessageForm, request, medications=medications, observations=observations, initial=initial
    )
    if submitted(request, form) and (
        message := run_service(
            form, services.message_post, case=case, author=request.user, **form.service_kwargs()
        )
    ):
        messages.success(request, "Question sent." if message.is_question else "Message sent.")
        return redirect(message.get_absolute_url())
    context = {
        **_read_thread(request, case, extra_reads=medications),
        "case": case,
        "patient": case.patient,
        "reached": selectors.members_reached(case, request.user),
        "cannot_write": cannot_write,
        "form": form,
    }
    return render(request, "messaging/thread.html", context)


@clinician_required
@require_safe
def question_queue(request):
    """Open questions waiting for the user (oldest first) and the user's own questions."""
    waiting = list(selectors.questions_waiting_for(request.user)[:200])
    asked = list(selectors.questions_asked_by(request.user)[:200])
    return render(request, "messaging/question_queue.html", {"waiting": waiting, "asked": asked})


def _question_page(request, question, form, *, status=200):
    answer = selectors.visible_answers(request.user, [question]).get(question.pk)
    shown = [m for m in [question, answer] if m]
    pointers = selectors.pointers_for(request.user, shown)
    selectors.prepare_for_display(shown, pointers=pointers)
    gate.record_reads(request.user, [r for r in [answer, *pointers.records()] if r])
    services.messages_mark_read(reader=request.user, messages=shown)
    cannot_answer = ""
    if question.is_open:
        if question.author_id == request.user.pk:
            cannot_answer = "You asked this question: the care team answers it."
        else:
            cannot_answer = selectors.why_cannot_write(question.case, request.user)
    context = {
        "question": question,
        "answer": answer,
        "form": form,
        "cannot_answer": cannot_answer,
    }
    return render(request, "messaging/question_detail.html", context, status=status)


@clinician_required
@require_safe
def question_detail(request, pk):
    question = selectors.question_for_user(request.user, pk)
    return _question_page(request, question, AnswerForm())


@clinician_required
@require_POST
def question_answer(request, pk):
    question = selectors.question_for_user(request.user, pk)
    form = bind(AnswerForm, request)
    if submitted(request, form) and run_service(
        form, services.question_answer, question=question, author=request.user, **form.cleaned_data
    ):
        messages.success(request, "Answer sent. The question is closed.")
        return redirect("messaging:question_detail", question.pk)
    return _question_page(request, question, form)
