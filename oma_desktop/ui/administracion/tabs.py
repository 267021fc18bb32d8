"""The tabs of Administración: the casa's details first, then the tabs each role may use
(issue #9): «Registro de accesos» (``VIEW_AUDIT``), «Incidentes de seguridad»
(``MANAGE_INCIDENTS``) and «Derechos sobre los datos» (``MANAGE_RIGHTS_REQUESTS`` or
``ANONYMISE``: ui/derechos). A tab a role may not use is not shown; its services refuse that
role anyway. Other tabs are added to the returned ``QTabWidget``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission


def add_admin_tabs(page: QWidget, ctx: AppContext, first: QWidget, title: str) -> QTabWidget:
    """Lay ``page`` out as tabs: ``first`` (titled ``title``) and the issue #9 tabs."""
    from oma_desktop.ui.administracion.audit_tab import AuditTab
    from oma_desktop.ui.administracion.incidents_tab import IncidentsTab

    tabs = QTabWidget(page)
    tabs.setObjectName("administration_tabs")
    tabs.setDocumentMode(True)
    tabs.addTab(first, title)
    if ctx.session.can(Permission.VIEW_AUDIT):
        tabs.addTab(AuditTab(ctx), _("Audit log"))
    if ctx.session.can(Permission.MANAGE_INCIDENTS):
        tabs.addTab(IncidentsTab(ctx), _("Security incidents"))
    if ctx.session.can(Permission.MANAGE_RIGHTS_REQUESTS) or ctx.session.can(Permission.ANONYMISE):
        from oma_desktop.ui.derechos.page import RightsPage

        tabs.addTab(RightsPage(ctx), _("Data-protection rights"))
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 4, 0, 0)
    layout.addWidget(tabs)
    return tabs
