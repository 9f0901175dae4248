"""The hash chain's columns and tables (filled by 0004, made required and guarded by 0005)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_plural_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent", name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="entry number")),
        migrations.AddField(
            model_name="auditevent", name="actor_name",
            field=models.CharField(blank=True, default="", max_length=150,
                                   verbose_name="username as recorded"),
            preserve_default=False),
        migrations.AddField(
            model_name="auditevent", name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="previous hash"),
            preserve_default=False),
        migrations.AddField(
            model_name="auditevent", name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
            preserve_default=False),
        migrations.AlterField(
            model_name="auditevent", name="at",
            field=models.DateTimeField(db_index=True, verbose_name="when")),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-seq"], "verbose_name": "audit event",
                     "verbose_name_plural": "audit events"}),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(verbose_name="entry number")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
            ],
            options={"verbose_name": "audit trail head",
                     "verbose_name_plural": "audit trail head",
                     "constraints": [models.CheckConstraint(condition=models.Q(id=1),
                                                            name="audit_head_one_row")]},
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("upto_seq", models.PositiveBigIntegerField(unique=True,
                                                            verbose_name="up to entry number")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
                ("removed", models.PositiveBigIntegerField(verbose_name="entries removed")),
                ("before", models.DateTimeField(verbose_name="entries older than")),
                ("at", models.DateTimeField(verbose_name="when")),
                ("by", models.CharField(max_length=150, verbose_name="pruned by")),
            ],
            options={"ordering": ["-upto_seq"], "verbose_name": "audit checkpoint",
                     "verbose_name_plural": "audit checkpoints"},
        ),
    ]
