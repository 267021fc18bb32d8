"""OMA Desktop: case management for the Oficinas Municipales de Atención al Vecino Migrante."""

__version__ = "0.1.0"
APP_NAME = "OMA Desktop"
APP_ID = "oma-desktop"
