from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.dag_list, name="dag_list"),
    path("<str:dag_id>/", views.dag_detail, name="dag_detail"),
    path("<str:dag_id>/grid/", views.dag_grid, name="dag_grid"),
    path("<str:dag_id>/trigger/", views.trigger, name="trigger"),
    path("<str:dag_id>/pause/", views.set_paused, name="set_paused"),
    path("<str:dag_id>/runs/<int:run_pk>/tasks/<str:task_id>/", views.task_instance, name="task_instance"),
    path("<str:dag_id>/runs/<int:run_pk>/tasks/<str:task_id>/clear/", views.clear, name="clear"),
    path("<str:dag_id>/runs/<int:run_pk>/tasks/<str:task_id>/mark/", views.mark, name="mark"),
]
