"""`helpdesk sla calendar ...`: business calendars (opening hours, time zone, holidays).

Reading needs an agent of the desk; changing needs `config.manage` (admins) and is
audited. A change gives the open tickets counting on the calendar new due times; the
commands say how many.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from helpdesk_tui.cli.common import echo, print_json, print_records, state, stdout
from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import sla_calendars
from helpdesk_tui.services.holiday_files import parse_holiday_file
from helpdesk_tui.services.sla_calendars import CalendarChange, CalendarView
from helpdesk_tui.text import plain, sanitize

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
NameArg = Annotated[str, typer.Argument(help="calendar name, e.g. business")]
ZoneOpt = Annotated[
    str | None, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Berlin")
]
DaysOpt = Annotated[
    str | None, typer.Option("--weekdays", help="working days: mon-fri, mon,wed,fri or 0-6")
]
OpensOpt = Annotated[str | None, typer.Option("--opens", help="opening time, e.g. 08:00")]
ClosesOpt = Annotated[
    str | None, typer.Option("--closes", help="closing time, e.g. 18:00 (24:00 = midnight)")
]
DatesArg = Annotated[list[str], typer.Argument(help="dates like 2026-12-25")]

app = typer.Typer(
    help="Business calendars of the SLA clocks: hours, time zone, holidays.",
    no_args_is_help=True,
)
holiday_app = typer.Typer(
    help="A calendar's holidays (no clock runs on them).", no_args_is_help=True
)
app.add_typer(holiday_app, name="holiday")


def _summary(view: CalendarView) -> str:
    return f"{view.days} {view.hours} {view.timezone}, {len(view.holidays)} holidays"


def _report(change: CalendarChange, what: str, as_json: bool) -> None:
    """The outcome of a change: the calendar, and the open tickets it moved."""
    if as_json:
        data = change.calendar.to_dict() | {
            "recomputed_open": change.recomputed,
            "changed_dates": [d.isoformat() for d in change.dates],
        }
        print_json(data)
        return
    view = change.calendar
    echo(f"calendar {sanitize(view.name)!r}: {what}; now {_summary(view)}")
    if change.recomputed:
        plural = "s" if change.recomputed != 1 else ""
        echo(f"{change.recomputed} open ticket{plural} got new SLA due times")


@app.command("list")
def calendar_list(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """Every calendar with its hours, holidays and the policies counting on it."""
    views = state(ctx).read(lambda session, actor: sla_calendars.list_calendars(session, actor))
    if as_json or fmt == "json":
        print_json([v.to_dict() for v in views])
        return
    rows = [
        {
            "calendar": v.name,
            "timezone": v.timezone,
            "days": v.days,
            "hours": v.hours,
            "holidays": len(v.holidays),
            "used_by": len(v.priorities) + len(v.groups),
        }
        for v in views
    ]
    print_records(rows, ["calendar", "timezone", "days", "hours", "holidays", "used_by"], fmt)


@app.command("show")
def calendar_show(ctx: typer.Context, name: NameArg, as_json: JsonOpt = False) -> None:
    """One calendar with all its holidays."""
    view = state(ctx).read(lambda session, actor: sla_calendars.get_calendar(session, actor, name))
    if as_json:
        print_json(view.to_dict())
        return
    console = stdout()
    console.print(plain(f"calendar {view.name}: {view.days} {view.hours} {view.timezone}"))
    used = [f"SLA {', '.join(view.priorities)}"] if view.priorities else []
    used += [f"OLA {', '.join(view.groups)}"] if view.groups else []
    console.print(plain(f"used by: {'; '.join(used) if used else 'nothing'}", one_line=True))
    if not view.holidays:
        console.print("holidays: none")
        return
    console.print(f"holidays ({len(view.holidays)}):")
    for year in sorted({d.year for d in view.holidays}):
        days = [d.strftime("%m-%d %a") for d in view.holidays if d.year == year]
        console.print(f"  {year}: {', '.join(days)}")


@app.command("add")
def calendar_add(
    ctx: typer.Context,
    name: NameArg,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Berlin")],
    weekdays: Annotated[str, typer.Option("--weekdays", help="working days")] = "mon-fri",
    opens: Annotated[str, typer.Option("--opens", help="opening time")] = "08:00",
    closes: Annotated[
        str, typer.Option("--closes", help="closing time (24:00 = midnight)")
    ] = "18:00",
    as_json: JsonOpt = False,
) -> None:
    """Add a calendar (permission config.manage); `sla policy set --calendar` uses it."""
    view = state(ctx).write(
        lambda session, actor: sla_calendars.add_calendar(
            session, actor, name, timezone=timezone, weekdays=weekdays, opens=opens, closes=closes
        )
    )
    if as_json:
        print_json(view.to_dict())
        return
    echo(f"calendar {sanitize(view.name)!r} added: {_summary(view)}")


@app.command("set")
def calendar_set(
    ctx: typer.Context,
    name: NameArg,
    timezone: ZoneOpt = None,
    weekdays: DaysOpt = None,
    opens: OpensOpt = None,
    closes: ClosesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a calendar's time zone, working days or hours (permission config.manage)."""
    change = state(ctx).write(
        lambda session, actor: sla_calendars.set_calendar(
            session, actor, name, timezone=timezone, weekdays=weekdays, opens=opens, closes=closes
        )
    )
    _report(change, "changed", as_json)


@holiday_app.command("add")
def holiday_add(
    ctx: typer.Context, name: NameArg, dates: DatesArg, as_json: JsonOpt = False
) -> None:
    """Add holidays (permission config.manage); dates already there are left alone."""
    change = state(ctx).write(
        lambda session, actor: sla_calendars.add_holidays(session, actor, name, dates)
    )
    _report(change, f"{len(change.dates)} holidays added", as_json)


@holiday_app.command("remove")
def holiday_remove(
    ctx: typer.Context, name: NameArg, dates: DatesArg, as_json: JsonOpt = False
) -> None:
    """Remove holidays (permission config.manage); each date must be one of them."""
    change = state(ctx).write(
        lambda session, actor: sla_calendars.remove_holidays(session, actor, name, dates)
    )
    _report(change, f"{len(change.dates)} holidays removed", as_json)


@holiday_app.command("import")
def holiday_import(
    ctx: typer.Context,
    name: NameArg,
    file: Annotated[Path, typer.Argument(help="an iCalendar file (.ics), or one date per line")],
    replace: Annotated[
        bool, typer.Option("--replace", help="the file's dates become the only holidays")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a holiday list: an .ics feed, or CSV/text with a date per line (config.manage)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{file}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    dates = parse_holiday_file(text, str(file))
    change = state(ctx).write(
        lambda session, actor: sla_calendars.import_holidays(
            session, actor, name, dates, replace=replace, source=file.name
        )
    )
    what = f"{len(dates)} dates read, {len(change.dates)} new"
    _report(change, what + (", replacing the old list" if replace else ""), as_json)
