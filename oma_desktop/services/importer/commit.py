"""Writing a checked plan in one transaction: all rows or none."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _, ngettext
from oma_desktop.services.consultations import consultation_fields
from oma_desktop.services.importer.plan import ImportPlan
from oma_desktop.services.persons import write_new_person
from oma_desktop.services.session import Session


@dataclass
class ImportResult:
    persons_created: int
    persons_matched: int
    consultations_created: int
    person_ids: list[str] = field(default_factory=list)
    consultation_ids: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [ngettext("{n} new person registered.", "{n} new persons registered.",
                          self.persons_created).format(n=self.persons_created)]
        if self.persons_matched:
            lines.append(ngettext(
                "{n} person was already registered.", "{n} persons were already registered.",
                self.persons_matched).format(n=self.persons_matched))
        lines.append(ngettext("{n} consultation recorded.", "{n} consultations recorded.",
                              self.consultations_created).format(n=self.consultations_created))
        return lines


def commit_import(session: Session, plan: ImportPlan) -> ImportResult:
    """Write the whole plan in one transaction; nothing is written if anything fails."""
    store = session.store
    if plan.committed:
        raise OmaError(_("This import was already saved. Prepare it again to import another list."))
    if plan.rows_with_errors:
        n = plan.rows_with_errors
        raise OmaError(ngettext(
            "The import cannot be saved: {n} row has errors. Correct the list and prepare the "
            "import again. Nothing was saved.",
            "The import cannot be saved: {n} rows have errors. Correct the list and prepare the "
            "import again. Nothing was saved.", n).format(n=n))
    if not plan.consent_confirmed:
        raise OmaError(_("Confirm that the people on the list agreed to be registered."))
    if plan.casa_id != store.casa_id:
        raise OmaError(_("The import was prepared for another database. Prepare it again."))
    person_for_row: dict[int, str] = {}
    result = ImportResult(0, 0, 0)
    matched: set[str] = set()
    with session.transaction() as tx:
        for row in plan.rows:
            if row.status == "empty" or row.person is None:
                continue
            if row.status == "new":
                person_id = write_new_person(session, tx, row.person, plan.today)
                result.person_ids.append(person_id)
            elif row.status == "existing" and row.existing_person_id:
                person_id = row.existing_person_id
                current = store.get("person", person_id)
                if current is None or current["deleted"]:
                    raise OmaError(_(
                        "The database changed since the import was prepared (row {row} matched a "
                        "person who no longer exists). Prepare the import again."
                    ).format(row=row.row_number))
                matched.add(person_id)
            elif row.status == "repeated" and row.same_as_row is not None:
                person_id = person_for_row[row.same_as_row]
            else:  # pragma: no cover - plans with errors are refused above
                raise OmaError(_("Row {row} cannot be imported.").format(row=row.row_number))
            person_for_row[row.row_number] = person_id
            if row.consultation is not None and row.consultation_status == "new":
                cons = replace(row.consultation, person_id=person_id)
                result.consultation_ids.append(
                    tx.create("consultation", consultation_fields(session, cons)))
    plan.committed = True
    result.persons_created = len(result.person_ids)
    result.persons_matched = len(matched)
    result.consultations_created = len(result.consultation_ids)
    return result
