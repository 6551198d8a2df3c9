"""factory_boy factories that go through the real services, so rows are what production writes."""

import factory
from django.conf import settings

from onboarding.models import Applicant, Photo
from onboarding.services.applicant.applicants import add_photo, create_applicant
from onboarding.services.pipeline.verifications import submit_verification
from tests.conftest import face_bytes, id_card_bytes


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    external_ref = factory.Sequence(lambda n: f"customer-{n}")

    @classmethod
    def _create(cls, model_class, external_ref="", **kwargs):
        return create_applicant(consent_version=settings.KYC_CONSENT_VERSION, external_ref=external_ref)


class PhotoFactory(factory.django.DjangoModelFactory):
    """PhotoFactory(applicant=a, kind="selfie", source=b"...jpeg bytes...")."""

    class Meta:
        model = Photo

    applicant = factory.SubFactory(ApplicantFactory)
    kind = Photo.Kind.SELFIE
    source = factory.LazyAttribute(
        lambda o: face_bytes("obama_1") if o.kind == Photo.Kind.SELFIE else id_card_bytes("obama_2")
    )

    @classmethod
    def _create(cls, model_class, applicant, kind, source):
        return add_photo(applicant, kind, source)


def submitted_verification(selfie="obama_1", card="obama_2", *, vendors=None, applicant=None, **card_kwargs):
    """A verification of real photos, submitted through the service (eager tasks run it at once)."""
    applicant = applicant or ApplicantFactory()
    selfie_photo = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes(selfie))
    card_photo = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=id_card_bytes(card, **card_kwargs))
    return submit_verification(applicant, selfie=selfie_photo, id_card=card_photo, vendors=vendors)
