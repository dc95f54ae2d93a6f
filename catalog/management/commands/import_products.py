"""Create or update products from a CSV file, all rows or none."""

import csv
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from tqdm import tqdm

from catalog import services
from catalog.api.serializers import ProductInputSerializer
from catalog.models import Product
from pospro.api.exceptions import flatten_errors
from pospro.exceptions import DomainError

COLUMNS = (
    "name",
    "barcode",
    "sku",
    "category",
    "price",
    "cost_price",
    "vat_rate",
    "critical_stock_level",
    "image_url",
    "is_active",
)
REQUIRED = ("name", "price")


class Command(BaseCommand):
    help = (
        "Import products from a UTF-8 CSV with a header row and the columns "
        f"{', '.join(COLUMNS)} (name and price required). A row whose barcode (or, without "
        "a barcode, whose sku) matches a product updates it; others create products. Empty "
        "cells leave a field as it is (or at its default). Every row is checked first: one "
        "bad row and nothing is written. Rows are numbered as in a spreadsheet (header = 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file.")

    def handle(self, *args, file: str, **options):
        show_progress = options["verbosity"] > 0
        rows = self._read(file)
        errors, checked = self._check(rows, show_progress)
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(errors)} problem(s) in {file}; nothing was imported. Fix and re-run."
            )
        created, updated = self._import(checked, show_progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(checked)} row(s): {created} created, {updated} updated."
            )
        )

    def _progress(self, rows, description: str, show: bool):
        # tqdm redraws the line with "\r": give it the raw stream, not Django's line wrapper.
        return tqdm(rows, desc=description, unit="row", file=self.stderr._out, disable=not show)

    def _read(self, file: str) -> list[tuple[int, dict]]:
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                header = [name.strip() for name in reader.fieldnames or []]
                missing = [c for c in REQUIRED if c not in header]
                unknown = [c for c in header if c not in COLUMNS]
                if missing or unknown:
                    raise CommandError(
                        f"{file}: header must name the columns {', '.join(COLUMNS)}"
                        + (f"; missing {', '.join(missing)}" if missing else "")
                        + (f"; unknown {', '.join(unknown)}" if unknown else "")
                    )
                reader.fieldnames = header
                return [
                    # An empty cell means "not given"; the serializer decides what is required.
                    (number, {k: v.strip() for k, v in row.items() if k and (v or "").strip()})
                    for number, row in enumerate(reader, start=2)
                ]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{file}: cannot read it as a UTF-8 CSV file ({exc}).") from exc

    def _check(self, rows, show_progress: bool) -> tuple[list[str], list[tuple]]:
        """Validate every row and find the product each one updates, in two queries in all."""
        errors: list[str] = []
        seen = {
            field: Counter(row[field] for _, row in rows if row.get(field))
            for field in ("barcode", "sku")
        }
        first_row: dict[tuple[str, str], int] = {}
        parsed = []
        for number, row in self._progress(rows, "checking", show_progress):
            data = ProductInputSerializer(data=row)
            if not data.is_valid():
                errors += [
                    f"row {number}: {e['field']}: {e['message']}"
                    for e in flatten_errors(data.errors)
                ]
                continue
            for field in ("barcode", "sku"):
                value = data.validated_data.get(field)
                if value and seen[field][value] > 1:
                    first = first_row.setdefault((field, value), number)
                    if first != number:
                        errors.append(f"row {number}: {field}: {value!r} is also on row {first}.")
            parsed.append((number, data.validated_data))

        barcodes = [d["barcode"] for _, d in parsed if d.get("barcode")]
        skus = [d["sku"] for _, d in parsed if d.get("sku")]
        existing = Product.objects.filter(Q(barcode__in=barcodes) | Q(sku__in=skus)).only(
            "id", "barcode", "sku", "category_id"
        )
        by_barcode = {p.barcode: p for p in existing if p.barcode}
        by_sku = {p.sku: p for p in existing if p.sku}
        checked = []
        for number, data in parsed:
            barcode, sku = data.get("barcode"), data.get("sku")
            target = by_barcode.get(barcode) if barcode else by_sku.get(sku)
            for field, owners in (("barcode", by_barcode), ("sku", by_sku)):
                owner = owners.get(data.get(field))
                if owner is not None and owner != target:
                    errors.append(
                        f"row {number}: {field}: {data[field]!r} belongs to another product "
                        f"({owner.pk})."
                    )
            checked.append((number, data, target))
        return errors, checked

    @transaction.atomic
    def _import(self, checked, show_progress: bool) -> tuple[int, int]:
        created = updated = 0
        for number, data, target in self._progress(checked, "importing", show_progress):
            try:
                if target is None:
                    services.product_create(user=None, **data)
                    created += 1
                else:
                    services.product_update(product=target, context_branch_id=None, **data)
                    updated += 1
            except DomainError as exc:  # a concurrent change since the check: undo everything
                raise CommandError(f"row {number}: {exc.detail} Nothing was imported.") from exc
        return created, updated
