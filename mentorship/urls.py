from django.urls import path

from mentorship.views import builders, members

app_name = "mentorship"

urlpatterns = [
    path("", members.home, name="home"),
    path("batches/<slug:slug>/", members.batch_detail, name="batch"),
    path("batches/<slug:slug>/apply/mentor/", members.apply_mentor, name="apply_mentor"),
    path("batches/<slug:slug>/apply/mentee/", members.apply_mentee, name="apply_mentee"),
    path("applications/mentor/<int:pk>/edit/", members.edit_mentor, name="edit_mentor"),
    path("applications/mentee/<int:pk>/edit/", members.edit_mentee, name="edit_mentee"),
    path("applications/<str:role>/<int:pk>/withdraw/", members.withdraw, name="withdraw"),
    path("applications/mentee/<int:pk>/rematch/", members.join_rematch_queue, name="join_rematch_queue"),
    path("matches/<int:pk>/", members.match_detail, name="match"),
    path("matches/<int:pk>/end/", members.end_match, name="end_match"),
    path("matches/<int:pk>/feedback/", members.give_feedback, name="feedback"),
    path("matches/<int:pk>/check-in/", members.answer_check_in, name="answer_check_in"),
    path("check-in/<str:token>/", members.check_in_link, name="check_in"),
    path("manage/", builders.batch_list, name="batches"),
    path("manage/new/", builders.batch_create, name="batch_create"),
    path("manage/<slug:slug>/", builders.review, name="review"),
    path("manage/<slug:slug>/status/", builders.transition, name="transition"),
    path("manage/<slug:slug>/run/", builders.run, name="run"),
    path("manage/<slug:slug>/matching-run/", builders.matching_run, name="matching_run"),
    path("manage/runs/<int:pk>/move/", builders.move_run, name="move_run"),
    path("manage/runs/<int:pk>/cancel/", builders.cancel_run, name="cancel_run"),
    path("manage/<slug:slug>/publish/", builders.publish, name="publish"),
    path("manage/<slug:slug>/approve-all/", builders.approve_all, name="approve_all"),
    path("manage/<slug:slug>/swap/", builders.swap, name="swap"),
    path("manage/<slug:slug>/rules/", builders.add_rule, name="add_rule"),
    path("manage/<slug:slug>/report/", builders.report, name="report"),
    path("manage/matches/<int:pk>/<str:decision>/", builders.decide, name="decide"),
    path("manage/rules/<int:pk>/delete/", builders.delete_rule, name="delete_rule"),
]
