"""Jinja2 templates of the Nmbrs page (autoescaped: names and notes come from users)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{% block title %}Nmbrs payroll{% endblock %}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 1.2rem; color: #1f2933; font-size: 14px; }
 h1 { font-size: 1.35rem; margin: 0 0 .6rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
 nav a { margin-right: 1rem; } nav { margin-bottom: 1rem; }
 table { border-collapse: collapse; margin: .4rem 0 1rem; }
 th, td { border-bottom: 1px solid #d9e2ec; padding: .3rem .6rem; text-align: left;
          vertical-align: top; }
 th { background: #f0f4f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
 td .bad { display: inline-block; max-width: 22rem; font-weight: 500; }
 .ok { color: #1b7a3a; } .bad { color: #b42318; font-weight: 600; } .muted { color: #627d98; }
 .msg { background: #fff4e5; border-left: 4px solid #f59e0b; padding: .4rem .6rem; }
 .status-succeeded { color: #1b7a3a; } .status-failed { color: #b42318; }
 .status-dry_run { color: #7c3aed; } .status-running { color: #b45309; }
 button { cursor: pointer; }
</style></head>
<body>
<nav><a href="{{ base }}/">Linked companies</a>
{% if company_id is defined %}<a href="{{ base }}/history?company={{ company_id }}">History
 of {{ company_id }}</a>{% endif %}</nav>
{% block body %}{% endblock %}
</body></html>
"""

_PAGER = """{% macro pager(page, url) -%}
{% if page.total > page.limit %}<p class="pager">
{% if page.previous is not none %}<a href="{{ url }}{{ page.previous }}">&larr; previous</a>
{% endif %} rows {{ page.offset + 1 }}&ndash;{{ [page.offset + page.limit, page.total]|min }}
 of {{ page.total }}
{% if page.next is not none %}<a href="{{ url }}{{ page.next }}">next &rarr;</a>{% endif %}
</p>{% endif %}
{%- endmacro %}"""

_COMPANIES = """{% extends "base" %}
{% block body %}
<h1>Linked companies</h1>
{% if problem %}<p class="msg">{{ problem }}</p>{% endif %}
<table id="companies">
<tr><th>Company</th><th>Nmbrs name</th><th>Connection</th><th>API</th><th>API user</th>
<th>Period type</th>
<th>Current period (Nmbrs)</th><th>DAG</th><th>Last run</th><th>Status</th><th>When</th>
<th>Hours read</th><th>Sent</th><th>Excluded</th><th></th></tr>
{% for c in companies %}<tr>
<td>{{ c.company_id }}</td>
<td>{{ c.name or "" }}</td>
<td>{{ c.conn_id }}</td>
<td class="api">{{ (c.api or "")|upper }}</td>
<td>{{ c.login or "" }}</td>
<td>{{ c.period_type }}</td>
<td>{% if c.current_period %}{{ c.current_period }}{% else %}<span class="bad">{{ c.live_error
 }}</span>{% endif %}</td>
<td>{{ c.dag_id }}</td>
{% set r = c.last_run %}{% if r %}
<td>{{ r.period }}</td><td class="status-{{ r.status }}">{{ r.status }}{% if r.dry_run %}
 (dry run){% endif %}</td><td>{{ r.started_at|when }}</td>
<td class="num">{{ r.hours_read|hours }}</td><td class="num">{{ r.hours_sent|hours }}</td>
<td class="num">{{ r.hours_excluded|hours }}</td>
{% else %}<td colspan="6" class="muted">no run yet</td>{% endif %}
<td><a href="{{ base }}/history?company={{ c.company_id }}">history</a></td>
</tr>{% endfor %}
</table>
<h2>Check a connection</h2>
<p>Runs the permission report of <code>python -m nmbrs_provider check</code> against Nmbrs
(the probes write nothing).</p>
{% for conn_id in conn_ids %}<form method="post" action="{{ base }}/check/{{ conn_id|urlencode }}"
 style="display:inline-block;margin-right:.6rem"><button type="submit">Check {{ conn_id
 }}</button></form>{% endfor %}
{% endblock %}"""

