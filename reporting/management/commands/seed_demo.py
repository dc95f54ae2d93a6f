"""Fill the database with demo data: branches and one user per role (more as the apps grow)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Branch, Role, User

DEMO_PASSWORD = "PosPro-Demo-2025!"
DEMO_BRANCHES = [
    ("IST-01", "Istanbul Kadikoy", "Bagdat Cd. 101, Kadikoy, Istanbul", "+90 216 555 01 01"),
    ("ANK-01", "Ankara Cankaya", "Tunali Hilmi Cd. 55, Cankaya, Ankara", "+90 312 555 02 02"),
]
DEMO_USERS = [
    ("admin@pospro.local", "Demo Admin", Role.ADMIN, None),
    ("manager@pospro.local", "Demo Manager", Role.MANAGER, "IST-01"),
    ("cashier@pospro.local", "Demo Cashier", Role.CASHIER, "IST-01"),
]


class Command(BaseCommand):
    help = "Create demo branches and users (idempotent). Prints the demo credentials."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Reset demo users' passwords and roles."
        )

    @transaction.atomic
    def handle(self, *args, reset: bool = False, **options):
        branches = {}
        for code, name, address, phone in DEMO_BRANCHES:
            branches[code], _ = Branch.objects.get_or_create(
                code=code, defaults={"name": name, "address": address, "phone": phone}
            )
        for email, name, role, branch_code in DEMO_USERS:
            user = User.objects.filter(email__iexact=email).first()
            branch = branches.get(branch_code)
            if user is None:
                User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, name=name, role=role, branch=branch
                )
            elif reset:
                user.set_password(DEMO_PASSWORD)
                user.role, user.branch, user.is_active = role, branch, True
                user.save()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for email, _, role, branch_code in DEMO_USERS:
            where = f" ({branch_code})" if branch_code else ""
            self.stdout.write(f"  {role:<8} {email:<24} {DEMO_PASSWORD}{where}")
