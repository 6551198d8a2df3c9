from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("applicants/", views.ApplicantList.as_view(), name="applicants"),
    path("applicants/<uuid:applicant_id>/", views.ApplicantDetail.as_view(), name="applicant"),
    path("applicants/<uuid:applicant_id>/erasure/", views.ApplicantErasure.as_view(), name="erasure"),
    path("applicants/<uuid:applicant_id>/photos/", views.PhotoUpload.as_view(), name="photos"),
    path("applicants/<uuid:applicant_id>/liveness-data/", views.LivenessDataUpload.as_view(), name="liveness_data"),
    path(
        "applicants/<uuid:applicant_id>/verifications/",
        views.ApplicantVerifications.as_view(),
        name="applicant_verifications",
    ),
    path("verifications/", views.VerificationList.as_view(), name="verifications"),
    path("verifications/<uuid:verification_id>/", views.VerificationDetail.as_view(), name="verification"),
]