_HISTORY = """{% extends "base" %}{% from "pager" import pager %}
{% block body %}
<h1>History of company {{ company_id }}</h1>
<p class="muted">Runs under this id and under every other id of the same Nmbrs company number
(a company moved from SOAP to REST keeps its history).</p>
<form method="get"><input type="hidden" name="company" value="{{ company_id }}">
<label>Period <input name="period" value="{{ period or '' }}" placeholder="2026-11-M"></label>
<button type="submit">Show</button></form>
{% if not page.rows %}<p class="muted">No runs recorded{% if period %} for {{ period }}{% endif
 %}.</p>{% else %}
<table id="history">
<tr><th>Period</th><th>Attempt</th><th>Status</th><th>Dry run</th><th>Started</th>
<th>Company id</th><th>API</th><th>Airflow run</th><th>Hours read</th><th>Sent</th>
<th>Planned</th><th>Excluded</th>
<th>Balance</th><th></th></tr>
{% for r in page.rows %}<tr>
<td>{{ r.period }}</td><td class="num">{{ r.attempt }}</td>
<td class="status-{{ r.status }}">{{ r.status }}</td><td>{{ "yes" if r.dry_run else "no" }}</td>
<td>{{ r.started_at|when }}</td>
<td class="company">{{ r.company_id }}</td><td class="api">{{ (r.nmbrs_api or "")|upper }}</td>
<td>{% if r.airflow_run_id and r.dag_id %}<a target="_top" href="{{ ui_root }}/dags/{{
 r.dag_id|urlencode }}/runs/{{ r.airflow_run_id|urlencode }}">{{ r.airflow_run_id }}</a>{% else
 %}{{ r.airflow_run_id or "" }}{% endif %}</td>
<td class="num">{{ r.hours_read|hours }}</td><td class="num">{{ r.hours_sent|hours }}</td>
<td class="num">{{ r.hours_planned|hours }}</td><td class="num">{{ r.hours_excluded|hours }}</td>
<td>{{ r.balanced|balance(r.difference) }}</td>
<td><a href="{{ base }}/run?id={{ r.run_id|urlencode }}">open</a></td>
</tr>{% endfor %}
</table>{{ pager(page, base ~ "/history?company=" ~ company_id ~ "&period="
 ~ (period or "")|urlencode ~ "&offset=") }}{% endif %}
{% endblock %}"""

_RUN = """{% extends "base" %}{% from "pager" import pager %}
{% block body %}
<h1>Run {{ run.run_id }}</h1>
<table id="run">
<tr><th>Company</th><td>{{ run.company_id if run.company_id is not none else "none (unrouted)"
 }}</td></tr>
<tr><th>Nmbrs API / company number</th><td>{{ (run.nmbrs_api or "unknown")|upper }} / {{
 run.company_number if run.company_number is not none else "unknown" }}</td></tr>
<tr><th>Period</th><td>{{ run.period }}</td></tr>
<tr><th>Attempt</th><td>{{ run.attempt }}</td></tr>
<tr><th>Status</th><td class="status-{{ run.status }}">{{ run.status }}</td></tr>
<tr><th>Dry run</th><td>{{ "yes" if run.dry_run else "no" }}</td></tr>
<tr><th>Started / finished</th><td>{{ run.started_at|when }} / {{ run.finished_at|when }}</td></tr>
<tr><th>Airflow run</th><td>{% if run.airflow_run_id and run.dag_id %}<a target="_top"
 href="{{ ui_root }}/dags/{{ run.dag_id|urlencode }}/runs/{{ run.airflow_run_id|urlencode }}">{{
 run.dag_id }} / {{ run.airflow_run_id }}</a>{% endif %}</td></tr>
<tr><th>Hours read / sent / planned / excluded</th><td>{{ run.hours_read|hours }} / {{
 run.hours_sent|hours }} / {{ run.hours_planned|hours }} / {{ run.hours_excluded|hours }}</td></tr>
<tr><th>Balance</th><td>{{ run.balanced|balance(run.difference) }}</td></tr>
<tr><th>Employees written / unchanged</th><td>{{ run.employees_written if
 run.employees_written is not none else "" }} / {{ run.employees_unchanged if
 run.employees_unchanged is not none else "" }}</td></tr>
{% if run.message %}<tr><th>Message</th><td>{{ run.message }}</td></tr>{% endif %}
</table>

<h2>Excluded hours by reason</h2>
{% if not exclusions %}<p class="muted">Nothing excluded.</p>{% endif %}
{% for g in exclusions %}<section class="reason" data-reason="{{ g.reason }}">
<h3>{{ g.reason }}: {{ g.hours|hours }} hours, {{ g.people }} {{ "person" if g.people == 1
 else "people" }}</h3>
<table><tr><th>User code</th><th>User id</th><th>Hours</th><th>Entries</th><th>Dates</th>
<th>Detail</th></tr>
{% for e in g.employees %}<tr><td>{{ e.user_code }}</td><td>{{ e.user_id if e.user_id is not
 none else "" }}</td><td class="num">{{ e.hours|hours }}</td><td class="num">{{ e.entries }}</td>
<td>{{ e.first_date or "" }}{% if e.last_date and e.last_date != e.first_date %} &ndash; {{
 e.last_date }}{% endif %}</td><td>{{ e.detail or "" }}</td></tr>{% endfor %}
</table></section>{% endfor %}

{% if run.dry_run %}<h2>Dry-run diff (what the run would have changed)</h2>
<table id="plan"><tr><th>Employee</th><th>Number</th><th>Hour code</th><th>In Nmbrs</th>
<th>Desired</th><th>Action</th></tr>
{% for p in plan.rows %}<tr><td>{{ p.employee_id }}</td><td>{{ p.employee_number or "" }}</td>
<td>{{ p.hour_code if p.hour_code is not none else "" }}</td>
<td class="num">{{ p.current_hours|hours }}</td><td class="num">{{ p.desired_hours|hours }}</td>
<td>{{ p.action }}</td></tr>{% endfor %}
</table>{{ pager(plan, base ~ "/run?id=" ~ run.run_id|urlencode ~ "&plan_offset=") }}{% endif %}

<h2>Lines sent</h2>
{% if not sent.rows %}<p class="muted">No lines sent.</p>{% else %}
<table id="sent"><tr><th>Employee</th><th>Number</th><th>Hour code</th><th>Hours</th>
<th>Days</th><th>Action</th></tr>
{% for s in sent.rows %}<tr><td>{{ s.employee_id }}</td><td>{{ s.employee_number or "" }}</td>
<td>{{ s.hour_code if s.hour_code is not none else "" }}</td>
<td class="num">{{ s.hours|hours }}</td>
<td class="num">{{ s.days if s.days is not none else "" }}</td><td>{{ s.action }}</td></tr>
{% endfor %}</table>{{ pager(sent, base ~ "/run?id=" ~ run.run_id|urlencode ~ "&sent_offset=") }}
{% endif %}
{% endblock %}"""

