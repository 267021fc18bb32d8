# OMA Desktop — developer entry points. Everything runs inside .venv, created on demand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DIR ?= .demo-data
DEMO_PERSONS ?= 3000
# the password of every demo account (admin, recepcion.cv1, coordinacion): the login screen asks for it
DEMO_PASSWORD ?= oma-demo-2026
LOCALES := es en
PO_FILES := $(foreach l,$(LOCALES),resources/locale/$(l)/LC_MESSAGES/oma_desktop.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test bench i18n translations lint typecheck clean smoke demo installer

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -D oma_desktop -i $< -o $@

translations: $(MO_FILES)

## make run: set up, build a demo database on first run, open the app on it
run: $(STAMP) translations
	@test -f $(DEMO_DIR)/oma.sqlite3 || OMA_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/oma-desktop --data-dir $(DEMO_DIR) demo --persons $(DEMO_PERSONS) --seed 1
	@echo "Demo accounts: admin, coordinacion, recepcion.cv1 — password: $(DEMO_PASSWORD)"
	$(BIN)/oma-desktop --data-dir $(DEMO_DIR)

## make test: set up and run the whole test suite (headless)
test: $(STAMP) translations
	$(BIN)/python -m pytest

## make bench: speed and memory figures beside the bare-library floor
bench: $(STAMP) translations
	$(BIN)/python -m tests.bench.run_bench

## make i18n: extract strings and update the catalogs
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-by-file -F babel.cfg -k N_ -k pgettext:1c,2 -k npgettext:1c,2,3 \
		--project=oma-desktop --msgid-bugs-address=oma-desktop@munlima.gob.pe \
		-o resources/locale/oma_desktop.pot oma_desktop
	for l in $(LOCALES); do \
		if [ -f resources/locale/$$l/LC_MESSAGES/oma_desktop.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -D oma_desktop -l $$l -i resources/locale/oma_desktop.pot -d resources/locale; \
		else \
			$(BIN)/pybabel init -D oma_desktop -l $$l -i resources/locale/oma_desktop.pot -d resources/locale; \
		fi; \
	done

smoke: $(STAMP) translations
	QT_QPA_PLATFORM=offscreen OMA_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/oma-desktop --data-dir $(DEMO_DIR) --smoke-test

## make installer: the frozen Linux build (PyInstaller one-folder, dist/oma-desktop/) and
## dist/oma-desktop-<version>-linux-<arch>.tar.gz with install.sh; Windows: docs/instalacion.md
INSTALLER_STAMP := $(VENV)/.installer-stamp
$(INSTALLER_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,dev,installer]'
	touch $(INSTALLER_STAMP)

installer: $(INSTALLER_STAMP) translations
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller installer/oma-desktop.spec
	$(BIN)/python installer/build_linux.py

lint: $(STAMP)
	$(BIN)/ruff check oma_desktop tests
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy oma_desktop

clean:
	rm -rf $(VENV) build dist *.egg-info $(MO_FILES)
