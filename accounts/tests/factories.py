import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Branch, Role, User

PASSWORD = "Till-Secret-2025!"
_HASH: dict[str, str] = {}


def password_hash() -> str:
    """Hash once per run: Argon2 is deliberately slow and factories make many users."""
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = make_password(PASSWORD)
    return _HASH[PASSWORD]


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"BR-{n:03d}")
    name = factory.Sequence(lambda n: f"Branch {n}")
    address = "Bagdat Cd. 1, Istanbul"
    phone = "+90 216 000 00 00"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@pospro.test")
    name = factory.Faker("name")
    role = Role.CASHIER
    branch = factory.SubFactory(BranchFactory)
    is_staff = factory.LazyAttribute(lambda u: u.role in (Role.ADMIN, Role.MANAGER))
    is_superuser = factory.LazyAttribute(lambda u: u.role == Role.ADMIN)
    password = factory.LazyFunction(password_hash)
