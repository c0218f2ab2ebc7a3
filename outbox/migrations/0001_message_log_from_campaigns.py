"""The message log moves from campaigns to the outbox app, table and rows untouched.

Only Django's idea of the model moves (state): the table stays `campaigns_message` (Meta.db_table)
with its rows, indexes and constraints; campaigns 0008 drops the old model from campaigns' state.
The content type follows, so the permissions granted on the delivery log stay granted.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="campaigns", target="outbox"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="message").exists():
        ContentType.objects.using(db).filter(app_label=source, model="message").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="outbox", target="campaigns")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("campaigns", "0007_step_texts_send_time_and_tests"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("survey", "0015_choice_is_dont_know"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('invitation', 'Invitation'), ('reminder-not-started', 'Relance : invité, pas commencé'), ('reminder-draft', 'Relance : brouillon non envoyé'), ('closing-notice', 'Avis de clôture'), ('resume-link', 'Lien de reprise'), ('resume-links', 'Liens de reprise demandés par adresse'), ('receipt', 'Accusé de réception'), ('access-request', "Demande d'accès"), ('access-granted', 'Accès accordé'), ('step-test', "Essai d'une étape, envoyé à soi-même")], max_length=24, verbose_name='type')),
                        ('recipient', models.EmailField(blank=True, max_length=254, verbose_name='destinataire')),
                        ('subject', models.CharField(blank=True, max_length=300, verbose_name='objet')),
                        ('body_text', models.TextField(blank=True, verbose_name='texte')),
                        ('status', models.CharField(choices=[('queued', 'En attente'), ('sent', "Remis au serveur d'envoi"), ('failed', 'Échec'), ('bounced', 'Rejeté par le destinataire'), ('cancelled', 'Annulé (désinscrit ou injoignable)')], default='queued', max_length=10, verbose_name='statut')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='tentatives')),
                        ('last_error', models.CharField(blank=True, max_length=500, verbose_name='dernière erreur')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='créé le')),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='prochaine tentative')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='envoyé le')),
                        ('provider_id', models.CharField(blank=True, db_index=True, max_length=200, verbose_name='identifiant chez le prestataire')),
                        ('provider_event', models.CharField(blank=True, max_length=50, verbose_name='dernier événement du prestataire')),
                        ('access_request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='survey.accessrequest', verbose_name="demande d'accès")),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='messages', to='campaigns.contact', verbose_name='contact')),
                        ('edition', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='survey.edition', verbose_name='édition')),
                        ('respondent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='survey.respondent', verbose_name='répondant')),
                        ('step', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='campaigns.step', verbose_name='étape')),
                    ],
                    options={
                        'verbose_name': 'message',
                        'verbose_name_plural': 'journal des envois',
                        'db_table': 'campaigns_message',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='message_due_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('contact__isnull', False), ('step__isnull', False)), fields=('contact', 'edition', 'step'), name='one_message_per_contact_and_step', violation_error_message='Ce contact a déjà reçu cette étape.'), models.UniqueConstraint(condition=models.Q(('respondent__isnull', False), ('step__isnull', False)), fields=('respondent', 'edition', 'step'), name='one_message_per_respondent_and_step', violation_error_message='Ce répondant a déjà reçu cette étape.')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
