"""An Airflow timetable with one run per Nmbrs payroll period.

``PayrollPeriodTimetable("M")`` schedules one run per calendar month, ``"4W"`` one per 4-week
period (13 per ISO year, the last taking ISO week 53 when there is one) and ``"W"`` one per ISO
week. A run's data interval is exactly the period's days in the timetable's zone::

    start = 00:00 local on the period's first day
    end   = 00:00 local on the day after the period's last day

so the interval of a run *is* the Nmbrs period it writes; :func:`period_of_interval` turns a
run's ``data_interval_start`` back into that :class:`~nmbrs_provider.core.periods.PayrollPeriod`.
Intervals tile the calendar: each one ends where the next begins, across DST changes and year
ends. The run is scheduled ``delay`` after the interval ends (late time entries): whole days of
the delay are calendar days in the zone (a 2-day delay always runs at 00:00 local), the rest is
elapsed time.

All period arithmetic is :mod:`nmbrs_provider.core.periods`; this module only maps periods to
and from aware datetimes. Register the class with an Airflow plugin (``NmbrsPlugin`` does), or a
DAG using it fails serialization.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.exceptions import AirflowTimetableInvalid
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable

from nmbrs_provider.core.periods import PayrollPeriod, PeriodError, PeriodType
from nmbrs_provider.timetables.intervals import (
    DEFAULT_TIMEZONE,
    aware,
    interval,
    load_timezone,
    local_date,
    local_midnight,
    period_data_interval,
    period_of_interval,
)

if TYPE_CHECKING:
    from airflow.timetables.base import TimeRestriction
    from pendulum import DateTime
    from pendulum.tz.timezone import Timezone

__all__ = [
    "DEFAULT_DELAY",
    "DEFAULT_TIMEZONE",
    "PayrollPeriodTimetable",
    "period_data_interval",
    "period_of_interval",
]

DEFAULT_DELAY = dt.timedelta(days=2)

_ADJECTIVES = {
    PeriodType.MONTH: "monthly",
    PeriodType.FOUR_WEEKS: "4-weekly",
    PeriodType.WEEK: "weekly",
}
_EXPLANATIONS = {
    PeriodType.MONTH: "calendar months, 12 per year",
    PeriodType.FOUR_WEEKS: (
        "4 ISO weeks each, 13 per ISO year, the 13th also taking ISO week 53 when the year has one"
    ),
    PeriodType.WEEK: "ISO weeks from Monday to Sunday, 52 or 53 per ISO year",
}


def _utcnow() -> DateTime:
    """The current time (a seam for tests)."""
    return pendulum.now("UTC")


def _describe_delay(delay: dt.timedelta) -> str:
    """``2 days``, ``36 hours``, ``90 minutes``, ``1 second`` (the largest whole unit)."""
    seconds = delay.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    count_text = f"{seconds:g}"
    return f"{count_text} second{'' if seconds == 1 else 's'}"


class PayrollPeriodTimetable(Timetable):
    """One DAG run per Nmbrs payroll period of one type.

    :param period_type: ``"M"`` (month), ``"4W"`` (4 weeks; ``"W4"`` accepted) or ``"W"`` (week;
        ``"W1"`` accepted), or a :class:`~nmbrs_provider.core.periods.PeriodType`.
    :param timezone: IANA zone in which the periods' days are read (default Europe/Amsterdam).
    :param delay: how long after a period ends its run starts, for late time entries: a
        ``timedelta`` or a number of hours (default 2 days; whole days are calendar days).
    :param start: the first period to schedule: the period *containing* this date (a ``date``;
        an aware ``datetime`` read in ``timezone``, a naive one as wall-clock there; ISO date
        text) or that period itself (a :class:`PayrollPeriod` or Nmbrs text like
        ``"2026-1-4W"``). The DAG's ``start_date`` still applies as well (see below).

    Scheduling (:meth:`next_dagrun_info`):

    * The data interval is the period's days, 00:00 local to 00:00 local; ``run_after`` is its
      end plus ``delay``; the logical date is the interval start.
    * The first run is the later of the period containing ``start`` and the first period that
      *starts* on or after the local day of ``restriction.earliest`` (the DAG's ``start_date``,
      or a backfill's ``--from-date``): Airflow never creates a logical date before
      ``start_date``, so a ``start_date`` in the middle of a period begins with the next one.
      Bounds are compared as calendar days in ``timezone``, so a UTC-midnight
      ``--from-date 2026-03-01`` includes the March period, whose start is 23:00 UTC the
      evening before.
    * After a run, the next is the period after the one containing that run's logical date:
      periods follow each other without gaps or overlaps, and after a schedule change logical
      dates still only increase.
    * ``catchup=False``: periods long past are skipped; the run is at least the latest period
      whose ``run_after`` has passed (Airflow's own timetables likewise create only the latest
      complete interval). ``catchup=True``: every period in order.
    * No run for a period starting after ``restriction.latest`` (``end_date``, a backfill's
      ``--to-date``).

    A manual run (:meth:`infer_manual_data_interval`) closes the latest period that has ended
    at ``run_after``, ignoring ``delay``.
    """

    def __init__(
        self,
        period_type: PeriodType | str = PeriodType.MONTH,
        *,
        timezone: str | Any = DEFAULT_TIMEZONE,
        delay: dt.timedelta | float = DEFAULT_DELAY,
        start: dt.date | dt.datetime | PayrollPeriod | str | None = None,
    ) -> None:
        # Like Airflow's own timetables the constructor accepts anything and validate()
        # (called when the DAG is bagged) reports what is wrong, all at once.
        self._problems: list[str] = []
        self._raw = (period_type, timezone, delay, start)

        self._period_type: PeriodType | None = None
        try:
            self._period_type = PeriodType.parse(period_type)
        except PeriodError as err:
            self._problems.append(str(err))

        self._zone: Timezone | None = None
        try:
            self._zone = load_timezone(timezone)
        except ValueError as err:
            self._problems.append(str(err))

        self._delay: dt.timedelta | None = None
        if isinstance(delay, dt.timedelta):
            self._delay = delay
        elif isinstance(delay, (int, float)) and not isinstance(delay, bool):
            self._delay = dt.timedelta(hours=delay)
        else:
            self._problems.append(f"delay must be a timedelta or a number of hours, got {delay!r}")
        if self._delay is not None and self._delay < dt.timedelta(0):
            self._problems.append(
                "delay must not be negative (a run cannot start before its period ends), "
                f"got -{_describe_delay(-self._delay)}"
            )

        self._start: dt.date | None = None
        if start is not None:
            try:
                self._start = self._resolve_start(start)
            except (PeriodError, ValueError, TypeError) as err:
                self._problems.append(str(err))

        self.description = self._describe()

    # ----------------------------------------------------------------- construction helpers
    def _resolve_start(self, start: object) -> dt.date:
        """The day whose period is the first one to schedule."""
        if isinstance(start, str):
            try:
                start = PayrollPeriod.parse(start)
            except PeriodError:
                try:
                    start = dt.date.fromisoformat(start.strip())
                except ValueError:
                    raise PeriodError(
                        f"start {start!r} is neither a payroll period such as '2026-1-4W' "
                        "nor an ISO date such as '2026-01-01'"
                    ) from None
        if isinstance(start, PayrollPeriod):
            if self._period_type is not None and start.type is not self._period_type:
                raise PeriodError(
                    f"start period {start} is not a {self._period_type} period "
                    f"(the timetable's period type)"
                )
            return start.start
        if isinstance(start, dt.datetime):
            if start.tzinfo is None or start.utcoffset() is None:
                return start.date()  # wall-clock in the timetable's zone
            if self._zone is None:
                raise PeriodError(f"start {start.isoformat()} cannot be placed in an invalid zone")
            return pendulum.instance(start).in_timezone(self._zone).date()
        if isinstance(start, dt.date):
            return start
        raise PeriodError(
            f"start must be a date, datetime, PayrollPeriod or text, got {type(start).__name__}"
        )

    def _describe(self) -> str:
        if self._problems:
            return f"invalid payroll period timetable: {'; '.join(self._problems)}"
        kind, zone, delay = self._period_type, self._zone, self._delay
        assert kind is not None and zone is not None and delay is not None
        text = (
            f"One run per {_ADJECTIVES[kind]} Nmbrs payroll period ({_EXPLANATIONS[kind]}). "
            f"The data interval is the period's days in {zone.name}, from 00:00 on its first "
            f"day to 00:00 after its last day; the run starts {self._delay_phrase()}"
        )
        if delay:
            text += " to let late time entries in"
        text += "."
        if self._start is not None:
            first = PayrollPeriod.containing(self._start, kind)
            text += f" The first period is {first} ({first.start.isoformat()})."
        return text

    def _delay_phrase(self) -> str:
        if self._delay is None:
            return "after it ends"
        if not self._delay:
            return "as soon as it ends"
        return f"{_describe_delay(self._delay)} after it ends"

    # ----------------------------------------------------------------------- public API
    @property
    def period_type(self) -> PeriodType:
        return self._valid()[0]

    @property
    def timezone(self) -> Timezone:
        return self._valid()[1]

    @property
    def delay(self) -> dt.timedelta:
        return self._valid()[2]

    @property
    def start(self) -> dt.date | None:
        """The day whose period is the first to schedule (``None``: no own start)."""
        return self._start

    @property
    def summary(self) -> str:
        kind = _ADJECTIVES.get(self._period_type) if self._period_type else None
        if kind is None:
            return f"payroll period {self._raw[0]!r} (invalid)"
        return f"{kind} payroll period, {self._delay_phrase()}"

    def validate(self) -> None:
        """Raise :class:`~airflow.exceptions.AirflowTimetableInvalid` listing every problem."""
        if self._problems:
            raise AirflowTimetableInvalid(
                f"invalid PayrollPeriodTimetable: {'; '.join(self._problems)}"
            )

    def interval_of(self, period: PayrollPeriod | str) -> DataInterval:
        """The data interval of ``period`` (which must be of this timetable's type)."""
        kind, zone, _ = self._valid()
        period = PayrollPeriod.parse(period)
        if period.type is not kind:
            raise PeriodError(f"{period} is not a {kind} period")
        return interval(period, zone)

    def period_of(
        self,
        data_interval_start: dt.datetime | str,
        data_interval_end: dt.datetime | str | None = None,
    ) -> PayrollPeriod:
        """The period of a run of this timetable (strict :func:`period_of_interval`)."""
        kind, zone, _ = self._valid()
        return period_of_interval(
            data_interval_start, kind, zone, data_interval_end=data_interval_end
        )

    def run_info(self, period: PayrollPeriod | str) -> DagRunInfo:
        """The run this timetable schedules for ``period``."""
        period = PayrollPeriod.parse(period)
        interval = self.interval_of(period)
        return DagRunInfo(run_after=self._run_after(period), data_interval=interval)

    # ------------------------------------------------------------------ Timetable protocol
    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """The latest period that has ended at ``run_after`` (the period a manual run closes).

        A period has ended once its interval end (00:00 local after its last day) is at or
        before ``run_after``; ``delay`` plays no part. ``airflow dags test DAG 2026-03-15`` thus
        runs the February period (monthly), and a run triggered on 2026-03-01 at 10:00 too.
        """
        kind, zone, _ = self._valid()
        return interval(self._latest_ended(run_after, kind, zone), zone)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        kind, zone, _ = self._valid()
        candidate: PayrollPeriod | None = None
        if last_automated_data_interval is not None:
            last_start = local_date(last_automated_data_interval.start, zone)
            candidate = PayrollPeriod.containing(last_start, kind).next()

        floors: list[PayrollPeriod] = []
        if self._start is not None:
            floors.append(PayrollPeriod.containing(self._start, kind))
        if restriction.earliest is not None:
            floors.append(self._first_starting_on_or_after(local_date(restriction.earliest, zone)))
        if not restriction.catchup:
            floors.append(self._latest_due(_utcnow()))
        if floors:
            floor = max(floors)
            candidate = floor if candidate is None else max(candidate, floor)
        if candidate is None:  # catchup, no start and no earlier run: nothing to anchor on
            return None
        if restriction.latest is not None and candidate.start > local_date(
            restriction.latest, zone
        ):
            return None
        return self.run_info(candidate)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> PayrollPeriodTimetable:
        start = data.get("start")
        return cls(
            data["period_type"],
            timezone=data["timezone"],
            delay=dt.timedelta(seconds=data["delay"]),
            start=dt.date.fromisoformat(start) if start else None,
        )

    def serialize(self) -> dict[str, Any]:
        kind, zone, delay = self._valid()
        return {
            "period_type": kind.value,
            "timezone": zone.name,
            "delay": delay.total_seconds(),
            "start": self._start.isoformat() if self._start else None,
        }

    # ----------------------------------------------------------------------- internals
    def _valid(self) -> tuple[PeriodType, Timezone, dt.timedelta]:
        self.validate()
        assert self._period_type and self._zone and self._delay is not None
        return self._period_type, self._zone, self._delay

    @staticmethod
    def _latest_ended(moment: dt.datetime, kind: PeriodType, zone: Timezone) -> PayrollPeriod:
        # The period containing the local day of ``moment`` ends after it (at a midnight later
        # than ``moment``); the one before it ends at its start, at or before ``moment``.
        return PayrollPeriod.containing(local_date(moment, zone), kind).previous()

    def _first_starting_on_or_after(self, day: dt.date) -> PayrollPeriod:
        period = PayrollPeriod.containing(day, self.period_type)
        return period if period.start >= day else period.next()

    def _run_after(self, period: PayrollPeriod) -> DateTime:
        zone, delay = self.timezone, self.delay
        end = local_midnight(period.end + dt.timedelta(days=1), zone)
        # Whole days of the delay are calendar days in the zone, the rest elapsed time.
        run_after = end.add(days=delay.days, seconds=delay.seconds, microseconds=delay.microseconds)
        return run_after.in_timezone("UTC")

    def _latest_due(self, now: DateTime) -> PayrollPeriod:
        """The latest period whose ``run_after`` is at or before ``now``."""
        kind, zone, delay = self._valid()
        period = self._latest_ended(aware(now, what="now", naive_is_utc=True) - delay, kind, zone)
        # Calendar-day delays differ from elapsed time by at most a DST hour: settle exactly.
        while self._run_after(period) > now:
            period = period.previous()
        while self._run_after(period.next()) <= now:
            period = period.next()
        return period

    def _key(self) -> tuple[Any, ...]:
        if self._problems:
            return ("invalid", *map(repr, self._raw))
        return (
            self._period_type,
            self._zone.name if self._zone else None,
            self._delay,
            self._start,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PayrollPeriodTimetable):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._key()))

    def __repr__(self) -> str:
        period_type, timezone, delay, start = self._raw
        if not self._problems:
            period_type, timezone, delay = str(self._period_type), self._zone.name, self._delay
            start = self._start
        return (
            f"{type(self).__name__}({period_type!r}, timezone={timezone!r}, delay={delay!r}, "
            f"start={start!r})"
        )
