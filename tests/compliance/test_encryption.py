"""Applicants' files encrypted at rest: nothing readable on disk, tamper-evident, keys rotate, S3 too."""

import base64
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image, UnidentifiedImageError

from onboarding import encryption
from onboarding.models import Photo, PhotoAnalysis
from onboarding.services.applicant.analysis import stored_analysis
from onboarding.storage import read_file
from tests.conftest import face_bytes, id_card_bytes
from tests.factories import submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files():
    root = Path(settings.KYC_PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()]


def test_nothing_in_the_storage_folder_is_a_readable_image(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("onboarding:start"), {"agree": "on"})
    client.post(
        reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")}
    )
    client.post(
        reverse("onboarding:id_card"), {"photo": SimpleUploadedFile("c.jpg", id_card_bytes("obama_2"), "image/jpeg")}
    )
    client.post(reverse("onboarding:confirm"))
    files = stored_files()
    assert len(files) >= 2
    root = Path(settings.KYC_PRIVATE_MEDIA_ROOT)
    for path in files:
        blob = path.read_bytes()
        plain = encryption.decrypt(blob, name=str(path.relative_to(root)))
        # Not a 4-byte marker such as b"JFIF", which random ciphertext contains now and then: the
        # file's own first 64 plaintext bytes (JPEG header and JFIF/EXIF segment) appear nowhere. (A
        # few-byte file another test left in the folder could match by chance: too short to mean anything.)
        # (Not "no FF D8 FF in the first 64 bytes": any three bytes turn up in ciphertext now and then,
        # and the folder holds every file the session's tests stored.)
        assert blob.startswith(b"KYC1") and (len(plain) < 16 or plain[:64] not in blob)
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(blob))
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    # ...and the applicant still sees their own photo, decrypted on the way out.
    photo = Photo.objects.filter(kind="selfie").first()
    r = client.get(reverse("onboarding:photo", args=[photo.pk]))
    assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"
    assert Client().get(reverse("onboarding:photo", args=[photo.pk])).status_code == 404


def test_a_changed_or_swapped_file_does_not_decrypt():
    v = submitted_verification()
    selfie, card = Path(v.selfie.file.path), Path(v.id_card.file.path)
    original = selfie.read_bytes()
    selfie.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(encryption.DecryptionError, match="altered"):
        read_file(Photo.objects.get(pk=v.selfie_id))
    selfie.write_bytes(card.read_bytes())  # a valid file under another name
    with pytest.raises(encryption.DecryptionError):
        read_file(Photo.objects.get(pk=v.selfie_id))


def test_key_rotation_reencrypts_every_file(settings):
    old = settings.KYC_ENCRYPTION_KEYS[0]
    v = submitted_verification()
    before = read_file(v.selfie)
    new = encryption.new_key()
    settings.KYC_ENCRYPTION_KEYS = [new, old]  # the new key first: it encrypts, both decrypt
    assert read_file(v.selfie) == before
    out = io.StringIO()
    call_command("kyc_reencrypt", stdout=out)
    assert "2 rotated" in out.getvalue()
    new_id = encryption.key_id(base64.b64decode(new))
    for photo in (v.selfie, v.id_card):
        assert encryption.blob_key_id(Path(photo.file.path).read_bytes()) == new_id
    analyses = PhotoAnalysis.objects.filter(photo__in=[v.selfie_id, v.id_card_id])
    assert "2 photo analyses re-encrypted" in out.getvalue() and analyses.count() == 2
    for row in analyses:
        assert {encryption.blob_key_id(bytes(row.data)), encryption.blob_key_id(bytes(row.embedding))} == {new_id}
    settings.KYC_ENCRYPTION_KEYS = [new]  # the old key can now be destroyed
    assert read_file(Photo.objects.get(pk=v.selfie_id)) == before
    assert stored_analysis(Photo.objects.get(pk=v.selfie_id)).embedding is not None
    call_command("kyc_reencrypt", stdout=out)
    assert "2 current" in out.getvalue()


def test_files_written_before_encryption_are_encrypted_by_the_command():
    v = submitted_verification()
    plain = read_file(v.selfie)
    Path(v.selfie.file.path).write_bytes(plain)  # as an older version stored it
    with pytest.raises(encryption.DecryptionError, match="not an encrypted file"):
        read_file(Photo.objects.get(pk=v.selfie_id))
    out = io.StringIO()
    call_command("kyc_reencrypt", stdout=out)
    assert "1 encrypted" in out.getvalue() and read_file(Photo.objects.get(pk=v.selfie_id)) == plain


def test_a_missing_key_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.KYC_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="KYC_ENCRYPTION_KEYS is empty"):
        encryption.encrypt(b"x", name="n")
    settings.KYC_ENCRYPTION_KEYS = [base64.b64encode(b"short").decode()]
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        encryption.encrypt(b"x", name="n")


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on loopback: the real S3 HTTP protocol, no cloud account."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_s3_storage_holds_only_ciphertext_and_rotates(s3_server, settings, monkeypatch):
    import boto3

    from onboarding.storage import EncryptedS3Storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="kyc-test")
    storage = EncryptedS3Storage(
        bucket_name="kyc-test", location="kyc", endpoint_url=s3_server, region_name="us-east-1"
    )
    photo = face_bytes("obama_1")
    name = storage.save("photos/a/b", ContentFile(photo))
    raw = s3.get_object(Bucket="kyc-test", Key=f"kyc/{name}")["Body"].read()
    assert raw.startswith(b"KYC1") and photo[:64] not in raw
    with storage.open(name) as f:
        assert f.read() == photo
    with pytest.raises(NotImplementedError):
        storage.url(name)
    old = settings.KYC_ENCRYPTION_KEYS[0]
    settings.KYC_ENCRYPTION_KEYS = [encryption.new_key(), old]
    assert storage.reencrypt(name) == "rotated" and storage.reencrypt(name) == "current"
    with storage.open(name) as f:
        assert f.read() == photo
    assert storage.size(name) == len(photo)
