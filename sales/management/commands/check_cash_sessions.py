"""Verify the cash invariants: every closed session's Z report equals its figures recomputed
from its records, and Z numbers run 1..n without a gap per register."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, F, Max, Q

from sales.cash import render_report, session_report
from sales.models import CashSession, CashSessionStatus, Register


class Command(BaseCommand):
    help = (
        "Recompute every closed cash session's report from its orders, refunds, cancellations, "
        "movements and account payments and compare it with the stored Z report and the "
        "session's expected_cash and over_short; check that Z numbers are gap-free per "
        "register. Prints each mismatch; exits non-zero if there is any."
    )

    def handle(self, *args, **options):
        problems = []
        closed = (
            CashSession.objects.filter(status=CashSessionStatus.CLOSED)
            .select_related("register")
            .order_by("register__branch_id", "register__code", "z_number")
        )
        checked = 0
        for session in closed.iterator(chunk_size=200):
            checked += 1
            where = f"register {session.register.code} Z{session.z_number} ({session.pk})"
            report = session_report(session, z_number=session.z_number)
            recomputed = json.loads(render_report(report))
            stored = json.loads(session.z_report or "null")
            if stored != recomputed:
                keys = sorted(
                    k
                    for k in recomputed
                    if not isinstance(stored, dict) or stored.get(k) != recomputed[k]
                )
                problems.append(f"{where}: stored Z differs from its records in {', '.join(keys)}")
            if session.expected_cash != report["expected_cash"]:
                problems.append(
                    f"{where}: expected_cash {session.expected_cash}, records give "
                    f"{report['expected_cash']}"
                )
            if session.over_short != report["over_short"]:
                problems.append(
                    f"{where}: over_short {session.over_short}, records give {report['over_short']}"
                )
        gaps = (
            Register.objects.annotate(
                closes=Count("sessions", filter=Q(sessions__z_number__isnull=False)),
                last=Max("sessions__z_number"),
            )
            .exclude(closes=0)
            .filter(~Q(last=F("closes")))
            .values_list("code", "pk", "closes", "last")
        )
        for code, pk, closes, last in gaps:
            problems.append(f"register {code} ({pk}): {closes} Z reports numbered up to {last}")
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} cash session problem(s).")
        self.stdout.write(
            self.style.SUCCESS(f"{checked} closed session(s) match their records; Z numbers ok.")
        )
