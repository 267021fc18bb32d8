"""The diagnostic log: a rotating file in logs/, and no personal data in it."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from oma_desktop import cli, logs
from oma_desktop.core.errors import OmaError
from oma_desktop.core.ids import new_id
from oma_desktop.logs import log_exception, redact, setup_logging, shutdown_logging
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) [\w.]+: ")


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "logs"
    yield folder
    shutdown_logging()


def test_records_go_to_the_data_folders_log_file_with_time_level_and_logger(log_dir: Path) -> None:
    path = setup_logging(log_dir)
    assert path == log_dir / "oma-desktop.log"
    logging.getLogger("oma_desktop.services.demo").info("built %d persons", 200)
    logging.getLogger("oma_desktop.ui").debug("not at the default level")
    logging.getLogger("some.library").info("a library's chatter is left out")
    logging.getLogger("some.library").warning("a library's warning is kept")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert LINE.match(lines[0])
    assert lines[0].endswith("INFO oma_desktop.services.demo: built 200 persons")
    assert lines[1].endswith("WARNING some.library: a library's warning is kept")


def test_setting_up_twice_keeps_one_handler_and_a_new_folder_replaces_the_old(
    tmp_path: Path, log_dir: Path
) -> None:
    setup_logging(log_dir)
    setup_logging(log_dir)
    (tmp_path / "other").mkdir()
    other = setup_logging(tmp_path / "other" / "logs")
    logging.getLogger("oma_desktop").warning("once")
    assert other.read_text(encoding="utf-8").count("once") == 1
    assert not (log_dir / "oma-desktop.log").exists()
    assert logs.current_log_file() == other


def test_the_log_rotates_and_keeps_five_old_files(
    log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    setup_logging(log_dir)
    log = logging.getLogger("oma_desktop.test")
    for i in range(400):
        log.info("line %d of a long diagnostic session", i)
    names = sorted(p.name for p in log_dir.iterdir())
    assert names == ["oma-desktop.log"] + [f"oma-desktop.log.{n}" for n in range(1, 6)]
    assert all(p.stat().st_size <= 2_000 for p in log_dir.iterdir())


def test_logging_never_creates_the_data_folder_and_catches_up_when_it_appears(
    tmp_path: Path,
) -> None:
    """A command refused before anything was written leaves no folder behind."""
    data = tmp_path / "datos"
    path = setup_logging(data / "logs")
    log = logging.getLogger("oma_desktop.cli")
    log.info("started")
    log.warning("refused: unknown casa")
    assert not data.exists()
    data.mkdir()  # open_context created the data folder
    log.info("database opened")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "started", "refused: unknown casa", "database opened"]
    shutdown_logging()


def test_an_unwritable_log_folder_does_not_stop_the_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "datos"
    blocker.write_text("a file where the data folder should be")
    setup_logging(blocker / "logs")
    logging.getLogger("oma_desktop.test").error("still running")
    shutdown_logging()
    assert blocker.read_text() == "a file where the data folder should be"
    assert capsys.readouterr().err == ""


def test_a_log_file_that_cannot_be_opened_is_given_up_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data folder exists but its log file cannot be opened (a read-only folder or
    disk behaves the same): no traceback on the console for every line."""
    folder = tmp_path / "datos"
    (folder / "logs" / "oma-desktop.log").mkdir(parents=True)  # opening it fails
    setup_logging(folder / "logs")
    for n in range(3):
        logging.getLogger("oma_desktop.test").warning("line %d", n)
    shutdown_logging()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("DNI 45678912 not found", "45678912"),
        ("CE 001234567", "001234567"),
        ("passport AB1234567", "1234567"),
        ("phone +51 987 654 321", "987 654 321"),
        ("born 1991-02-14", "1991-02-14"),
        ("born 14/02/1991", "14/02/1991"),
        ("document 12.345.678", "12.345.678"),
        ("mail yusleidy.hernandez@example.com", "yusleidy.hernandez@example.com"),
    ],
)
def test_redact_hides_numbers_dates_and_addresses(text: str, hidden: str) -> None:
    masked = redact(text)
    assert hidden not in masked
    assert logs.HIDDEN in masked


