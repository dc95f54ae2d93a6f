from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import BranchFactory, UserFactory
from pospro.clock import local
from sales.models import CashSession, CashSessionStatus, Customer, Register


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+90 555 {n:07d}")


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register

    branch = factory.SubFactory(BranchFactory)
    code = factory.Sequence(lambda n: f"K{n}")
    name = factory.Sequence(lambda n: f"Till {n}")


class CashSessionFactory(factory.django.DjangoModelFactory):
    """An open session; close it through sales.cash.cash_session_close."""

    class Meta:
        model = CashSession

    register = factory.SubFactory(RegisterFactory)
    branch = factory.LazyAttribute(lambda s: s.register.branch)
    status = CashSessionStatus.OPEN
    opened_by = factory.SubFactory(UserFactory, branch=factory.SelfAttribute("..register.branch"))
    opened_at = factory.LazyFunction(timezone.now)
    business_date = factory.LazyAttribute(lambda s: local(s.opened_at).date())
    opening_float = Decimal("100.00")
