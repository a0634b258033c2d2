"""What a person reads on the pages: times carry their day, planned dates are Dutch, a
warning looks like a warning, and the timeline reads as a sentence."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from services.web.core.render import local_zone, when
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report
from tests.triage.helpers import actors, claim, reserve, submit
from tests.web.conftest import SessionCookie, sign_in

KENNEMERLAND = "ZK-KENNEMERLAND"


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


async def test_a_warning_is_amber_and_good_news_green(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    sign_in(web, session_cookie("referrer"))
    taken = await web.get("/plekken?melding=plek-bezet")
    assert '<p class="warning" role="status">Deze plek is net niet meer vrij.' in taken.text
    assert 'class="notice"' not in taken.text
    saved = await web.get("/plekken?melding=opgeslagen")
    assert '<p class="notice" role="status">Opgeslagen.</p>' in saved.text


async def test_a_planned_referral_shows_its_day_in_dutch_in_the_queue_and_on_its_page(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people = await actors(client, auth)
    today = datetime.now(UTC).astimezone(local_zone()).date()
    tomorrow, next_week = today + timedelta(days=1), today + timedelta(days=6)
    soon = await submit(
        client, people.referrer, urgency="planned", planned_date=tomorrow.isoformat()
    )
    later = await submit(
        client, people.referrer, urgency="planned", planned_date=next_week.isoformat()
    )
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND]))
    queue = _main((await web.get("/wachtrij")).text)
    assert ">morgen 00:00</time>" in queue
    assert f">{when(later['due_at'])}</time>" in queue
    assert re.search(r">(ma|di|wo|do|vr|za|zo) \d{1,2} [a-z]{3} 00:00</time>", queue)
    page = _main((await web.get(f"/wachtrij/{soon['id']}")).text)
    assert "Gepland (op datum) – morgen" in page
    assert tomorrow.isoformat() not in page.replace(soon["due_at"], "")  # never ISO to read
    assert not re.search(r">\s*\d{4}-\d{2}-\d{2}", page)


async def test_the_timeline_says_who_claimed_it_once(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    triagist = auth("triagist", regions=[KENNEMERLAND], sub="bakker")
    await claim(client, referral["id"], triagist)
    sign_in(
        web,
        session_cookie("triagist", regions=[KENNEMERLAND], sub="bakker", name="M. Bakker"),
    )
    page = (await web.get(f"/wachtrij/{referral['id']}")).text
    timeline = page.split('<ol class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert re.search(r"opgepakt\s+<span class=\"muted\">door Test triagist</span>", timeline)
    assert "door triagist" not in timeline


async def test_the_referrals_own_deadline_stays_in_view_while_a_place_is_reserved(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], place_types=["ELV_HOOG"])
    await report(client, auth, facility, "ELV_HOOG", staffed=6, occupied=3, available=2)
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    held = await reserve(client, referral["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    page = _main((await web.get(f"/wachtrij/{referral['id']}")).text)
    assert 'data-status="reserved"' in page
    deadline = page.split("data-deadline>", 1)[1].split("</p>", 1)[0]
    assert f'data-countdown="{datetime.fromisoformat(referral["due_at"]).isoformat()}"' in deadline
    assert "Uiterlijk geplaatst" in deadline
    # ... and the hold's own countdown beside it.
    assert page.count("data-countdown=") == 2
