from django.urls import path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.start, name="start"),
    path("verify/selfie/", views.selfie, name="selfie"),
    path("verify/id-card/", views.id_card, name="id_card"),
    path("verify/review/", views.review, name="review"),
    path("verify/status/<uuid:verification_id>/", views.status, name="status"),
    path("verify/status/<uuid:verification_id>/json", views.status_json, name="status_json"),
    path("verify/photos/<uuid:photo_id>/", views.photo_file, name="photo"),
    path("vendor-images/<str:token>", views.vendor_image, name="vendor_image"),
]