_CHECK = """{% extends "base" %}
{% block body %}
<h1>Check of connection {{ conn_id }}</h1>
{% if error %}<p class="bad" id="check-error">{{ error }}</p>{% else %}
{% set noun = "scopes" if rest else "permissions" %}
{% set forbidden = report.get("forbidden_endpoints") or {} %}
<p id="check-summary" class="{{ 'ok' if report.ok else 'bad' }}">{{ "OAuth client" if rest
 else "API user" }} {{ report.username }} ({{ "REST" if rest else "SOAP" }}):
 {{ report.granted|length }} of {{ report.needed_for|length }} {{ noun }} granted.
 {% if report.ok %}All required {{ noun }} are granted.{% endif %}</p>
{% for title, names, id in [("Missing (the sync cannot run without them)", report.missing,
 "missing"), ("Missing, optional (the sync works around them)", report.optional_missing,
 "optional-missing")] %}{% if names %}<h2>{{ title }}</h2><ul id="{{ id }}">
{% for name in names %}<li>{{ name }} &ndash; {{ report.needed_for[name] }}{% if rest
 %}<ul>{% for e in report.endpoints[name] %}<li><code>{{ e }}</code></li>{% endfor
 %}</ul>{% endif %}</li>{% endfor %}
</ul>{% endif %}{% endfor %}
{% if forbidden %}<h2>Endpoints that answered 403</h2><ul id="forbidden">
{% for endpoint, scope in forbidden.items() %}<li><code>{{ endpoint }}</code> (scope {{ scope
 }})</li>{% endfor %}</ul>{% endif %}
{% if report.unchecked %}<h2>Could not be checked (Nmbrs did not answer)</h2><ul>
{% for name, why in report.unchecked.items() %}<li>{{ name }}: {{ why }}</li>{% endfor %}</ul>
{% endif %}
{% if report.missing or report.optional_missing or forbidden %}<p id="check-fix">Fix: {% if rest
 %}add the scopes to the connection's scopes (and the app's registration), then run
 <code>{{ authorize }}</code>.{% else %}in Nmbrs, tick these operations in the API user's
 template.{% endif %}</p>{% endif %}{% endif %}
{% endblock %}"""

_ERROR = """{% extends "base" %}{% block body %}<h1>{{ title }}</h1>
<p class="msg">{{ message }}</p>{% endblock %}"""


def _hours(value: Any) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def _when(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _balance(balanced: bool | None, difference: Any) -> str:
    if balanced is None:
        return "unknown (hours read not counted)"
    return "balanced" if balanced else f"off by {_hours(difference)} hours"


ENV = Environment(
    loader=DictLoader(
        {
            "base": _BASE,
            "pager": _PAGER,
            "companies": _COMPANIES,
            "history": _HISTORY,
            "run": _RUN,
            "check": _CHECK,
            "error": _ERROR,
        }
    ),
    autoescape=True,
    undefined=StrictUndefined,
)
ENV.filters.update(hours=_hours, when=_when, balance=_balance)


def render(name: str, **context: Any) -> str:
    """Render template ``name`` (HTML-escaped)."""
    return ENV.get_template(name).render(**context)
