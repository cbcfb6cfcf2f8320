"""Permission probing and the connection test of the Nmbrs SOAP hook (nothing is written)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from nmbrs_provider.core.holdings import ChangeSet
from nmbrs_provider.exceptions import (
    NmbrsAuthenticationError,
    NmbrsError,
    NmbrsPermissionError,
    NmbrsTransientError,
)
from nmbrs_provider.permissions import PERMISSIONS, Permission, PermissionReport

if TYPE_CHECKING:
    from nmbrs_provider.connection_settings import NmbrsConnectionSettings
    from nmbrs_provider.models import Company
    from nmbrs_provider.soap.client import NmbrsSoapClient

T = TypeVar("T")
R = TypeVar("R")

#: What a change set's writes need; checked (without writing) before the first write.
WRITE_PERMISSIONS = (
    "EmployeeService.HourComponent_Delete",
    "EmployeeService.HourComponentVar_Insert_Batch",
    "EmployeeService.DaysVar_Set_Batch",
)
#: A closed period's correction (``retro``) only inserts components and sets days.
CORRECTION_PERMISSIONS = WRITE_PERMISSIONS[1:]


class NmbrsPermissionChecks:
    """Probe the API user's permissions; the hook supplies ``client`` and ``settings``."""

    client: NmbrsSoapClient
    settings: NmbrsConnectionSettings
    list_companies: Callable[[], list[Company]]
    map_concurrently: Callable[..., list[Any]]

    def _probe(self, permission: Permission) -> bool | str:
        """True when granted, False when fault 1002 says it is not, else why it is unknown."""
        try:
            self.client.call(
                permission.service, permission.operation, idempotent=True, **permission.probe_args
            )
        except NmbrsPermissionError:
            return False
        except NmbrsAuthenticationError:
            raise
        except NmbrsTransientError as exc:
            return str(exc)
        except NmbrsError:
            pass  # rejected for another reason: the operation itself is allowed
        return True

    def permission_report(self) -> PermissionReport:
        """Probe every permission the sync needs, writing nothing.

        Raises :class:`NmbrsAuthenticationError` when the credentials themselves are refused.
        """
        granted, missing, optional_missing, unchecked = [], [], [], {}
        outcomes = self.map_concurrently(self._probe, PERMISSIONS)
        for permission, outcome in zip(PERMISSIONS, outcomes, strict=True):
            if outcome is True:
                granted.append(permission.name)
            elif outcome is False:
                (missing if permission.required else optional_missing).append(permission.name)
            else:
                unchecked[permission.name] = outcome
        return PermissionReport(
            username=self.settings.username,
            granted=tuple(granted),
            missing=tuple(missing),
            optional_missing=tuple(optional_missing),
            unchecked=unchecked,
        )

    def require_permissions(self, names: Iterable[str]) -> None:
        """Raise one :class:`NmbrsPermissionError` naming every operation of ``names`` the API
        user may not call; probes write nothing, so this runs before the first write."""
        by_name = {p.name: p for p in PERMISSIONS}
        wanted = list(names)
        outcomes = self.map_concurrently(self._probe, [by_name[name] for name in wanted])
        missing = [name for name, outcome in zip(wanted, outcomes, strict=True) if outcome is False]
        if missing:
            raise NmbrsPermissionError(
                f"API user {self.settings.username!r} lacks {', '.join(missing)} (fault 1002). "
                "Nothing was written. In Nmbrs, tick these operations in the API user's "
                "template, then run again."
            )

    def check_write_access(self, changes: ChangeSet) -> None:
        """Probe the operations ``changes`` needs (see :meth:`require_permissions`)."""
        self.require_permissions(
            CORRECTION_PERMISSIONS if changes.corrections_only else WRITE_PERMISSIONS
        )

    def test_connection(self) -> tuple[bool, str]:
        """Check credentials and permissions; used by the UI's Test button."""
        try:
            companies = self.list_companies()
            report = self.permission_report()
        except NmbrsError as exc:
            return False, str(exc)
        if not report.ok:
            parts = []
            if report.missing:
                parts.append("missing permissions: " + ", ".join(report.missing))
            if report.unchecked:
                parts.append("could not check: " + ", ".join(report.unchecked))
            return False, f"Connected as {report.username}, but " + "; ".join(parts)
        return True, (
            f"Connected as {report.username}: {len(companies)} companies visible, all "
            f"{len(report.granted)} permissions checked are granted"
            + (f" (optional missing: {', '.join(report.optional_missing)})"
               if report.optional_missing else "")
        )  # fmt: skip
