"""zeep clients for a running sandbox, used by the sandbox's own tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
import zeep
from zeep.transports import Transport

from nmbrs_sandbox.scenario import DEMO_PATH

DEMO = {"Username": "demo@example.com", "Token": "sandbox-demo-token", "Domain": "demo"}
LIMITED = {"Username": "limited@example.com", "Token": "sandbox-limited-token", "Domain": "demo"}
SERVICES = ("CompanyService", "EmployeeService")


def demo_data() -> dict[str, Any]:
    """A fresh dict of the demo scenario, to change before starting a sandbox."""
    return yaml.safe_load(DEMO_PATH.read_text(encoding="utf-8"))


class Api:
    """Both services of a sandbox, loaded from its own WSDL, calling as one account."""

    def __init__(
        self,
        url: str,
        credentials: dict[str, str] = DEMO,
        *,
        soap12: bool = False,
        timeout: float | None = None,
    ) -> None:
        self.header = {"AuthHeaderWithDomain": credentials}
        self.clients = {
            name: zeep.Client(
                f"{url}/soap/v3/{name}.asmx?WSDL", transport=Transport(operation_timeout=timeout)
            )
            for name in SERVICES
        }
        self._proxies = {
            name: client.bind(name, f"{name}Soap12") if soap12 else client.service
            for name, client in self.clients.items()
        }

    def company(self, operation: str, **kwargs: Any) -> Any:
        return self.call("CompanyService", operation, **kwargs)

    def employee(self, operation: str, **kwargs: Any) -> Any:
        return self.call("EmployeeService", operation, **kwargs)

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        return getattr(self._proxies[service], operation)(**kwargs, _soapheaders=self.header)

    def insert_hours(
        self,
        items: list[dict[str, Any]],
        year: int = 2026,
        period: int = 11,
        unprotected: bool = False,
    ) -> Any:
        return self.employee(
            "HourComponentVar_Insert_Batch",
            HourComponents={"EmployeeHourComponent": items},
            Period=period,
            Year=year,
            UnprotectedMode=unprotected,
        )

    def set_days_var(self, items: list[dict[str, Any]], unprotected: bool = False) -> Any:
        return self.employee(
            "DaysVar_Set_Batch",
            EmployeesDaysWorked={"DaysWorked": items},
            UnprotectedMode=unprotected,
        )


def hours(employee_id: int, hour_code: int = 2100, amount: str = "8", comment: str = "") -> dict:
    """One EmployeeHourComponent item as a client sends it (Id 0 for new)."""
    return {
        "EmployeeId": employee_id,
        "Id": 0,
        "HourCode": hour_code,
        "CostCenterId": None,
        "CostUnitId": None,
        "Hours": amount,
        "Comment": comment or None,
    }


def days(employee_id: int, amount: int, year: int = 2026, period: int = 11) -> dict:
    return {"EmployeeId": employee_id, "Days": amount, "Period": period, "Year": year}


def fault_code(call: Callable[[], Any]) -> int:
    """Run ``call``, expect an ASMX fault and return its Nmbrs code."""
    with pytest.raises(zeep.exceptions.Fault) as raised:
        call()
    message = raised.value.message
    assert message.startswith("Server was unable to process request. ---> "), message
    match = re.search(r"---> (\d+): ", message)
    assert match, message
    return int(match.group(1))
