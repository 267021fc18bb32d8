"""Command line: the GUI by default, plus headless commands for HQ, CI and benchmarks.

    oma-desktop [--data-dir D] [--lang es|en]                 open the app
    oma-desktop --smoke-test                                 open offscreen, visit every page, exit 0
    oma-desktop demo --persons N [--seed S]                  fill the data folder with synthetic data
    oma-desktop check                                        integrity and foreign-key checks
    oma-desktop casa [CODE --name NAME --address ADDR]       list the casas, or rename one
    oma-desktop set-casa CODE --reason TEXT                  move this PC to another casa (logged)
    oma-desktop import-persons FILE [--consent] [--dry-run] [--duplicates nuevos|omitir]
                                                             import an Excel/CSV list (all or nothing)
    oma-desktop backup [--out DIR]                           back the database up (verified)
    oma-desktop restore [FILE|N] [--yes]                     list the backups, or restore one
    oma-desktop setup hq --out DIR                           make this folder headquarters (keys)
    oma-desktop --casa CV1 setup casa --enrol FILE --out DIR enrol a casa with headquarters' key
    oma-desktop register-casa FILE...                        headquarters accepts casas' key files
    oma-desktop export --out DIR                             a casa's sync file for headquarters
    oma-desktop import FILE...                               headquarters imports casas' files
    oma-desktop export-reference --casa CV1 --out DIR        headquarters' file back to a casa
    oma-desktop import-reference FILE                        a casa imports headquarters' file
    oma-desktop demo-network DIR [--persons N]               six casas and headquarters, synced

Heavy modules (Qt, reportlab) are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from oma_desktop import APP_NAME, __version__, i18n
from oma_desktop.i18n import _

if TYPE_CHECKING:
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import Credentials
    from oma_desktop.services.context import AppContext


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oma-desktop",
        description=_("OMA Desktop: attention to migrant neighbours (Municipalidad de Lima)."),
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help=_("data folder (default: the user's folder)")
    )
    parser.add_argument("--lang", choices=i18n.SUPPORTED_LANGUAGES, default=None,
                        help=_("interface language"))
    parser.add_argument("--casa", default=None, help=_("casa vecinal code of this installation (CV1-CV6)"))
    parser.add_argument("--user", default="admin",
                        help=_("user name to log in with (default: admin); the password is read "
                               "from the environment variable OMA_PASSWORD, or asked for"))
    parser.add_argument("--smoke-test", action="store_true",
                        help=_("open the main window offscreen, visit every page and exit"))
    parser.add_argument("--exit-after-show", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help=_("fill the data folder with realistic synthetic data"))
    demo.add_argument("--persons", type=int, default=2000, help=_("number of persons"))
    demo.add_argument("--consultations", type=int, default=None,
                      help=_("number of consultations (default: five per person)"))
    demo.add_argument("--seed", type=int, default=1, help=_("random seed"))

    sub.add_parser("check", help=_("check the database integrity"))

    casa = sub.add_parser("casa", help=_("list the casas vecinales, or rename one"))
    casa.add_argument("code", nargs="?", help=_("casa code, e.g. CV1"))
    casa.add_argument("--name", default=None, help=_("new name"))
    casa.add_argument("--address", default=None, help=_("new address"))

    move = sub.add_parser("set-casa",
                          help=_("move this installation to another casa (administrators)"))
    move.add_argument("code", help=_("casa code, e.g. CV1"))
    move.add_argument("--reason", required=True, help=_("why the installation changes casa"))

    imp = sub.add_parser("import-persons",
                         help=_("import persons (and their consultations) from an Excel or CSV list"))
    imp.add_argument("file", type=Path, help=_("Excel (.xlsx) or CSV file"))
    imp.add_argument("--sheet", default=None, help=_("sheet of the Excel file (default: the first)"))
    imp.add_argument("--consent", action="store_true",
                     help=_("confirm that the people on the list agreed to be registered"))
    imp.add_argument("--duplicates", choices=("nuevos", "omitir"), default=None,
                     help=_("what to do with rows that may be persons already registered: "
                            "'nuevos' registers them as new persons, 'omitir' leaves them in the "
                            "list of possible duplicates to review (without this option the "
                            "import stops and lists them)"))
    imp.add_argument("--dry-run", action="store_true",
                     help=_("check the list and show what would be imported, without saving"))
    refs = sub.add_parser("referrals", help=_("list referrals: code, state, due date, destination"))
    refs.add_argument("--list", action="store_true", help=_("list the referrals (the default)"))
    refs.add_argument("--status", default=None,
                      choices=("emitida", "entregada", "atendida", "no_atendida", "rechazada",
                               "cancelada"),
                      help=_("only referrals in this state"))
    slip = sub.add_parser("slip", help=_("write the printable slip of a referral to a PDF"))
    slip.add_argument("code", help=_("referral code, e.g. CV1-2026-000123-7KQ"))
    slip.add_argument("--out", type=Path, required=True, help=_("PDF file to write"))
    backup = sub.add_parser("backup", help=_("make a verified backup of the database now"))
    backup.add_argument("--out", type=Path, default=None,
                        help=_("folder to write the backup to (default: the backup folder)"))
    restore = sub.add_parser("restore", help=_("list the backups, or restore one of them"))
    restore.add_argument("backup", nargs="?", default=None,
                         help=_("the backup to restore: its number in the list or its file"))
    restore.add_argument("--yes", action="store_true",
                         help=_("confirm the restore (the current database is replaced)"))
    _sync_parsers(sub)
    return parser


def _sync_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The USB sync commands (issue #10)."""
    setup = sub.add_parser("setup", help=_("set up the sync keys: headquarters or a casa"))
    kinds = setup.add_subparsers(dest="setup_kind", required=True)
    hq = kinds.add_parser("hq", help=_("make this data folder headquarters and write its "
                                       "public key file"))
    hq.add_argument("--out", type=Path, required=True,
                    help=_("folder to write headquarters' key file to (a USB stick)"))
    casa = kinds.add_parser("casa", help=_("enrol this casa with headquarters' key file"))
    casa.add_argument("--casa", dest="setup_casa", default=None,
                      help=_("casa vecinal code of this installation (CV1-CV6)"))
    casa.add_argument("--enrol", type=Path, required=True,
                      help=_("headquarters' key file (oma-sede-central.omakey)"))
    casa.add_argument("--out", type=Path, required=True,
                      help=_("folder to write the casa's key file to (a USB stick)"))
    reg = sub.add_parser("register-casa",
                         help=_("headquarters: register the key files of casas"))
    reg.add_argument("files", type=Path, nargs="+", help=_("casa key files (.omakey)"))
    export = sub.add_parser("export", help=_("a casa: write the sync file for headquarters"))
    export.add_argument("--out", type=Path, required=True,
                        help=_("folder to write the file to (the USB stick)"))
    imp = sub.add_parser("import", help=_("headquarters: import casas' sync files"))
    imp.add_argument("files", type=Path, nargs="+", help=_("sync files (.omasync)"))
    ref = sub.add_parser("export-reference",
                         help=_("headquarters: write the reference file for a casa"))
    ref.add_argument("--casa", dest="ref_casa", required=True,
                     help=_("casa vecinal code the file is for (CV1-CV6)"))
    ref.add_argument("--out", type=Path, required=True,
                     help=_("folder to write the file to (the USB stick)"))
    imp_ref = sub.add_parser("import-reference",
                             help=_("a casa: import headquarters' reference file"))
    imp_ref.add_argument("file", type=Path, help=_("reference file (.omaref)"))
    net = sub.add_parser("demo-network",
                         help=_("build six casa folders and a headquarters folder that have "
                                "exchanged sync files"))
    net.add_argument("folder", type=Path, help=_("new, empty folder for the network"))
    net.add_argument("--persons", type=int, default=50, help=_("persons per casa"))
    net.add_argument("--rounds", type=int, default=3, help=_("rounds of files exchanged"))
    net.add_argument("--seed", type=int, default=1, help=_("random seed"))
    rep = sub.add_parser("report", help=_("write a report for a period to PDF, Excel or CSV"))
    rep.add_argument("--from", dest="date_from", required=True, type=_date_arg,
                     help=_("first day, e.g. 2026-10-01 or 01/10/2026"))
    rep.add_argument("--to", dest="date_to", required=True, type=_date_arg,
                     help=_("last day (included)"))
    rep.add_argument("--casa", dest="report_casa", default=None,
                     help=_("only this casa (CV1-CV6); consolidated without it"))
    rep.add_argument("--kind", default="general", choices=("general", "laboral", "programas", "5w"),
                     help=_("general report, labour diagnostic, social programmes diagnostic or "
                            "R4V 5W export"))
    rep.add_argument("--format", dest="out_format", default=None, choices=("pdf", "xlsx", "csv"),
                     help=_("file format (default: from the name of --out)"))
    rep.add_argument("--out", type=Path, required=True, help=_("file to write"))
    rep.add_argument("--partners", action="store_true",
                     help=_("version for partners: cells under 5 people suppressed"))
    for option, dest, text in (
            ("--topic", "topic", _("only consultations on this topic (its code)")),
            ("--sex", "sex", _("only persons of this sex (F, M, X or sin_dato)")),
            ("--age-band", "age_band", _("only this age band (0-5, 6-11, 12-17, 18-59, 60+)")),
            ("--nationality", "nationality", _("only this nationality (ISO code, e.g. VE)")),
            ("--migratory", "migratory_status", _("only this migratory situation (its code)")),
            ("--zone", "zone", _("only persons living in this zone, e.g. «Lima Norte»"))):
        rep.add_argument(option, dest=dest, default=None, help=text)


