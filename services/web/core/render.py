"""Templates: one Jinja2 environment for every page, with Dutch filters for times,
distances and codes. A page's `live` block doubles as the fragment live updates fetch."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.web.core import messages, records
from services.web.core.session import CSRF_FIELD
from shared import care_rules
from shared import phone as phones
from shared.contracts.capacity import AvailabilityItem, CapacityStateOut, source_words

FRAGMENT_HEADER = "x-zorgplek-fragment"
RELATIVE_DAYS = {0: "vandaag", 1: "morgen", -1: "gisteren"}


@cache
def local_zone() -> tzinfo:
    """Dutch time; UTC where the machine has no time-zone data."""
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:
        return UTC


def as_datetime(value: Any) -> datetime | None:
    """An API timestamp (RFC 3339 text) or a datetime, as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ago(value: Any, now: datetime | None = None) -> str:
    """'3 min geleden', '2 uur geleden', '4 dagen geleden'."""
    moment = as_datetime(value)
    if moment is None:
        return "onbekend"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "zojuist"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min geleden"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} uur geleden"
    return f"{hours // 24} dagen geleden"


def clock(value: Any) -> str:
    """'14:05' in Dutch time, for a moment known to be today."""
    moment = as_datetime(value)
    return moment.astimezone(local_zone()).strftime("%H:%M") if moment else ""


def when(value: Any, now: datetime | None = None) -> str:
    """A moment as a Dutch person reads it — '14:05' today, 'morgen 02:05', else
    'ma 7 dec 00:00' — by the kernel's one rule; the live script's `when` says the same."""
    moment = as_datetime(value)
    return care_rules.when(moment, now or datetime.now(UTC)) if moment else ""


def day(value: Any, now: datetime | None = None) -> str:
    """A calendar date (a planned admission): 'vandaag', 'morgen', 'gisteren', else
    'ma 7 dec' (with the year when it is another)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            return ""
    today = (now or datetime.now(UTC)).astimezone(local_zone()).date()
    offset = (value - today).days
    if offset in RELATIVE_DAYS:
        return RELATIVE_DAYS[offset]
    text = (
        f"{care_rules.WEEKDAYS[value.weekday()]} {value.day} {care_rules.MONTHS[value.month - 1]}"
    )
    return text if value.year == today.year else f"{text} {value.year}"


def time_tag(value: Any) -> Markup:
    """`<time datetime=… data-when>morgen 02:05</time>`: the live script keeps the day right
    when the page stays open past midnight."""
    moment = as_datetime(value)
    if moment is None:
        return Markup("")
    return Markup('<time datetime="{}" data-when>{}</time>').format(
        moment.isoformat(), when(moment)
    )


def phone(value: Any) -> str:
    """A stored number (E.164) as people write it: '023 531 2000', '06 1234 5678'."""
    if not value:
        return ""
    try:
        return phones.display(str(value))
    except phonenumbers.NumberParseException:
        return str(value)


def tel(value: Any) -> str:
    """The `tel:` link of a stored number."""
    return f"tel:{value}" if value else ""


def km(value: Any) -> str:
    """'3,2 km'."""
    if value is None:
        return "–"
    return f"{float(value):.1f} km".replace(".", ",")


def reported(item: AvailabilityItem | CapacityStateOut) -> str:
    """How and when numbers were reported: 'handmatig, 3 uur geleden', 'via koppeling,
    4 min geleden'; only the age when the source is not known."""
    words = source_words(item.source)
    age = ago(item.observed_at)
    return f"{words}, {age}" if words else age


def iso(value: Any) -> str:
    moment = as_datetime(value)
    return moment.isoformat() if moment else ""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ago=ago,
        clock=clock,
        when=when,
        day=day,
        time_tag=time_tag,
        km=km,
        phone=phone,
        tel=tel,
        iso=iso,
        reported=reported,
        place_type=messages.place_type_name,
        feature=messages.feature_name,
        region=messages.region_name,
        referral_status=lambda code: messages.REFERRAL_STATUS.get(code, code),
        reservation_status=lambda code: messages.RESERVATION_STATUS.get(code, code),
        urgency=lambda code: messages.URGENCY.get(code, code),
        sex=lambda code: messages.SEX.get(code, code),
        admission=lambda code: messages.ADMISSION_HOURS.get(code, code),
        decline_reason=lambda code: messages.DECLINE_REASONS.get(code, code),
        cancel_reason=lambda code: messages.CANCEL_REASONS.get(code, code),
        record_words=records.record_words,
        percent=records.percent,
    )
    env.globals.update(csrf_field=CSRF_FIELD, action_label=messages.action_label)
    return env


def wants_fragment(request: Request) -> bool:
    """Whether the live-update script asked for the page's `live` block only."""
    return request.headers.get(FRAGMENT_HEADER) == "1"


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The page `name`, or only its `live` block when the live-update script asks."""
    template = environment().get_template(name)
    values = {**request.state.page_context, **context, "request_path": request.url.path}
    if wants_fragment(request) and "live" in template.blocks:
        body = "".join(template.blocks["live"](template.new_context(values)))
    else:
        body = template.render(values)
    return HTMLResponse(body, status_code=status_code)
