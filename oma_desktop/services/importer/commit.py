"""Writing a checked plan in one transaction: all rows or none."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from oma_desktop.core.errors import OmaError
from oma_desktop.core.ids import new_id
from oma_desktop.i18n import _, ngettext
from oma_desktop.services import audit, consent
from oma_desktop.services.backup import Reason, make_backup
from oma_desktop.services.consultations import consultation_fields
from oma_desktop.services.duplicate_review import add_review
from oma_desktop.services.duplicates import find_duplicates_many
from oma_desktop.services.importer.plan import (
    ImportPlan,
    PlannedRow,
    _consultation_key,
    _high_water,
    _registered_consultations,
)
from oma_desktop.services.jobs import job_marker
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import new_person_records
from oma_desktop.services.session import Session


@dataclass
class ImportResult:
    persons_created: int
    persons_matched: int
    consultations_created: int
    person_ids: list[str] = field(default_factory=list)
    consultation_ids: list[str] = field(default_factory=list)
    # the first row of each probable duplicate sent to the coordinator's review list
    review_ids: list[int] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [ngettext("{n} new person registered.", "{n} new persons registered.",
                          self.persons_created).format(n=self.persons_created)]
        if self.persons_matched:
            lines.append(ngettext(
                "{n} person was already registered.", "{n} persons were already registered.",
                self.persons_matched).format(n=self.persons_matched))
        lines.append(ngettext("{n} consultation recorded.", "{n} consultations recorded.",
                              self.consultations_created).format(n=self.consultations_created))
        if self.review_ids:
            n = len(self.review_ids)
            lines.append(ngettext(
                "{n} possible duplicate waits in «Possible duplicates to review».",
                "{n} possible duplicates wait in «Possible duplicates to review».", n).format(n=n))
        return lines


Duplicates = Literal["review", "new"]


def commit_import(
    session: Session, plan: ImportPlan, duplicates: Duplicates = "review", *,
    backup: bool = True,
) -> ImportResult:
    """Write the whole plan in one transaction; nothing is written if anything fails.

    First the database is backed up («antes de importar», ``services.backup``, encrypted
    with the database's key); if the copy cannot be made, nothing is imported.
    ``backup=False`` only for callers that made one already.

    Probable duplicates (rows in ``review``) go to the list of possible duplicates for a
    coordinator, or with ``duplicates="new"`` are registered as new persons. Inside the
    transaction the rows still to be created are matched again against every person and
    document registered since the plan was made (another import of the same list, a clerk
    at the desk): a certain match is linked instead of created, a probable one goes to
    review, so two imports of one list never register everyone twice.
    """
    session.require(Permission.IMPORT)
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
    store.check_writable()  # a database whose writes are held is not backed up either
    if backup:
        make_backup(session, Reason.BEFORE_IMPORT)
    result = ImportResult(0, 0, 0)
    matched: set[str] = set()
    # the mark lets `check` tell an import cut off by a power failure (nothing is saved)
    with job_marker(store, "import", plan.source) as mark, session.transaction() as tx:
        outcome = _recheck(session, plan, duplicates)
        person_for_row: dict[int, str] = {}
        review_rows: dict[int, list[PlannedRow]] = {}
        known: dict[str, set[tuple[str, frozenset[str]]]] = {}
        # written at the end, one batch per table (persons before what refers to them)
        persons: list[dict[str, Any]] = []
        documents: list[dict[str, Any]] = []
        consultations: list[dict[str, Any]] = []
        for row in plan.rows:
            if row.status == "empty" or row.person is None:
                continue
            status, person_id, _c = outcome.get(
                row.row_number, (row.status, row.existing_person_id, []))
            if status == "repeated" and row.same_as_row in review_rows:
                review_rows[row.same_as_row].append(row)
                continue
            if status == "new":
                person_id = new_id()
                fields, docs = new_person_records(session, row.person, plan.today)
                persons.append({"id": person_id, **fields})
                documents.extend({"person_id": person_id, **doc} for doc in docs)
                result.person_ids.append(person_id)
            elif status == "review":
                review_rows[row.row_number] = [row]
                continue
            elif status == "existing" and person_id:
                current = store.get("person", person_id)
                if current is None or current["deleted"]:
                    raise OmaError(_(
                        "The database changed since the import was prepared (row {row} matched a "
                        "person who no longer exists). Prepare the import again."
                    ).format(row=row.row_number))
                matched.add(person_id)
            elif status == "repeated" and row.same_as_row is not None:
                person_id = person_for_row[row.same_as_row]
            else:  # pragma: no cover - plans with errors are refused above
                raise OmaError(_("Row {row} cannot be imported.").format(row=row.row_number))
            assert person_id is not None
            person_for_row[row.row_number] = person_id
            if row.consultation is None or row.consultation_status != "new":
                continue
            if row.row_number in outcome and status == "existing":
                # linked only now: skip what that person already has (same day and topics)
                keys = known.setdefault(person_id, _registered_consultations(store, person_id))
                key = _consultation_key(row.consultation)
                if key in keys:
                    continue
                keys.add(key)
            cons = replace(row.consultation, person_id=person_id)
            consultation_id = new_id()
            consultations.append({"id": consultation_id, **consultation_fields(session, cons)})
            result.consultation_ids.append(consultation_id)
        tx.create_many("person", persons)
        # the list's consents (confirmed with --consent or in the dialog) in the history too
        tx.create_many("consent_record", (
            record for p in persons
            for record in consent.new_person_consent_records(p["id"], p, session.user_id)))
        tx.create_many("document", documents)
        tx.create_many("consultation", consultations)
        for first, group in review_rows.items():
            lead = group[0]
            assert lead.person is not None
            found = outcome.get(first, ("review", None, []))[2]
            add_review(
                session, tx, source=plan.source, rows=[r.row_number for r in group],
                person=lead.person,
                consultations=[r.consultation for r in group
                               if r.consultation is not None and r.consultation_status == "new"],
                candidates=list(dict.fromkeys([*lead.review_candidates, *found])),
            )
            result.review_ids.append(lead.row_number)
        audit.imported(session, tx, plan.source, persons=len(result.person_ids),
                       matched=len(matched), consultations=len(result.consultation_ids))
        mark.clear()  # in the import's own transaction: saved and unmarked together
    plan.committed = True
    result.persons_created = len(result.person_ids)
    result.persons_matched = len(matched)
    result.consultations_created = len(result.consultation_ids)
    return result


Outcome = tuple[str, "str | None", list[str]]


def _recheck(session: Session, plan: ImportPlan, duplicates: Duplicates) -> dict[int, Outcome]:
    """Row number -> (status, person id, candidate ids) for rows whose outcome changes now.

    Rows planned as new (or to review) are matched again against what was registered after
    the plan was made; a certain match links the row, a probable one sends it to review.
    With ``duplicates="new"`` rows in review are registered as new persons.
    """
    outcome: dict[int, Outcome] = {}
    pending = [r for r in plan.rows if r.status in ("new", "review") and r.person is not None]
    if duplicates == "new":
        for row in pending:
            if row.status == "review":
                outcome[row.row_number] = ("new", None, [])
    if pending and _high_water(session.store) != plan.since:
        found = find_duplicates_many(session, [r.person for r in pending if r.person is not None],
                                     today=plan.today, since=plan.since)
        for row, candidates in zip(pending, found, strict=True):
            certain = [c for c in candidates if c.certain]
            if certain:
                outcome[row.row_number] = ("existing", certain[0].person_id, [])
            elif any(c.same_document for c in candidates):
                raise OmaError(_(
                    "The database changed since the import was prepared: the document of row {row} "
                    "was registered to another person meanwhile. Prepare the import again."
                ).format(row=row.row_number))
            elif candidates and duplicates == "review":
                outcome[row.row_number] = ("review", None, [c.person_id for c in candidates])
    return outcome
