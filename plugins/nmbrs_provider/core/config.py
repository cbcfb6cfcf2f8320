"""Load and validate the sync's YAML configuration into frozen dataclasses.

Every problem in a file is collected and reported at once in a :class:`ConfigError` naming
the file, the dotted key path (``companies[1].projects``) and what is wrong. Every key, with
its default, is in the project's ``include/nmbrs_sync.reference.yaml``.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .periods import PayrollPeriod, PeriodError, PeriodType

__all__ = [
    "KEEPING_PURPOSES",
    "CompanyConfig",
    "ConfigError",
    "ConfigProblem",
    "FrozenMap",
    "HourCodes",
    "LoadConfig",
    "RoutingPolicy",
    "SyncConfig",
    "load_config",
    "parse_config",
]

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

_CONN_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_TOP_KEYS = (
    "warehouse_conn_id",
    "approved_only",
    "past_period_policy",
    "hour_codes",
    "routing",
    "schedule",
    "load",
    "companies",
)
_COMPANY_KEYS = (
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
_SELECTORS = ("organisations", "users", "projects", "tasks")
_HOUR_CODE_KEYS = ("worked", "purposes", "projects", "tasks")
_ROUTING_KEYS = ("unmatched", "ambiguous")
_SCHEDULE_KEYS = ("enabled", "timezone", "delay_hours", "catchup", "start", "assets")
_LOAD_KEYS = (
    "parallel_companies",
    "chunk_size",
    "verify",
    "verify_sample",
    "check_days_fixed",
)
VERIFY_CHOICES = ("sample", "all", "none")
_ASSET_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


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
    """One Nmbrs company and the Keeping hours routed to it."""

    company_id: int
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
class ScheduleConfig:
    """When the sync DAGs run: once per payroll period, and on upstream asset events."""

    enabled: bool = True
    timezone: str = "Europe/Amsterdam"
    delay_hours: float = 48.0
    catchup: bool = False
    start: str | None = None  # ISO date or period text; the first period to run
    assets: tuple[str, ...] = ()  # URIs of assets whose events also trigger a run


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
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    load: LoadConfig = field(default_factory=LoadConfig)
    source: str = "<config>"

    def company(self, company_id: int) -> CompanyConfig:
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


# --------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps non-decimal integers as text and rejects duplicate keys.

    YAML 1.1 reads ``0101`` as octal 65 and ``1_000`` as 1000; a personnel number or id written
    like that stays a string here, so it is either used verbatim or reported.
    """


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    if re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        return int(text)
    return text


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    result: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config(path: str | Path) -> SyncConfig:
    """Read and validate the YAML config at ``path``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(source, [ConfigProblem("", f"cannot read file: {err}")]) from err
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as err:
        raise ConfigError(
            source, [ConfigProblem("", f"not valid YAML: {_yaml_error(err)}")]
        ) from err
    return parse_config(data, source=source)


def _yaml_error(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(err).split())
    context = getattr(err, "context", None)
    suffix = f" ({context})" if context else ""
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}{suffix}"


def parse_config(data: Any, source: str = "<config>") -> SyncConfig:
    """Validate an already parsed config mapping (keys: include/nmbrs_sync.reference.yaml)."""
    checker = _Checker()
    config = checker.sync_config(data, source)
    if checker.problems or config is None:
        raise ConfigError(source, checker.problems)
    return config


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(choices)}"


class _Checker:
    """Collects problems while converting raw YAML data into dataclasses."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(key, message))

    # ---- primitives

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict | None:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping, got {_describe(value)}")
            return None
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else str(name)
                self.fail(where, f"unknown key {name!r}{_did_you_mean(name, allowed)}")
        return dict(value)

    def positive_int(self, value: Any, key: str, what: str = "a positive integer") -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(key, f"expected {what}, got {_describe(value)}")
            return None
        return value

    def boolean(self, value: Any, key: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_describe(value)}")
            return None
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in choices:
            hint = _did_you_mean(value, choices) if isinstance(value, str) else ""
            self.fail(key, f"expected one of {', '.join(choices)}, got {_describe(value)}{hint}")
            return None
        return value

    def conn_id(self, value: Any, key: str) -> str | None:
        if not isinstance(value, str) or not _CONN_ID_RE.match(value):
            self.fail(
                key,
                "expected an Airflow connection id of letters, digits, '_', '.' or '-', "
                f"got {_describe(value)}",
            )
            return None
        return value

    def id_list(self, value: Any, key: str) -> frozenset[int]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            self.fail(key, f"expected a list of positive integer ids, got {_describe(value)}")
            return frozenset()
        ids: list[int] = []
        for i, item in enumerate(value):
            checked = self.positive_int(item, f"{key}[{i}]", "a positive integer id")
            if checked is not None:
                if checked in ids:
                    self.fail(f"{key}[{i}]", f"id {checked} is listed twice")
                ids.append(checked)
        return frozenset(ids)

    # ---- sections

    def sync_config(self, data: Any, source: str) -> SyncConfig | None:
        if not isinstance(data, Mapping):
            self.fail("", f"expected a mapping with a 'companies' list, got {_describe(data)}")
            return None
        top = self.mapping(data, "", _TOP_KEYS) or {}
        defaults = self.hour_codes(top.get("hour_codes"), "hour_codes", HourCodes())
        companies = self.companies(top.get("companies"), defaults)
        kwargs: dict[str, Any] = {}
        if "warehouse_conn_id" in top:
            kwargs["warehouse_conn_id"] = self.conn_id(
                top["warehouse_conn_id"], "warehouse_conn_id"
            )
        if "approved_only" in top:
            kwargs["approved_only"] = self.boolean(top["approved_only"], "approved_only")
        if "past_period_policy" in top:
            kwargs["past_period_policy"] = self.choice(
                top["past_period_policy"], "past_period_policy", PAST_PERIOD_POLICIES
            )
        routing = self.routing(top.get("routing"))
        schedule = self.schedule(top.get("schedule"))
        load = self.load(top.get("load"))
        if self.problems:
            return None
        return SyncConfig(
            companies=tuple(companies),
            hour_codes=defaults,
            routing=routing,
            schedule=schedule,
            load=load,
            source=source,
            **kwargs,
        )

    def load(self, value: Any) -> LoadConfig:
        raw = self.mapping(value, "load", _LOAD_KEYS) or {}
        kwargs: dict[str, Any] = {}
        for name in ("parallel_companies", "chunk_size"):
            if name in raw:
                kwargs[name] = self.positive_int(raw[name], f"load.{name}")
        if "verify" in raw:
            kwargs["verify"] = self.choice(raw["verify"], "load.verify", VERIFY_CHOICES)
        if "verify_sample" in raw:
            sample = raw["verify_sample"]
            if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
                self.fail(
                    "load.verify_sample", f"expected an integer >= 0, got {_describe(sample)}"
                )
            else:
                kwargs["verify_sample"] = sample
        if "check_days_fixed" in raw:
            kwargs["check_days_fixed"] = self.boolean(
                raw["check_days_fixed"], "load.check_days_fixed"
            )
        return LoadConfig(**{k: v for k, v in kwargs.items() if v is not None})

    def schedule(self, value: Any) -> ScheduleConfig:
        raw = self.mapping(value, "schedule", _SCHEDULE_KEYS) or {}
        kwargs: dict[str, Any] = {}
        for name in ("enabled", "catchup"):
            if name in raw:
                kwargs[name] = self.boolean(raw[name], f"schedule.{name}")
        if "timezone" in raw:
            kwargs["timezone"] = self._timezone(raw["timezone"])
        if "delay_hours" in raw:
            delay = raw["delay_hours"]
            if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
                self.fail("schedule.delay_hours", f"expected hours >= 0, got {_describe(delay)}")
            else:
                kwargs["delay_hours"] = float(delay)
        if "start" in raw:
            kwargs["start"] = self._start(raw["start"])
        if "assets" in raw:
            kwargs["assets"] = self._asset_uris(raw["assets"])
        return ScheduleConfig(**{k: v for k, v in kwargs.items() if v is not None})

    def _timezone(self, value: Any) -> str | None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("schedule.timezone", f"unknown time zone {value!r} (e.g. Europe/Amsterdam)")
            return None
        return str(value)

    def _start(self, value: Any) -> str | None:
        import datetime as dt

        if value is None:
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            try:
                PayrollPeriod.parse(text)
            except PeriodError:
                self.fail(
                    "schedule.start", f"expected a date (2026-01-01) or a period, got {text!r}"
                )
                return None
        return text

    def _asset_uris(self, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("schedule.assets", f"expected a list of asset URIs, got {_describe(value)}")
            return None
        bad = [v for v in value if not _ASSET_URI_RE.match(v)]
        if bad:
            self.fail("schedule.assets", f"not asset URIs (scheme://path): {bad}")
            return None
        return tuple(value)

    def routing(self, value: Any) -> RoutingPolicy:
        raw = self.mapping(value, "routing", _ROUTING_KEYS) or {}
        kwargs = {
            name: self.choice(raw[name], f"routing.{name}", ROUTING_POLICIES)
            for name in _ROUTING_KEYS
            if name in raw
        }
        return RoutingPolicy(**kwargs)

    def hour_codes(self, value: Any, key: str, base: HourCodes) -> HourCodes:
        raw = self.mapping(value, key, _HOUR_CODE_KEYS) or {}
        worked = base.worked
        if "worked" in raw:
            worked = self.positive_int(raw["worked"], f"{key}.worked", "a positive hour code")
        purposes = dict(base.purposes)
        for purpose, code in self.code_map(raw.get("purposes"), f"{key}.purposes", str).items():
            if purpose == "break":
                self.fail(f"{key}.purposes.break", "breaks are never paid and cannot be mapped")
            elif purpose == "work":
                self.fail(
                    f"{key}.purposes.work",
                    f"purpose work always uses {key}.worked; set the code there",
                )
            elif purpose not in KEEPING_PURPOSES:
                mappable = tuple(p for p in KEEPING_PURPOSES if p not in ("work", "break"))
                self.fail(
                    f"{key}.purposes.{purpose}",
                    f"unknown Keeping purpose {purpose!r}{_did_you_mean(purpose, mappable)}",
                )
            elif code is None:
                purposes.pop(purpose, None)
            else:
                purposes[purpose] = code
        projects = dict(base.projects)
        projects.update(self.code_map(raw.get("projects"), f"{key}.projects", int))
        tasks = dict(base.tasks)
        tasks.update(self.code_map(raw.get("tasks"), f"{key}.tasks", int))
        return HourCodes(
            worked=worked or base.worked,
            purposes=FrozenMap(purposes),
            projects=FrozenMap({k: v for k, v in projects.items() if v is not None}),
            tasks=FrozenMap({k: v for k, v in tasks.items() if v is not None}),
        )

    def code_map(self, value: Any, key: str, key_type: type) -> dict:
        """A mapping of purpose name (str) or Keeping id (int) to hour code or null."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping of {_key_word(key_type)} to hour code")
            return {}
        result: dict = {}
        for name, code in value.items():
            where = f"{key}.{name}"
            if key_type is int and self.positive_int(name, where, "a positive id as key") is None:
                continue
            if key_type is str and not isinstance(name, str):
                self.fail(where, f"expected a purpose name as key, got {_describe(name)}")
                continue
            if code is not None and self.positive_int(code, where, "a positive hour code") is None:
                continue
            result[name] = code
        return result

    def companies(self, value: Any, defaults: HourCodes) -> list[CompanyConfig]:
        if not isinstance(value, list) or not value:
            self.fail(
                "companies", f"expected a non-empty list of companies, got {_describe(value)}"
            )
            return []
        companies: list[CompanyConfig] = []
        first_seen: dict[int, int] = {}
        defaults_at: list[int] = []
        for i, raw in enumerate(value):
            key = f"companies[{i}]"
            company = self.company(raw, key, defaults)
            if company is None:
                continue
            if company.company_id in first_seen:
                self.fail(
                    f"{key}.company_id",
                    f"company {company.company_id} is already configured at "
                    f"companies[{first_seen[company.company_id]}]",
                )
            first_seen.setdefault(company.company_id, i)
            if company.default:
                defaults_at.append(i)
            companies.append(company)
        if len(defaults_at) > 1:
            where = ", ".join(f"companies[{i}]" for i in defaults_at)
            self.fail("companies", f"at most one company can be the default, found {where}")
        return companies

    def company(self, value: Any, key: str, defaults: HourCodes) -> CompanyConfig | None:
        before = len(self.problems)
        raw = self.mapping(value, key, _COMPANY_KEYS)
        if raw is None:
            return None
        company_id = None
        if "company_id" not in raw:
            self.fail(f"{key}.company_id", "missing: the Nmbrs company ID is required")
        else:
            company_id = self.positive_int(
                raw["company_id"], f"{key}.company_id", "a positive Nmbrs company ID"
            )
        kwargs: dict[str, Any] = {}
        if "nmbrs_conn_id" in raw:
            kwargs["nmbrs_conn_id"] = self.conn_id(raw["nmbrs_conn_id"], f"{key}.nmbrs_conn_id")
        if "period_type" in raw:
            try:
                kwargs["period_type"] = PeriodType.parse(raw["period_type"])
            except PeriodError as err:
                self.fail(f"{key}.period_type", str(err))
        for name in _SELECTORS:
            kwargs[name] = self.id_list(raw.get(name), f"{key}.{name}")
        if "default" in raw:
            kwargs["default"] = self.boolean(raw["default"], f"{key}.default")
        if not kwargs.get("default") and not any(kwargs[name] for name in _SELECTORS):
            self.fail(
                key,
                "routes no hours: give at least one of organisations, users, projects, tasks "
                "or set default: true",
            )
        kwargs["hour_codes"] = self.hour_codes(raw.get("hour_codes"), f"{key}.hour_codes", defaults)
        kwargs["contract_overrides"] = self.overrides(
            raw.get("contract_overrides"), f"{key}.contract_overrides"
        )
        if "comment" in raw:
            kwargs["comment"] = self.comment(raw["comment"], f"{key}.comment")
        if len(self.problems) > before or company_id is None:
            return None
        return CompanyConfig(company_id=company_id, **kwargs)

    def overrides(self, value: Any, key: str) -> FrozenMap:
        if value is None:
            return FrozenMap()
        if not isinstance(value, Mapping):
            self.fail(key, "expected a mapping of personnel number to flexible or fixed")
            return FrozenMap()
        result: dict[str, str] = {}
        for number, contract in value.items():
            where = f"{key}.{number}"
            if isinstance(number, bool) or not isinstance(number, (str, int)):
                self.fail(where, f"expected a personnel number as key, got {_describe(number)}")
                continue
            text = str(number).strip()
            if not text:
                self.fail(where, "personnel number is empty")
                continue
            if text in result:
                self.fail(where, f"personnel number {text!r} is listed twice")
                continue
            checked = self.choice(contract, where, CONTRACT_CHOICES)
            if checked is not None:
                result[text] = checked
        return FrozenMap(result)

    def comment(self, value: Any, key: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty text, got {_describe(value)}")
            return None
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as err:
            self.fail(key, f"malformed template {value!r}: {err} (write {{{{ for a brace)")
            return None
        for name in fields:
            if name not in COMMENT_FIELDS:
                placeholders = ", ".join(f"{{{f}}}" for f in COMMENT_FIELDS)
                self.fail(key, f"unknown placeholder {{{name}}}; available: {placeholders}")
                return None
        return value


def _key_word(key_type: type) -> str:
    return "Keeping purpose" if key_type is str else "Keeping id"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"
