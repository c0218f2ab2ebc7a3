from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from barometre.models import EnrolmentLink
from survey.links import absolute_url


class Command(BaseCommand):
    help = (
        "Crée le lien d'inscription à la double authentification d'un compte du personnel "
        "(à usage unique, valable 3 jours) et l'affiche : pour le premier super-utilisateur, "
        "qu'aucun autre ne peut inscrire. Les suivants le reçoivent d'un super-utilisateur, "
        "dans l'administration (Utilisateurs, action « Créer un lien d'inscription »)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"Aucun compte du personnel « {username} ».")
        _, token = EnrolmentLink.issue(user)
        path = reverse("admin:two_factor_enrolment_link", args=[token])
        self.stdout.write(absolute_url(path))
