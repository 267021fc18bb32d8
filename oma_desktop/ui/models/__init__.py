"""Qt item models shared by the screens (they hold service results, never query on paint)."""

from oma_desktop.ui.models.person_search_model import PERSON_ID_ROLE, PersonSearchModel
from oma_desktop.ui.models.timeline_model import TimelineModel

__all__ = ["PERSON_ID_ROLE", "PersonSearchModel", "TimelineModel"]