def test_redact_keeps_ids_counts_and_line_numbers() -> None:
    record_id = new_id()
    text = f'person {record_id}: 3 documents, 12 consultations; File "x.py", line 1234, in save'
    assert redact(text) == text


def test_tracebacks_are_redacted_too(log_dir: Path) -> None:
    path = setup_logging(log_dir)
    try:
        raise ValueError("document 45678912 of +51 987 654 321")
    except ValueError:
        logging.getLogger("oma_desktop.test").exception("saving failed")
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "ValueError: document <hidden> of <hidden>" in text
    assert "45678912" not in text


def test_other_handlers_see_the_record_unchanged(
    log_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging(log_dir)
    with caplog.at_level(logging.INFO, logger="oma_desktop"):
        logging.getLogger("oma_desktop.test").info("code %s", "45678912")
    assert caplog.records[-1].getMessage() == "code 45678912"
    assert "45678912" not in (log_dir / "oma-desktop.log").read_text(encoding="utf-8")


def test_registering_a_person_logs_the_id_but_no_personal_data(
    ctx: AppContext, log_dir: Path
) -> None:
    """The rule in practice: a registration leaves its id and counts, nothing personal."""
    path = setup_logging(log_dir, level=logging.DEBUG)
    data = PersonInput(
        given_names="Zoraida Milagros", paternal_surname="Quispilloclla", maternal_surname="Urbina",
        sex="F", birth_date=dt.date(1988, 3, 9), nationality="VE", phone="912 345 678",
        district_ubigeo="150101", address_ref="Jirón Callao 1042", consent_register=True,
        documents=[DocumentInput("CPP", "cpp-2023-774", "PE", dt.date(2023, 6, 1),
                                 dt.date(2027, 6, 1)),
                   DocumentInput("PASAPORTE", "V20748813")],
    )
    person_id = register_person(ctx.session, data, dt.date(2026, 11, 27))
    text = path.read_text(encoding="utf-8")
    assert f"person {person_id} registered with 2 documents" in text
    for personal in ("Zoraida", "Milagros", "Quispilloclla", "Urbina", "912 345 678", "912345678",
                     "cpp-2023-774", "CPP-2023-774", "V20748813", "20748813", "1988-03-09",
                     "Callao"):
        assert personal not in text, personal


def test_a_caught_oma_error_is_logged_by_class_and_place_never_by_message(log_dir: Path) -> None:
    path = setup_logging(log_dir)
    log = logging.getLogger("oma_desktop.test")
    name = "Zoraida Quispilloclla"  # (source lines appear in tracebacks; values do not)

    def save(name: str) -> None:
        raise OmaError(f"{name} ya pertenece a otro hogar.")

    try:
        save(name)
    except OmaError as exc:
        log_exception(log, "saving the household failed", exc)
    try:
        raise KeyError("no such page")
    except KeyError as exc:
        log_exception(log, "showing the page failed", exc)
    text = path.read_text(encoding="utf-8")
    assert "WARNING oma_desktop.test: saving the household failed: OmaError\n" in text
    assert "in save" in text
    assert "Zoraida" not in text and "Quispilloclla" not in text
    assert "ERROR oma_desktop.test: showing the page failed\nTraceback" in text
    assert "KeyError: 'no such page'" in text


def test_every_command_logs_its_start_and_its_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "datos"
    try:
        assert cli.main(["--data-dir", str(data), "casa"]) == 0
        assert cli.main(["--data-dir", str(data), "import-persons", str(tmp_path / "no.xlsx")]) == 2
    finally:
        shutdown_logging()
    capsys.readouterr()
    text = (data / "logs" / "oma-desktop.log").read_text(encoding="utf-8")
    assert f"INFO oma_desktop.cli: OMA Desktop {cli.__version__}, command casa, language es" in text
    assert "command import-persons, language es, resources " in text
    assert "WARNING oma_desktop.cli: the import-persons command stopped: " in text
