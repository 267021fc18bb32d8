"""The registry of main-window pages, in navigation order.

Each page is built by its ``factory`` the first time it is shown, so start-up only
pays for the first one. To replace a placeholder by the real screen, change its
``factory`` to ``lazy("oma_desktop.ui.<module>:<Class>")`` (imported on first show)
or to the class itself, passed as the ``factory=`` argument of its ``_spec`` entry;
it is called with the :class:`AppContext` and returns the page widget.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStyle, QWidget

from oma_desktop.i18n import N_, _
from oma_desktop.services.permissions import Permission
from oma_desktop.ui.placeholder import PlaceholderPage

if TYPE_CHECKING:
    from oma_desktop.services.context import AppContext

PageFactory = Callable[["AppContext"], QWidget]
Icon = QStyle.StandardPixmap


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str  # msgid (marked with N_); translate with _() when shown
    icon: QStyle.StandardPixmap
    shortcut: str  # portable QKeySequence text, e.g. "Ctrl+1"
    factory: PageFactory
    # shown only to roles with this permission (None: to every role)
    permission: Permission | None = None


def lazy(target: str) -> PageFactory:
    """A factory that imports ``"package.module:Class"`` only when the page is first shown."""
    module_name, _sep, attr = target.partition(":")

    def factory(ctx: AppContext) -> QWidget:
        page: PageFactory = getattr(importlib.import_module(module_name), attr)
        return page(ctx)

    return factory


def placeholder(title: str, description: str) -> PageFactory:
    """A factory for a page that is not built yet (both arguments are msgids)."""

    def factory(ctx: AppContext) -> QWidget:
        return PlaceholderPage(_(title), _(description))

    return factory


def _spec(
    key: str,
    title: str,
    icon: Icon,
    number: int,
    description: str,
    factory: PageFactory | None = None,
    permission: Permission | None = None,
) -> PageSpec:
    """A page reached with Ctrl+``number``; a placeholder until ``factory`` is given."""
    return PageSpec(
        key, title, icon, f"Ctrl+{number}", factory or placeholder(title, description),
        permission,
    )


PAGES: tuple[PageSpec, ...] = (
    _spec("attention", N_("Attention"), Icon.SP_DialogHelpButton, 1,
          N_("Register the attention given to a migrant neighbour: who came, what they "
             "asked about and what was done."),
          factory=lazy("oma_desktop.ui.atencion.page:AttentionPage")),
    _spec("today", N_("Today"), Icon.SP_FileDialogListView, 9,
          N_("The attentions given today at this casa, with counts by topic and staff member, "
             "to print or export."),
          factory=lazy("oma_desktop.ui.hoy.page:TodayPage")),
    _spec("people", N_("People"), Icon.SP_FileDialogDetailedView, 2,
          N_("Search, register and update the people attended by the casa, with their "
             "documents and their household."),
          factory=lazy("oma_desktop.ui.people_page:PeoplePage")),
    _spec("referrals", N_("Referrals"), Icon.SP_ArrowForward, 3,
          N_("Refer people to partner institutions and record whether each referral was "
             "received and resolved."),
          factory=lazy("oma_desktop.ui.derivaciones.page:ReferralsPage")),
    _spec("follow_up", N_("Follow-up"), Icon.SP_DialogApplyButton, 4,
          N_("See pending cases and referrals, schedule calls and record how each case "
             "evolves."),
          factory=lazy("oma_desktop.ui.seguimiento.page:FollowUpPage")),
    _spec("map", N_("Map"), Icon.SP_DriveNetIcon, 5,
          N_("See on a map of Lima and Callao the districts where the people attended "
             "live."),
          factory=lazy("oma_desktop.ui.mapa.page:MapPage"),
          permission=Permission.VIEW_REPORTS),
    _spec("reports", N_("Reports"), Icon.SP_FileDialogContentsView, 6,
          N_("Produce monthly reports and statistics by axis, R4V sector, nationality and "
             "district, to print or export."),
          factory=lazy("oma_desktop.ui.reportes.page:ReportsPage"),
          permission=Permission.VIEW_REPORTS),
    _spec("community", N_("Community"), Icon.SP_DirLinkIcon, 0,
          N_("Events (migratones, talentos vecinales, forums, fairs, trainings of municipal "
             "staff) and the registry of migrant organisations."),
          factory=lazy("oma_desktop.ui.comunidad.page:CommunityPage"),
          permission=Permission.VIEW_REPORTS),
    _spec("sync", N_("Synchronisation"), Icon.SP_BrowserReload, 7,
          N_("Exchange data between this casa and headquarters with an encrypted USB "
             "memory stick."),
          factory=lazy("oma_desktop.ui.sincronizacion.page:SyncPage"),
          permission=Permission.SYNC),
    _spec("admin", N_("Administration"), Icon.SP_ComputerIcon, 8,
          N_("Manage users, the casa's details, catalogs and backups."),
          factory=lazy("oma_desktop.ui.administracion.page:AdministrationPage")),
)
