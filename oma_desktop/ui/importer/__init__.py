"""Import a casa's Excel/CSV list of people: the wizard over ``services.importer``."""