def _date_arg(text: str) -> dt.date:
    """A date typed as 2026-10-01 or 01/10/2026."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(
        _("«{text}» is not a date: write it as 2026-10-01 or 01/10/2026").format(text=text))


def _data_dir(args: argparse.Namespace) -> Path:
    from oma_desktop.paths import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()


def _credentials(args: argparse.Namespace) -> Credentials:
    """The account a command acts as: ``--user`` and the password from ``OMA_PASSWORD`` or,
    in a terminal, typed at a prompt that does not show it."""
    from oma_desktop.core.errors import OmaError
    from oma_desktop.services.accounts import PASSWORD_ENV, Credentials

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise OmaError(_(
                "The database is opened with an account: write the password of {user} in the"
                " environment variable {env}, or run the command in a terminal to type it."
            ).format(user=args.user, env=PASSWORD_ENV))
        import getpass

        password = getpass.getpass(_("Password of {user}: ").format(user=args.user))
    return Credentials(args.user, password)


def _open(args: argparse.Namespace, *, casa: str | None = None,
          mode: str | None = None) -> AppContext:
    """The data folder opened as the command's account (see :func:`_credentials`)."""
    from oma_desktop.services.context import open_context

    return open_context(_data_dir(args), casa=casa, mode=mode, credentials=_credentials(args),
                        program=_program(args))


