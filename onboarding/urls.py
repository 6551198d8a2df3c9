from django.urls import path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.start, name="start"),
    path("verify/selfie/", views.selfie, name="selfie"),
    path("verify/id-card/", views.id_card, name="id_card"),
    path("verify/id-card/back/", views.id_card_back, name="id_card_back"),
    path("verify/details/", views.details, name="details"),
    path("verify/confirm/", views.confirm, name="confirm"),
    path("verify/challenge/", views.challenge_start, name="challenge_start"),
    path("verify/challenge/<uuid:challenge_id>/", views.challenge_submit, name="challenge_submit"),
    path("verify/challenge/<uuid:challenge_id>/verdict", views.challenge_verdict, name="challenge_verdict"),
    path("verify/challenge/<uuid:challenge_id>/frames/<int:index>", views.challenge_frame, name="challenge_frame"),
    path("verify/status/<uuid:verification_id>/", views.status, name="status"),
    path("verify/status/<uuid:verification_id>/json", views.status_json, name="status_json"),
    path("verify/photos/<uuid:photo_id>/", views.photo_file, name="photo"),
    path("verify/precheck/<uuid:photo_id>/", views.precheck, name="precheck"),
    path("verify/handoff/", views.handoff_start, name="handoff_start"),
    path("verify/handoff/<uuid:handoff_id>/", views.handoff_state, name="handoff_state"),
    path("verify/handoff/confirm/", views.handoff_confirm, name="handoff_confirm"),
    path("h/<str:code>", views.handoff_claim, name="handoff_claim"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("brand/logo.png", views.brand_logo, name="brand_logo"),
    path("vendor-images/<str:token>", views.vendor_image, name="vendor_image"),
]
