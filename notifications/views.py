"""The notifications page: open, mark read, dismiss, snooze (no PHI anywhere here)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from carecollab.posting import bind, next_url, run_action, safe_url

from . import selectors, services
from .forms import SnoozeForm


@require_safe
def notification_list(request):
    page = Paginator(selectors.notifications_current(request.user), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "snoozed": list(selectors.notifications_snoozed(request.user)[:50]),
        "snooze_form": SnoozeForm(),
    }
    return render(request, "notifications/notification_list.html", context)


def _back(request):
    return redirect(next_url(request, reverse("notifications:list")))


@require_safe
def notification_open(request, pk):
    """Mark the notification read and go to what it links to."""
    notification = selectors.access_notification_by_id(request.user, pk)
    services.notification_mark_read(notification=notification)
    return redirect(safe_url(request, notification.url, reverse("notifications:list")))


@require_POST
def notification_read(request, pk):
    notification = selectors.access_notification_by_id(request.user, pk)
    services.notification_mark_read(notification=notification)
    return _back(request)


@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(recipient=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return _back(request)


@require_POST
def notification_dismiss(request, pk):
    notification = selectors.access_notification_by_id(request.user, pk)
    run_action(
        request,
        services.notification_dismiss,
        notification=notification,
        success="Notification dismissed.",
    )
    return _back(request)


def _snoozed_until(notification) -> str:
    return f"Snoozed until {timezone.localtime(notification.snoozed_until):%a %d %b, %H:%M}."


@require_POST
def notification_snooze(request, pk):
    notification = selectors.access_notification_by_id(request.user, pk)
    form = bind(SnoozeForm, request)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(request)
    run_action(
        request,
        services.notification_snooze,
        notification=notification,
        until=form.until_time(),
        success=_snoozed_until,
    )
    return _back(request)


@require_POST
def notification_unsnooze(request, pk):
    notification = selectors.access_notification_by_id(request.user, pk)
    services.notification_unsnooze(notification=notification)
    return _back(request)
