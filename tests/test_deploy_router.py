"""ReplicaRouter decisions, unit level (test_deploy_postgres.py routes against real servers)."""

import threading

import pytest
from django.db import transaction

from accounts.models import Branch
from pospro import db_router
from pospro.db_router import ReplicaRouter, read_alias, replica_reads

router = ReplicaRouter()


@pytest.fixture
def replica_configured(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_reads_stay_on_the_primary_by_default(replica_configured):
    assert router.db_for_read(Branch) == "default"


def test_reads_inside_replica_reads_go_to_the_replica(replica_configured):
    with replica_reads():
        assert router.db_for_read(Branch) == "replica"
        with replica_reads():
            assert router.db_for_read(Branch) == "replica"
        assert router.db_for_read(Branch) == "replica", "a nested block does not switch off"
    assert router.db_for_read(Branch) == "default"


def test_replica_reads_is_also_a_decorator(replica_configured):
    @replica_reads()
    def report():
        return read_alias()

    assert report() == "replica"
    assert report() == "replica", "the decorator works on every call"
    assert read_alias() == "default"


def test_the_flag_is_reset_when_the_block_raises(replica_configured):
    with pytest.raises(RuntimeError), replica_reads():
        raise RuntimeError
    assert read_alias() == "default"


def test_without_a_replica_every_read_goes_to_the_primary():
    assert not db_router.replica_configured()
    with replica_reads():
        assert router.db_for_read(Branch) == "default"


def test_writes_and_migrations_always_go_to_the_primary(replica_configured):
    with replica_reads():
        assert router.db_for_write(Branch) == "default"
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica", "accounts") is False


def test_the_flag_does_not_leak_to_other_threads(replica_configured):
    seen = []
    with replica_reads():
        thread = threading.Thread(target=lambda: seen.append(read_alias()))
        thread.start()
        thread.join()
        assert read_alias() == "replica"
    assert seen == ["default"]


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_stays_on_the_primary(replica_configured):
    with replica_reads():
        assert router.db_for_read(Branch) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Branch) == "default"
        assert router.db_for_read(Branch) == "replica"


def test_objects_from_both_aliases_may_be_related():
    primary, replica, other = Branch(), Branch(), Branch()
    primary._state.db, replica._state.db, other._state.db = "default", "replica", "archive"
    assert router.allow_relation(primary, replica) is True
    assert router.allow_relation(primary, other) is None
