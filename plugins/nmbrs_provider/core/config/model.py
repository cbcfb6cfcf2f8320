"""The sync config's typed model: frozen dataclasses, the allowed values and the errors.

Plain Python with no Airflow import. :mod:`.yaml_loader` reads a file into this model and
:mod:`.sections` checks each section; every key, with its default, is in the project's
``include/nmbrs_sync.reference.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..periods import PayrollPeriod, PeriodType

KEEPING_PURPOSES: tuple[str, ...] = (
    "work",
    "break",
    "special_leave",
    "unpaid_leave",
    "statutory_leave",
    "sick_leave",
    "work_reduction",
    "trip",
)
PAST_PERIOD_POLICIES = ("fail", "retro", "skip")
ROUTING_POLICIES = ("exclude", "fail")
CONTRACT_CHOICES = ("flexible", "fixed")
COMMENT_FIELDS = ("period", "year", "number", "company_id")

CONN_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
TOP_KEYS = (
    "warehouse_conn_id",
    "approved_only",
    "past_period_policy",
    "hour_codes",
    "routing",
    "schedule",
    "load",
    "companies",
)
COMPANY_KEYS = (
    "company_id",
    "nmbrs_conn_id",
    "period_type",
    "organisations",
    "users",
    "projects",
    "tasks",
    "default",
    "hour_codes",
    "contract_overrides",
    "comment",
)
SELECTORS = ("organisations", "users", "projects", "tasks")
HOUR_CODE_KEYS = ("worked", "purposes", "projects", "tasks")
ROUTING_KEYS = ("unmatched", "ambiguous")
LOAD_KEYS = (
    "parallel_companies",
    "chunk_size",
    "verify",
    "verify_sample",
    "check_days_fixed",
)
VERIFY_CHOICES = ("sample", "all", "none")


class FrozenMap(Mapping):
    """A small immutable, hashable mapping."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file, at a dotted key path."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key or '(top level)'}: {self.message}"


class ConfigError(ValueError):
    """Invalid configuration; ``problems`` lists every problem found, each with its key path."""

    def __init__(self, source: str, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]):
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid sync config {source} ({count} {noun}):\n{lines}")


@dataclass(frozen=True)
class HourCodes:
    """Hour codes of one company: ``worked`` for Keeping purpose ``work`` (unless a project or
    task override applies) and ``purposes`` for the other mapped purposes."""

    worked: int = 2100
    purposes: FrozenMap = field(default_factory=FrozenMap)
    projects: FrozenMap = field(default_factory=FrozenMap)
    tasks: FrozenMap = field(default_factory=FrozenMap)

    @property
    def work_codes(self) -> frozenset[int]:
        """Codes that worked hours (purpose ``work``) can get."""
        return frozenset({self.worked, *self.projects.values(), *self.tasks.values()})

    @property
    def owned(self) -> frozenset[int]:
        """Every code this mapping can produce."""
        return self.work_codes | frozenset(self.purposes.values())

    def for_purpose(self, purpose: str) -> int | None:
        """Code for a non-project, non-task row of ``purpose``; None when not mapped."""
        if purpose == "work":
            return self.worked
        return self.purposes.get(purpose)


@dataclass(frozen=True)
class RoutingPolicy:
    """What to do with hours no company takes (``unmatched``) or two companies or two Keeping
    users of one organisation with one code claim (``ambiguous``): ``exclude`` them with a
    reason, or ``fail`` the run."""

    unmatched: str = "exclude"
    ambiguous: str = "exclude"


@dataclass(frozen=True)
class CompanyConfig:
    """One Nmbrs company and the Keeping hours routed to it; ``company_id`` is the id of its
    connection's API (an int for SOAP, a UUID string for REST)."""

    company_id: int | str
    nmbrs_conn_id: str = "nmbrs_default"
    period_type: PeriodType = PeriodType.MONTH
    organisations: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    projects: frozenset[int] = frozenset()
    tasks: frozenset[int] = frozenset()
    default: bool = False
    hour_codes: HourCodes = field(default_factory=HourCodes)
    contract_overrides: FrozenMap = field(default_factory=FrozenMap)
    comment: str = "Keeping {period}"

    @property
    def owned_hour_codes(self) -> frozenset[int]:
        """Exactly the codes this company's mapping can produce."""
        return self.hour_codes.owned

    def render_comment(self, period: PayrollPeriod) -> str:
        """The comment for components inserted for ``period``."""
        return self.comment.format(
            period=str(period), year=period.year, number=period.number, company_id=self.company_id
        )


@dataclass(frozen=True)
class LoadConfig:
    """How the sync talks to Nmbrs: parallelism, batch sizes, read-back and optional reads."""

    parallel_companies: int = 4
    chunk_size: int = 500
    verify: str = "sample"
    verify_sample: int = 3
    check_days_fixed: bool = False


@dataclass(frozen=True)
class SyncConfig:
    """The whole sync configuration."""

    companies: tuple[CompanyConfig, ...]
    warehouse_conn_id: str = "keeping_warehouse"
    approved_only: bool = False
    past_period_policy: str = "fail"
    hour_codes: HourCodes = field(default_factory=HourCodes)
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    #: The Airflow-only ``schedule`` section as written (checked to be a mapping); its keys are
    #: validated by :func:`nmbrs_provider.timetables.schedule_config.load_schedule`.
    schedule: FrozenMap = field(default_factory=FrozenMap)
    load: LoadConfig = field(default_factory=LoadConfig)
    source: str = "<config>"

    def company(self, company_id: int | str) -> CompanyConfig:
        """The company with ``company_id``; KeyError naming the configured ids otherwise."""
        for company in self.companies:
            if company.company_id == company_id:
                return company
        known = ", ".join(str(c.company_id) for c in self.companies)
        raise KeyError(f"company {company_id} is not in {self.source} (configured: {known})")

    def companies_of_type(self, period_type: PeriodType | str) -> tuple[CompanyConfig, ...]:
        """Companies whose period type is ``period_type``."""
        kind = PeriodType.parse(period_type)
        return tuple(c for c in self.companies if c.period_type is kind)

    @property
    def default_company(self) -> CompanyConfig | None:
        """The company marked ``default: true``, if any."""
        return next((c for c in self.companies if c.default), None)

    def owned_hour_codes(self, company_id: int) -> frozenset[int]:
        """Exactly the hour codes ``company_id``'s mapping can produce."""
        return self.company(company_id).owned_hour_codes
