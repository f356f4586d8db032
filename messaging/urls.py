from django.urls import path

from .views import conferences, threads

app_name = "messaging"

urlpatterns = [
    # Case threads and consult questions
    path("", threads.inbox, name="inbox"),
    path("cases/<int:case_pk>/", threads.thread, name="thread"),
    path("questions/", threads.question_queue, name="question_queue"),
    path("questions/<int:pk>/", threads.question_detail, name="question_detail"),
    path("questions/<int:pk>/answer/", threads.question_answer, name="question_answer"),
    # Case conferences
    path("conferences/", conferences.conference_list, name="conference_list"),
    path(
        "cases/<int:case_pk>/conferences/new/",
        conferences.conference_request,
        name="conference_request",
    ),
    path("conferences/<int:pk>/", conferences.conference_detail, name="conference_detail"),
    path(
        "conferences/<int:pk>/confirm/", conferences.conference_confirm, name="conference_confirm"
    ),
    path(
        "conferences/<int:pk>/propose/", conferences.conference_propose, name="conference_propose"
    ),
    path(
        "conferences/<int:pk>/outcome/", conferences.conference_outcome, name="conference_outcome"
    ),
    path("conferences/<int:pk>/cancel/", conferences.conference_cancel, name="conference_cancel"),
]
