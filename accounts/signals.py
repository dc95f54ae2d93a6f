"""Cache side effects of user changes (run on commit; no business rule here)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.auth import forget_user
from accounts.models import User


@receiver([post_save, post_delete], sender=User)
def _forget_changed_user(sender, instance, **kwargs):
    forget_user(instance.pk)