def _program(args: argparse.Namespace) -> str:
    """How this command is named to a program refused the same data folder."""
    return _("the command «oma-desktop {command}»").format(command=args.command)


_progress_width = [0]  # the longest progress line written so far (to blank what is left)


def _progress(done: int, total: int, label: str) -> None:
    pct = 100 * done // max(total, 1)
    line = f"{label}: {pct:3d} %"
    _progress_width[0] = max(_progress_width[0], len(line))
    # padded: a shorter label must not leave the end of a longer one on the terminal
    print(f"\r{line:<{_progress_width[0]}}", end="" if done < total else "\n", flush=True)
    if done >= total:
        _progress_width[0] = 0


def cmd_demo(args: argparse.Namespace) -> int:
    from oma_desktop.services.demo import build_demo

    start = time.perf_counter()
    stats = build_demo(
        _data_dir(args),
        persons=args.persons,
        consultations=args.consultations,
        seed=args.seed,
        casa=args.casa,
        progress=_progress,
        credentials=_credentials(args),
        only_casa=args.casa is not None,  # a casa's folder: only its own records (issue #10)
    )
    elapsed = time.perf_counter() - start
    print(
        _("Demo data ready in {folder}: {persons} persons, {consultations} consultations "
          "({seconds} s).").format(
            folder=_data_dir(args),
            persons=i18n.format_number(stats.persons),
            consultations=i18n.format_number(stats.consultations),
            seconds=i18n.format_number(round(elapsed, 1)),
        )
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from oma_desktop.services.integrity import run_checks

    ctx = _open(args, casa=args.casa)
    try:
        results = run_checks(ctx.session.store)
    finally:
        ctx.close()
    for result in results:
        mark = "OK " if result.ok else "ERROR"
        print(f"[{mark}] {result.title}: {result.detail}")
    failed = [r for r in results if not r.ok]
    print(
        _("All checks passed.") if not failed
        else i18n.ngettext("{n} check failed.", "{n} checks failed.", len(failed)).format(
            n=len(failed))
    )
    return 1 if failed else 0


def cmd_import_persons(args: argparse.Namespace) -> int:
    from oma_desktop.services.duplicate_review import person_names
    from oma_desktop.services.importer import (
        check_mapping,
        commit_import,
        guess_mapping,
        plan_import,
        read_table,
        target_label,
    )

    table = read_table(args.file, sheet=args.sheet)
    mapping = guess_mapping(table.headers)
    if table.sheet:
        print(_("Sheet «{sheet}» of {file}.").format(sheet=table.sheet, file=args.file.name))
    print(_("Columns:"))
    for index, header in enumerate(table.headers):
        target = mapping.get(index)
        print("  «{}» → {}".format(
            header or _("column {number}").format(number=index + 1),
            target_label(target) if target else _("(not imported)")))
    problems = check_mapping(table.headers, mapping)
    if problems:
        for problem in problems:
            print(problem)
        print(_("Nothing was imported: rename the column headers of the list and try again."))
        return 1
    ctx = _open(args, casa=args.casa)
    try:
        plan = plan_import(ctx.session, table, mapping, consent_confirmed=args.consent,
                           source=args.file.name)
        for line in plan.summary_lines():
            print(line)
        if plan.errors:
            print(_("Errors:"))
            for issue in plan.errors:
                print(f"  {issue.message}")
        if plan.warnings:
            print(_("To check:"))
            for issue in plan.warnings:
                print(f"  {issue.message}")
        if plan.errors:
            if not args.consent:
                print(_("Add --consent once the people on the list have agreed to be registered."))
            print(_("Nothing was imported: correct the rows with errors and try again."))
            return 1
        probable = plan.probable_duplicates
        if probable:
            print(_("Possible duplicates (rows that may be persons already registered):"))
            for row in probable:
                names = ", ".join(person_names(ctx.session, row.review_candidates))
                print("  " + _("Row {row}: {name} may be {candidates}.").format(
                    row=row.row_number, name=row.full_name, candidates=names))
        if args.dry_run:
            print(_("Dry run: nothing was saved."))
            return 0
        if probable and args.duplicates is None:
            print(_("Nothing was imported: say what to do with the possible duplicates: "
                    "--duplicates nuevos (register them as new persons) or --duplicates omitir "
                    "(import the rest and leave them in «Possible duplicates to review» for a "
                    "coordinator)."))
            return 1
        result = commit_import(ctx.session, plan,
                               duplicates="new" if args.duplicates == "nuevos" else "review")
    finally:
        ctx.close()
    print(_("Import finished."))
    for line in result.summary_lines():
        print(line)
    return 0


def cmd_set_casa(args: argparse.Namespace) -> int:
    from oma_desktop.services.installation import change_casa

    ctx = _open(args)
    try:
        previous = ctx.session.casa_id
        if not change_casa(ctx.session, args.code, args.reason):
            print(_("This installation already belongs to casa {code}.").format(code=args.code))
            return 0
    finally:
        ctx.close()
    print(_("This installation moved from casa {old} to casa {new}; the change is logged.").format(
        old=previous, new=args.code))
    return 0


def cmd_casa(args: argparse.Namespace) -> int:
    from oma_desktop.core.errors import ValidationError
    from oma_desktop.services.casas import list_casas, update_casa

    ctx = _open(args)
    try:
        if args.code and (args.name is not None or args.address is not None):
            try:
                update_casa(ctx.session, args.code, args.name, args.address)
            except ValidationError as exc:
                for message in exc.fields.values():
                    print(_("Error: {message}").format(message=message), file=sys.stderr)
                return 1
        for row in list_casas(ctx.session):
            mark = "*" if row["id"] == ctx.session.casa_id else " "
            print(f"{mark} {row['id']}  {row['name']}  {row['address']}".rstrip())
    finally:
        ctx.close()
    return 0


def cmd_referrals(args: argparse.Namespace) -> int:
    from oma_desktop.i18n import format_date
    from oma_desktop.services.referrals import list_referrals

    ctx = _open(args)
    try:
        for r in list_referrals(ctx.session, status=args.status):
            print(f"{r.code}  {r.status_label:<12}  {format_date(r.due_date)}  {r.service_name}")
    finally:
        ctx.close()
    return 0


def cmd_slip(args: argparse.Namespace) -> int:
    from oma_desktop.services.referrals import find_by_code, normalize_code, print_slips

    ctx = _open(args)
    try:
        referral_id = find_by_code(ctx.session, args.code)
        if referral_id is None:
            print(_("Error: {message}").format(message=_(
                "No referral has the code {code}. Check it against the slip.").format(
                    code=normalize_code(args.code))), file=sys.stderr)
            return 1
        out = print_slips(ctx.session, [referral_id], args.out)
    finally:
        ctx.close()
    print(_("Slip written to {path}").format(path=out))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report ``--kind`` of ``--from``..``--to`` (one casa or consolidated)."""
    from oma_desktop.core.errors import OmaError
    from oma_desktop.services.report_filter import ReportFilter
    from oma_desktop.services.reports import build_report, write_report

    fmt = args.out_format or args.out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx", "csv"):
        raise OmaError(_("Say the format with --format pdf, xlsx or csv, or end the file name "
                         "with .pdf, .xlsx or .csv."))
    if args.date_to < args.date_from:
        raise OmaError(_("The period ends before it starts: check --from and --to."))
    flt = ReportFilter(args.date_from, args.date_to, casa_id=args.report_casa,
                       topic=args.topic, nationality=args.nationality, sex=args.sex,
                       age_band=args.age_band, migratory_status=args.migratory_status,
                       zone=args.zone)
    ctx = _open(args)
    try:
        doc = build_report(ctx.session, args.kind, flt)
        out = write_report(ctx.session, doc, args.out, fmt, partners=args.partners)
    finally:
        ctx.close()
    print(_("Report written to {path}").format(path=out))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from oma_desktop.services.backup import Reason, make_backup

    ctx = _open(args)
    try:
        info = make_backup(ctx, Reason.MANUAL, folder=args.out)
    finally:
        ctx.close()
    print(_("Backup written and verified: {path}").format(path=info.path))
    return 0


def _unlock_key(args: argparse.Namespace, paths: DataPaths) -> bytes | None:
    """The database key for a command that works on the files without opening the
    database (restore): unwrapped with the account's password; None for a plain folder."""
    from oma_desktop.services.accounts import folder_is_protected, unlock_folder

    if not folder_is_protected(paths):
        return None
    return unlock_folder(paths, _credentials(args)).vault.key


def cmd_restore(args: argparse.Namespace) -> int:
    from oma_desktop.core.folder_lock import FolderLock
    from oma_desktop.i18n import format_datetime
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.backup import list_backups, restore

    paths = DataPaths(_data_dir(args))
    key = _unlock_key(args, paths)
    backups = list_backups(paths, key=key)
    if args.backup is None:
        if not backups:
            print(_("There are no backups in {folder}.").format(folder=paths.backups))
            return 0
        for number, info in enumerate(backups, 1):
            state = {True: _("verified"), False: _("DAMAGED"), None: _("not verified")}[
                info.verified]
            print(f"{number:3d}  {format_datetime(info.created)}  {info.reason.label:<28}  "
                  f"{i18n.format_number(round(info.size / 1e6, 1))} MB  {state}  {info.path}")
        print(_("To restore one: oma-desktop restore NUMBER --yes"))
        return 0
    if args.backup.isdigit() and not Path(args.backup).exists():
        number = int(args.backup)
        if not 1 <= number <= len(backups):
            print(_("Error: {message}").format(message=_(
                "There is no backup number {number}: run «oma-desktop restore» to see the "
                "list.").format(number=number)), file=sys.stderr)
            return 1
        chosen = backups[number - 1].path
    else:
        chosen = Path(args.backup)
    if not args.yes:
        print(_("Error: {message}").format(message=_(
            "Restoring replaces the current database with {file} (a copy of the current one is "
            "kept first). Add --yes to confirm.").format(file=chosen)), file=sys.stderr)
        return 1
    lock = FolderLock(paths.root, _program(args)).acquire()
    try:
        report = restore(chosen, paths, key, lock=lock,
                         progress=lambda _done, _total, label: print(label, flush=True))
    finally:
        lock.release()
    for line in report.summary_lines():
        print(line)
    return 0


def _fail(message: str) -> int:
    print(_("Error: {message}").format(message=message), file=sys.stderr)
    return 1


def cmd_setup(args: argparse.Namespace) -> int:
    from oma_desktop.services.sync import setup_casa, setup_hq

    if args.setup_kind == "hq":
        from oma_desktop.paths import DataPaths

        # a new folder becomes headquarters; an existing one must already be (setup_hq says so)
        new = not DataPaths(_data_dir(args)).database.exists()
        ctx = _open(args, mode="hq" if new else None)
        try:
            result = setup_hq(ctx.session, args.out)
        finally:
            ctx.close()
        print(_("Headquarters' key file written: {path}").format(path=result.path))
        print(_("Fingerprint of headquarters: {fingerprint}").format(
            fingerprint=result.fingerprint))
        print(_("Give this file to each casa; when they enrol, compare the fingerprint by "
                "phone or on paper."))
        return 0
    from oma_desktop.paths import DataPaths

    casa = args.setup_casa or args.casa
    new = not DataPaths(_data_dir(args)).database.exists()
    if new and casa is None:
        return _fail(_("Say which casa this installation belongs to: oma-desktop setup casa"
                       " --casa CV1 --enrol FILE --out DIR."))
    # an existing folder keeps its casa and mode (setup_casa refuses headquarters itself)
    ctx = _open(args, casa=casa, mode="casa" if new else None)
    try:
        result = setup_casa(ctx.session, args.enrol, args.out, vault=ctx.vault)
    finally:
        ctx.close()
    print(_("Headquarters' fingerprint (compare it with headquarters): {fingerprint}").format(
        fingerprint=result.hq_fingerprint))
    print(_("The casa's key file written: {path}").format(path=result.path))
    print(_("Fingerprint of this casa: {fingerprint}").format(fingerprint=result.fingerprint))
    if result.recovery_sealed:
        print(_("A recovery copy of the database key was sealed for headquarters."))
    return 0


def cmd_register_casa(args: argparse.Namespace) -> int:
    from oma_desktop.core.errors import OmaError
    from oma_desktop.services.sync import register_casa

    failed = 0
    ctx = _open(args)
    try:
        for path in args.files:
            try:
                peer = register_casa(ctx.session, path)
            except OmaError as exc:
                failed += 1
                _fail(f"{path.name}: {exc}")
                continue
            print(_("{name}: casa {casa}, PC {station} registered. Fingerprint: {fingerprint}")
                  .format(name=path.name, casa=peer.casa_id, station=peer.station,
                          fingerprint=peer.fingerprint))
    finally:
        ctx.close()
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from oma_desktop.services.sync import export_to

    ctx = _open(args, casa=args.casa)
    try:
        result = export_to(ctx.session, args.out, progress=_progress)
    finally:
        ctx.close()
    print(result.summary())
    print(result.path)
    if result.warning:
        print(_("Warning: {message}").format(message=result.warning))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from oma_desktop.services.sync import import_files

    ctx = _open(args)
    try:
        results = import_files(ctx.session, args.files)
    finally:
        ctx.close()
    for item in results:
        if item.ok:
            for line in item.lines():
                print(line)
        else:
            _fail(f"{item.path.name}: {item.error}")
    return 0 if all(item.ok for item in results) else 1


def cmd_export_reference(args: argparse.Namespace) -> int:
    from oma_desktop.services.sync import export_reference

    ctx = _open(args)
    try:
        result = export_reference(ctx.session, args.ref_casa, args.out)
    finally:
        ctx.close()
    print(_("Reference file for casa {casa} (version {version}) written and verified: {path}")
          .format(casa=result.casa_id, version=result.version, path=result.path))
    return 0


def cmd_import_reference(args: argparse.Namespace) -> int:
    from oma_desktop.services.sync import import_reference, reference_lines, reference_warning

    ctx = _open(args, casa=args.casa)
    try:
        report = import_reference(ctx.session, args.file)
        warning = reference_warning(ctx.session)
    finally:
        ctx.close()
    for line in reference_lines(report):
        print(line)
    if warning:
        print(_("Warning: {message}").format(message=warning))
    return 0


def cmd_demo_network(args: argparse.Namespace) -> int:
    from oma_desktop.services.demo_network import build_demo_network

    start = time.perf_counter()
    stats = build_demo_network(args.folder, args.persons, _credentials(args),
                               rounds=args.rounds, seed=args.seed, progress=_progress)
    print(_("Demo network ready in {folder}: headquarters and {casas} casas, {files} files "
            "exchanged, {persons} persons at headquarters ({seconds} s).").format(
                folder=args.folder, casas=len(stats.folders) - 1, files=stats.files,
                persons=i18n.format_number(stats.hq_persons),
                seconds=i18n.format_number(round(time.perf_counter() - start, 1))))
    for folder in stats.folders:
        print(f"  {folder}")
    return 0


_SYNC_COMMANDS = {
    "setup": cmd_setup, "register-casa": cmd_register_casa, "export": cmd_export,
    "import": cmd_import, "export-reference": cmd_export_reference,
    "import-reference": cmd_import_reference, "demo-network": cmd_demo_network,
}


def cmd_gui(args: argparse.Namespace) -> int:
    if args.smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from oma_desktop.ui.app import run_gui

    return run_gui(
        _data_dir(args),
        lang=args.lang,
        casa=args.casa,
        smoke_test=args.smoke_test,
        exit_after_show=args.exit_after_show,
        user=args.user,
    )


def _start_logging(args: argparse.Namespace) -> logging.Logger:
    """Errors are never silent: every command logs to the data folder's ``logs/``."""
    from oma_desktop.logs import setup_logging
    from oma_desktop.paths import DataPaths, resources_dir

    setup_logging(DataPaths(_data_dir(args)).logs)
    log = logging.getLogger("oma_desktop.cli")
    log.info("%s %s, command %s, language %s, resources %s", APP_NAME, __version__,
             args.command or "gui", i18n.current_language(), resources_dir())
    return log


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    # the language must be active before the parser builds its (translated) help
    lang = None
    for i, arg in enumerate(raw):
        if arg == "--lang" and i + 1 < len(raw):
            lang = raw[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    i18n.setup(lang)
    args = _parser().parse_args(raw)
    log = _start_logging(args)
    from oma_desktop.core.errors import OmaError
    from oma_desktop.logs import log_exception

    try:
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "casa":
            return cmd_casa(args)
        if args.command == "set-casa":
            return cmd_set_casa(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "import-persons":
            return cmd_import_persons(args)
        if args.command == "referrals":
            return cmd_referrals(args)
        if args.command == "slip":
            return cmd_slip(args)
        if args.command == "backup":
            return cmd_backup(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "restore":
            return cmd_restore(args)
        if args.command in _SYNC_COMMANDS:
            return _SYNC_COMMANDS[args.command](args)
        return cmd_gui(args)
    except OmaError as exc:
        log_exception(log, f"the {args.command or 'gui'} command stopped", exc)
        print(_("Error: {message}").format(message=exc), file=sys.stderr)
        return 2
    except Exception as exc:
        log_exception(log, f"unexpected error in the {args.command or 'gui'} command", exc)
        raise


if __name__ == "__main__":
    sys.exit(main())
