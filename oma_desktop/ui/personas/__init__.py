"""Person record screens: the registration / edit form, the duplicates check, the household.

Other screens open the form with::

    dialog = PersonDialog(ctx, parent, person_id=None, initial_text=typed_search)
    if dialog.exec():
        person_id = dialog.result_person_id  # saved, or the existing one (chose_existing)
"""

from oma_desktop.ui.personas.duplicates_dialog import DuplicatesDialog
from oma_desktop.ui.personas.household_panel import AddMemberDialog, HouseholdPanel
from oma_desktop.ui.personas.person_form import PersonDialog, split_initial_text

__all__ = [
    "AddMemberDialog",
    "DuplicatesDialog",
    "HouseholdPanel",
    "PersonDialog",
    "split_initial_text",
]
