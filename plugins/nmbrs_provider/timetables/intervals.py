"""Payroll periods to and from aware datetimes in a timetable's zone (data intervals)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.timetables.base import DataInterval
from pendulum.tz.exceptions import InvalidTimezone

from nmbrs_provider.core.periods import PayrollPeriod, PeriodError, PeriodType

if TYPE_CHECKING:
    from pendulum import DateTime
    from pendulum.tz.timezone import Timezone

DEFAULT_TIMEZONE = "Europe/Amsterdam"


def timezone_name(value: object) -> str | None:
    """The IANA name of ``value`` (a name, a pendulum zone or a ``zoneinfo.ZoneInfo``)."""
    if isinstance(value, str):
        return value.strip()
    for attribute in ("name", "key"):  # pendulum.Timezone.name, zoneinfo.ZoneInfo.key
        name = getattr(value, attribute, None)
        if isinstance(name, str):
            return name
    return None


def load_timezone(value: object) -> Timezone:
    """A pendulum zone for an IANA name or zone object; :class:`ValueError` when unknown."""
    name = timezone_name(value)
    if not name:
        raise ValueError(
            f"timezone must be an IANA zone name such as {DEFAULT_TIMEZONE!r}, got {value!r}"
        )
    try:
        zone = pendulum.timezone(name)
    except (InvalidTimezone, ValueError) as err:
        raise ValueError(
            f"unknown timezone {name!r}: expected an IANA zone name such as {DEFAULT_TIMEZONE!r}"
        ) from err
    if not isinstance(zone, pendulum.Timezone):  # a fixed offset such as "+01:00"
        raise ValueError(
            f"timezone must be an IANA zone name such as {DEFAULT_TIMEZONE!r} (DST-aware), "
            f"not the fixed offset {name!r}"
        )
    return zone


def aware(moment: dt.datetime | str, *, what: str, naive_is_utc: bool) -> DateTime:
    """``moment`` as an aware pendulum datetime (ISO 8601 text accepted).

    A naive value is UTC when ``naive_is_utc`` (Airflow's own convention), else an error.
    """
    if isinstance(moment, str):
        text = moment.strip()
        try:  # Python 3.10's fromisoformat does not read a trailing "Z"
            moment = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except (ValueError, IndexError):
            raise PeriodError(f"{what} {text!r} is not an ISO 8601 date-time") from None
    if not isinstance(moment, dt.datetime):
        raise PeriodError(f"{what} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        if not naive_is_utc:
            raise PeriodError(
                f"{what} {moment.isoformat()} has no timezone: pass an aware datetime "
                "(Airflow's data_interval_start is one)"
            )
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return pendulum.instance(moment)


def local_midnight(day: dt.date, zone: Timezone) -> DateTime:
    """00:00 local on ``day`` in ``zone`` (the first existing instant of that day)."""
    return pendulum.datetime(day.year, day.month, day.day, tz=zone)


def boundary(day: dt.date, zone: Timezone) -> DateTime:
    """00:00 local on ``day`` in ``zone``, in UTC."""
    return local_midnight(day, zone).in_timezone("UTC")


def interval(period: PayrollPeriod, zone: Timezone) -> DataInterval:
    return DataInterval(
        start=boundary(period.start, zone),
        end=boundary(period.end + dt.timedelta(days=1), zone),
    )


def local_date(moment: dt.datetime, zone: Timezone) -> dt.date:
    return aware(moment, what="time", naive_is_utc=True).in_timezone(zone).date()


def period_data_interval(
    period: PayrollPeriod | str, timezone: str | Any = DEFAULT_TIMEZONE
) -> DataInterval:
    """The data interval (UTC instants) of ``period``: its days from 00:00 local to 00:00 local.

    ``period`` may be Nmbrs text such as ``"2026-11-M"``. The inverse of :func:`period_of_interval`.
    """
    return interval(PayrollPeriod.parse(period), load_timezone(timezone))


def period_of_interval(
    data_interval_start: dt.datetime | str,
    period_type: PeriodType | str,
    timezone: str | Any = DEFAULT_TIMEZONE,
    *,
    data_interval_end: dt.datetime | str | None = None,
    strict: bool = True,
) -> PayrollPeriod:
    """The payroll period whose data interval starts at ``data_interval_start``.

    ``data_interval_start`` is an aware datetime in any zone (Airflow passes UTC) or ISO 8601
    text with an offset, e.g. the rendered ``{{ data_interval_start }}``. It is read as a
    calendar day in ``timezone``, so the answer is exact across DST changes and year ends.

    With ``strict`` (the default) the start must be exactly 00:00 local on the first day of a
    period of ``period_type``, and ``data_interval_end``, when given, exactly 00:00 local after
    its last day; anything else raises :class:`~nmbrs_provider.core.periods.PeriodError`, so a run
    whose interval is not a payroll period is never mistaken for one. ``strict=False`` returns the
    period containing the start's local day instead.
    """
    kind = PeriodType.parse(period_type)
    try:
        zone = load_timezone(timezone)
    except ValueError as err:
        raise PeriodError(str(err)) from err
    start = aware(data_interval_start, what="data_interval_start", naive_is_utc=False)
    period = PayrollPeriod.containing(start.in_timezone(zone).date(), kind)
    if not strict:
        return period
    expected = interval(period, zone)
    if start != expected.start:
        raise PeriodError(
            f"data interval start {start.isoformat()} is not the start of a {kind} payroll period "
            f"in {zone.name}: {period} starts at {expected.start.isoformat()} "
            f"({period.start.isoformat()} 00:00 local)"
        )
    if data_interval_end is not None:
        end = aware(data_interval_end, what="data_interval_end", naive_is_utc=False)
        if end != expected.end:
            raise PeriodError(
                f"data interval {start.isoformat()} .. {end.isoformat()} is not payroll period "
                f"{period}, which ends at {expected.end.isoformat()} "
                f"({(period.end + dt.timedelta(days=1)).isoformat()} 00:00 local)"
            )
    return period
