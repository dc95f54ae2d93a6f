"""What managers may open in the back office (the Django admin).

Managers are staff: they log into /admin/ and see the sales dashboard of their own branch (the
dashboard view checks the role itself). For the model pages they get the "Managers" group:
view permissions on branches, the catalog and sales — read-mostly, and the order pages
scope rows to their branch (sales.admin) — plus their branch's registers and cash sessions:
adding and changing registers, opening sessions ("add") and closing them ("change"), all
through sales.cash like the API. Other writes stay with the API and admins.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from accounts.models import MANAGERS_GROUP, Role, User

#: (app label, model) pairs managers may view.
MANAGER_VIEWS = [
    ("accounts", "branch"),
    ("catalog", "category"),
    ("catalog", "product"),
    ("catalog", "stocklevel"),
    ("catalog", "stockmovement"),
    ("sales", "customer"),
    ("sales", "order"),
    ("sales", "orderitem"),
    ("sales", "payment"),
    ("sales", "refund"),
    ("sales", "refunditem"),
    ("sales", "register"),
    ("sales", "cashsession"),
    ("sales", "cashmovement"),
]
#: (app label, model, action) managers may also do: the cash drawers of their branch.
MANAGER_WRITES = [
    ("sales", "register", "add"),
    ("sales", "register", "change"),
    ("sales", "cashsession", "add"),
    ("sales", "cashsession", "change"),
]


def managers_group_sync(using: str = "default", **kwargs) -> Group:
    """Create or repair the Managers group and put every manager in it (after each migrate)."""
    group, _ = Group.objects.using(using).get_or_create(name=MANAGERS_GROUP)
    wanted = Q()
    for app_label, model in MANAGER_VIEWS:
        wanted |= Q(content_type__app_label=app_label, codename=f"view_{model}")
    for app_label, model, action in MANAGER_WRITES:
        wanted |= Q(content_type__app_label=app_label, codename=f"{action}_{model}")
    group.permissions.set(Permission.objects.using(using).filter(wanted))
    managers = User.objects.using(using).filter(role=Role.MANAGER).exclude(groups=group)
    group.user_set.add(*managers)
    return group
