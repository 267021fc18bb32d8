"""One way for every form to confirm that unsaved changes may be thrown away.

Esc, Cancelar or the window's close button on a form with changes does not close it: the
form's message line says there are unsaved changes (and what, if anything, was already
saved on its own), and only a second Esc or Cancelar, with nothing typed in between,
discards them. No modal box to dismiss, the same keys in the person form and the
consultation form, and nothing typed is lost by one stray key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oma_desktop.i18n import _


def discard_message(saved: Sequence[str] = ()) -> str:
    """The warning shown by the first Esc or Cancelar, naming what was already saved."""
    text = _("There are unsaved changes: press Esc or Cancel again to discard them, "
             "or Ctrl+S to save.")
    if saved:
        text += " " + _("Already saved, and kept: {what}.").format(what="; ".join(saved))
    return text


class DiscardGuard:
    """Asks before discarding: ``confirm`` is False the first time, True the second.

    ``say`` shows a message in the form (an empty text hides it). The second request only
    discards when the form is as it was at the first one (``state``), or when the form
    disarmed the guard itself because something was typed.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self.armed = False
        self._state: object = None

    def confirm(self, state: object = None, saved: Sequence[str] = ()) -> bool:
        """May the form close and lose its changes?"""
        if self.armed and state == self._state:
            self.armed = False
            return True
        self.armed, self._state = True, state
        self._say(discard_message(saved))
        return False

    def disarm(self) -> None:
        """Something was typed after the warning: the next Esc warns again."""
        if self.armed:
            self.armed = False
            self._say("")
