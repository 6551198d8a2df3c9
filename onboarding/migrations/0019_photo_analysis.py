"""FaceTemplate becomes the photo's analysis: kept rows keep their embeddings (has_embedding), and
their other parts are made again on first use (no engine recorded)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0018_external_ref_plain_text"),
    ]

    operations = [
        migrations.RenameModel("FaceTemplate", "PhotoAnalysis"),
        migrations.RenameField("photoanalysis", "face_found", "has_embedding"),
        migrations.AlterField(
            model_name="photoanalysis",
            name="has_embedding",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="photoanalysis",
            name="photo",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="analysis", to="onboarding.photo"
            ),
        ),
        migrations.AddField(
            model_name="photoanalysis",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="SHA-256 of the analysed image"),
        ),
        migrations.AddField(
            model_name="photoanalysis",
            name="engine",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="photoanalysis",
            name="data",
            field=models.BinaryField(blank=True, default=b""),
        ),
        migrations.AddField(
            model_name="photoanalysis",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterModelOptions(
            name="photoanalysis",
            options={"verbose_name": "photo analysis", "verbose_name_plural": "photo analyses"},
        ),
    ]
