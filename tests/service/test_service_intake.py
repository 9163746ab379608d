"""Call intake (issue 7): texts and calls become triaged, queued calls; malformed, abusive,
repeated and rate-limited submissions get a clear 4xx and are kept; nothing is lost across a
restart. Runs on SQLite and PostgreSQL (conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from safer77.config import Settings
from safer77.dispatch.policy import load_policy, triage
from safer77.errors import NotFound
from safer77.service import audit
from safer77.service.app import create_app
from safer77.service.db import make_engine
from safer77.service.intake import classify, is_abusive
from safer77.service.models import IntakeCall, IntakeReject
from service.support import World

DEFAULT = Path(__file__).resolve().parents[2] / "src/safer77/data/policies/default.toml"


@pytest.fixture
def always_on(tmp_path: Path) -> Path:
    """The built-in policy with the crisis team on duty around the clock (tests must not
    depend on the hour they run at)."""
    text = DEFAULT.read_text()
    text = text.replace('"thu", "fri"]', '"thu", "fri", "sat", "sun"]')
    text = text.replace("hours = [8, 20]", "hours = [0, 24]")
    path = tmp_path / "always-on.toml"
    path.write_text(text)
    return path


@contextmanager
def service(engine: Engine, settings: Settings, **over: Any) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=over), engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def api(engine: Engine, settings: Settings, always_on: Path) -> Iterator[TestClient]:
    with service(engine, settings, triage_policy=str(always_on), intake_rate=3) as c:
        yield c


def text(sender: str = "gw-000001", **body: Any) -> dict[str, Any]:
    return {"sender": sender, "station": "Jackson", "route": "Red", **body}


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as con:
        calls = con.scalar(select(func.count()).select_from(IntakeCall))
        rejects = con.scalar(select(func.count()).select_from(IntakeReject))
    return int(calls or 0), int(rejects or 0)


# --- the keyword table and the policy, without the service --------------------------------

EXAMPLES = [
    # text, call type, flags, responder with the crisis team on duty
    ("man on the platform hearing voices, scared", "MENTAL HEALTH CASE", (), "crisis"),
    ("my friend says he will kill himself", "SUICIDE THREAT", (), "crisis"),
    ("I want to end my life, I have a knife", "SUICIDE THREAT", ("weapon",), "police"),
    ("guy passed out by the doors", "UNCONSCIOUS PERSON", (), "ems"),
    ("someone is overdosing, need narcan", "OVERDOSE", (), "ems"),
    ("two men fighting, one is bleeding", "ASSAULT IN PROGRESS", ("violence", "injury"), "police"),
    ("Shots fired at the station!!", "SHOTS FIRED", ("weapon",), "police"),
    ("homeless man sleeping across the seats, very cold", "ASSIST CITIZEN", (), "crisis"),
    ("a guy keeps harassing me and following me", "DISORDERLY CONDUCT", (), "police"),
    ("drunk man yelling", "DIP - DRUNK/INTOX PERSON", (), "crisis"),
    ("the train is late again", "TRANSIT TEXT", (), "police"),
    ("I\u2019m hurt, can\u2019t breathe", "TROUBLE BREATHING", ("injury",), "ems"),
]


@pytest.mark.parametrize(("message", "call_type", "flags", "responder"), EXAMPLES)
def test_words_give_the_call_type_and_flags(
    message: str, call_type: str, flags: tuple[str, ...], responder: str, always_on: Path
) -> None:
    got_type, _, got_flags = classify(message)
    assert (got_type, got_flags) == (call_type, flags)
    assert triage(load_policy(always_on), got_type, got_flags, 0).responder == responder


@pytest.mark.parametrize(
    ("message", "abusive"),
    [
        ("fuck you", True),
        ("SHIT train, bitch", True),
        ("some fucking guy has a gun", False),  # an emergency with swearing is still a call
        ("shitty day, man passed out on the floor", False),
        ("where is the 9 bus", False),  # rude or not, no abusive words: a call
    ],
)
def test_abusive_means_abusive_words_and_no_emergency(message: str, abusive: bool) -> None:
    assert is_abusive(message) is abusive


# --- the service ------------------------------------------------------------------------


def test_a_text_becomes_a_triaged_call_in_its_responders_queue(
    api: TestClient, world: World, engine: Engine
) -> None:
    gw = world.headers("intake")
    r = api.post(
        "/intake/text",
        json=text(text="Man on the platform hearing voices", station="Jackson", route="red"),
        headers=gw,
    )
    assert r.status_code == 201, r.text
    call = r.json()
    assert call["channel"] == "text" and call["status"] == "queued" and call["version"] == 1
    assert (call["call_type"], call["flags"], call["priority"]) == ("MENTAL HEALTH CASE", [], 2)
    assert (call["responder"], call["rule"]) == ("crisis", "mental health and welfare")
    assert call["route"] == "Red" and call["station"] == "Jackson" and call["position"] == 1
    assert any("MENTAL HEALTH" in reason for reason in call["reasons"])
    # committed before the answer: another connection sees it
    assert counts(engine) == (1, 0)


def test_queue_order_is_priority_then_arrival_per_responder(api: TestClient, world: World) -> None:
    gw = world.headers("intake")
    sent = {}
    for sender, message in [
        ("gw-a000001", "suspicious unattended bag on the bench"),  # police, priority 2
        ("gw-b000001", "two people fighting near the turnstiles"),  # police, priority 1
        ("gw-c000001", "hearing voices, very upset"),  # crisis, priority 2
        ("gw-d000001", "shots fired outside"),  # police, priority 1
    ]:
        r = api.post("/intake/text", json=text(sender, text=message), headers=gw)
        assert r.status_code == 201, r.text
        sent[message.split()[0]] = r.json()
    # each answer gives the place in the queue at the time
    assert [c["position"] for c in sent.values()] == [1, 1, 1, 2]
    r = api.get("/intake/queue", headers=world.headers("dispatcher"))
    assert r.status_code == 200
    order = [(c["responder"], c["id"], c["position"]) for c in r.json()]
    assert order == [
        ("crisis", sent["hearing"]["id"], 1),
        ("police", sent["two"]["id"], 1),
        ("police", sent["shots"]["id"], 2),
        ("police", sent["suspicious"]["id"], 3),
    ]
    only = api.get("/intake/queue?responder=crisis", headers=world.headers("supervisor")).json()
    assert [c["id"] for c in only] == [sent["hearing"]["id"]]


def test_dispatchers_dispatch_and_close_with_the_version(api: TestClient, world: World) -> None:
    gw, disp = world.headers("intake"), world.headers("dispatcher")
    first = api.post("/intake/text", json=text(text="a fight"), headers=gw).json()
    second = api.post("/intake/text", json=text(text="another fight"), headers=gw).json()
    assert second["position"] == 2
    path = f"/intake/calls/{first['id']}"
    r = api.patch(path, json={"version": 1, "status": "dispatched", "note": "unit 7"}, headers=disp)
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["status"], moved["version"], moved["note"]) == ("dispatched", 2, "unit 7")
    assert moved["handled_by"] == world.users["dispatcher"].id and moved["position"] is None
    # the next call moves up
    assert api.get(f"/intake/calls/{second['id']}", headers=disp).json()["position"] == 1
    stale = api.patch(path, json={"version": 1, "status": "closed"}, headers=disp)
    assert stale.status_code == 409 and "version 2" in stale.json()["error"]
    assert api.patch(path, json={"version": 2, "status": "closed"}, headers=disp).status_code == 200
    back = api.patch(path, json={"version": 3, "status": "dispatched"}, headers=disp)
    assert back.status_code == 409 and "closed cannot become dispatched" in back.json()["error"]
    closed = api.get("/intake/queue?status=closed", headers=disp).json()
    assert [c["id"] for c in closed] == [first["id"]]
    assert api.get("/intake/calls/999", headers=disp).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sender": "gw-000001", "text": "help"}, "give the station or the bus route"),
        (text(route="Red5", text="help"), "not a bus route"),
        (text(route="Mauve", text="help"), "not a bus route"),
        (text(sender="3125550199", text="help"), "never a phone number"),
        (text(sender="+1 312 555", text="help"), "body.sender"),
        (text(station="<script>", text="help"), "body.station"),
        (text(text="x" * 1001), "body.text"),
        (text(text="   "), "body.text"),
        (text(text="help\x00"), "body.text"),
        ({**text(text="help"), "phone": "3125550199"}, "body.phone"),
        ({"station": "Jackson", "text": "help"}, "body.sender"),
    ],
)
def test_malformed_texts_get_a_clear_422_and_are_kept(
    api: TestClient, world: World, engine: Engine, body: dict[str, Any], message: str
) -> None:
    r = api.post("/intake/text", json=body, headers=world.headers("intake"))
    assert r.status_code == 422 and message in r.json()["error"], r.text
    assert counts(engine) == (0, 1)
    (kept,) = api.get("/intake/rejects", headers=world.headers("dispatcher")).json()
    assert (kept["reason"], kept["status"], kept["channel"]) == ("malformed", 422, "text")
    assert kept["detail"] == r.json()["error"]
    assert kept["submitted_by"] == world.users["intake"].id
    assert body["text"][:50].strip("\x00") in kept["payload"]


def test_a_body_that_is_not_json_is_kept_only_from_a_signed_in_gateway(
    api: TestClient, world: World, engine: Engine
) -> None:
    raw = '{"sender": "gw-000001", "text": "help me'
    typed = {"Content-Type": "application/json"}
    r = api.post("/intake/call", content=raw, headers=typed)
    assert r.status_code == 401  # anonymous junk is not stored
    r = api.post("/intake/call", content=raw, headers={**typed, **world.headers("dispatcher")})
    assert r.status_code == 403
    assert counts(engine) == (0, 0)
    r = api.post("/intake/call", content=raw, headers={**typed, **world.headers("intake")})
    assert r.status_code == 422 and "JSON" in r.json()["error"]
    (kept,) = api.get("/intake/rejects", headers=world.headers("supervisor")).json()
    assert (kept["channel"], kept["payload"]) == ("call", raw)
    assert kept["sender"] is None


def test_abusive_texts_are_refused_and_kept(api: TestClient, world: World, engine: Engine) -> None:
    gw = world.headers("intake")
    r = api.post("/intake/text", json=text(text="FUCK this train"), headers=gw)
    assert r.status_code == 422 and "abusive" in r.json()["error"]
    r = api.post("/intake/text", json=text(text="some fucking guy has a gun"), headers=gw)
    assert r.status_code == 201 and r.json()["responder"] == "police"
    assert r.json()["flags"] == ["weapon"] and r.json()["priority"] == 1
    (kept,) = api.get("/intake/rejects?reason=abusive", headers=world.headers("dispatcher")).json()
    assert kept["sender"] == "gw-000001" and "FUCK this train" in kept["payload"]
    assert counts(engine) == (1, 1)


def test_a_repeated_message_names_the_call_it_repeats(
    api: TestClient, world: World, engine: Engine
) -> None:
    gw = world.headers("intake")
    first = api.post("/intake/text", json=text(text="Man  passed out"), headers=gw).json()
    r = api.post("/intake/text", json=text(text="man passed OUT"), headers=gw)
    assert r.status_code == 409 and f"already call {first['id']}" in r.json()["error"]
    (kept,) = api.get("/intake/rejects", headers=world.headers("dispatcher")).json()
    assert (kept["reason"], kept["call_id"], kept["status"]) == ("repeated", first["id"], 409)
    # another sender saying the same is another call
    other = api.post("/intake/text", json=text("gw-000002", text="man passed out"), headers=gw)
    assert other.status_code == 201
    assert counts(engine) == (2, 1)


def test_texts_are_rate_limited_per_sender_token(
    api: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = world.headers("intake")
    for n in range(3):  # intake_rate=3
        r = api.post("/intake/text", json=text(text=f"update {n}: still here"), headers=gw)
        assert r.status_code == 201, r.text
    r = api.post("/intake/text", json=text(text="update 3"), headers=gw)
    assert r.status_code == 429 and "too many messages" in r.json()["error"]
    assert 1 <= int(r.headers["Retry-After"]) <= 601
    assert api.post("/intake/text", json=text("gw-000002", text="a fight"), headers=gw).is_success
    (kept,) = api.get("/intake/rejects", headers=world.headers("dispatcher")).json()
    assert (kept["reason"], kept["status"], kept["sender"]) == ("rate_limited", 429, "gw-000001")
    assert "update 3" in kept["payload"]
    # refused attempts do not extend the window: once it has passed, the sender is heard again
    later = audit.now() + timedelta(seconds=601)
    monkeypatch.setattr(audit, "now", lambda: later)
    assert api.post("/intake/text", json=text(text="update 4"), headers=gw).status_code == 201
    assert counts(engine) == (5, 1)


def test_calls_from_call_takers_are_triaged_by_type_and_flags(
    api: TestClient, world: World
) -> None:
    gw = world.headers("intake")
    base = {"location": "1XX N STATE ST", "district": 1}
    welfare = api.post("/intake/call", json={**base, "call_type": "welfare check"}, headers=gw)
    assert welfare.status_code == 201, welfare.text
    got = welfare.json()
    assert (got["call_type"], got["responder"], got["priority"]) == ("WELFARE CHECK", "crisis", 2)
    assert (got["channel"], got["text"], got["sender"]) == ("call", "", None)
    armed = api.post(
        "/intake/call",
        json={**base, "call_type": "WELFARE CHECK", "notes": "caller says he has a knife"},
        headers=gw,
    ).json()
    assert (armed["responder"], armed["flags"], armed["priority"]) == ("police", ["weapon"], 1)
    flagged = api.post(
        "/intake/call",
        json={**base, "call_type": "MENTAL HEALTH CASE", "flags": ["violence"]},
        headers=gw,
    ).json()
    assert (flagged["responder"], flagged["flags"]) == ("police", ["violence"])
    other = api.post("/intake/call", json={**base, "call_type": "BURGLAR ALARM"}, headers=gw)
    assert (other.json()["responder"], other.json()["rule"]) == ("police", "default")
    bad = api.post("/intake/call", json={**base, "call_type": "X", "flags": ["gun"]}, headers=gw)
    assert bad.status_code == 422 and "flags" in bad.json()["error"]


def test_the_policy_comes_from_the_setting(
    engine: Engine, settings: Settings, world: World
) -> None:
    """Built in, the crisis team works weekdays 08-20: off duty, a mental-health call goes to
    the rule's fallback (co-response); a policy file changes that."""
    with pytest.raises(NotFound, match="no such policy file"):
        create_app(settings.model_copy(update={"triage_policy": "/nope.toml"}), engine)
    with service(engine, settings) as c:
        got = c.post(
            "/intake/call",
            json={"call_type": "MENTAL HEALTH CASE", "location": "Jackson"},
            headers=world.headers("intake"),
        ).json()
    assert got["responder"] in ("crisis", "co_response")
    on_duty = c.app.state.policy.crisis_on_duty  # type: ignore[attr-defined]
    reasons = " ".join(got["reasons"])
    assert ("off duty" in reasons) is (got["responder"] == "co_response")
    assert on_duty(0) is False and on_duty(10) is True  # Monday 00:00 and 10:00


def test_nothing_is_lost_across_a_restart(
    engine: Engine, settings: Settings, always_on: Path, world: World
) -> None:
    """Calls and refusals answered by one app are all there, with their queue positions and
    statuses, in a new app on a new engine over the same database; the sender's rate limit
    too (it is counted from the database)."""
    over = {"triage_policy": str(always_on), "intake_rate": 3}
    gw, disp = world.headers("intake"), world.headers("dispatcher")
    answered: dict[int, dict[str, Any]] = {}
    refused: list[tuple[int, str]] = []
    with service(engine, settings, **over) as c:
        for message in ["a fight on the platform", "hearing voices", "man passed out"]:
            r = c.post("/intake/text", json=text(text=message), headers=gw)
            assert r.status_code == 201
            answered[r.json()["id"]] = r.json()
        call = c.post(
            "/intake/call", json={"call_type": "SHOTS FIRED", "location": "Jackson"}, headers=gw
        ).json()
        answered[call["id"]] = call
        for body in [text("gw-000009", text="fuck it"), text(text="x" * 2000), {"sender": "x"}]:
            r = c.post("/intake/text", json=body, headers=gw)
            assert r.status_code == 422
            refused.append((r.status_code, r.json()["error"]))
        first = min(answered)
        moved = c.patch(
            f"/intake/calls/{first}", json={"version": 1, "status": "dispatched"}, headers=disp
        )
        assert moved.status_code == 200
        before = {x["id"]: x for x in c.get("/intake/queue", headers=disp).json()}
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()

    fresh = make_engine(url)
    try:
        with service(fresh, settings, **over) as c:
            queued = {x["id"]: x for x in c.get("/intake/queue", headers=disp).json()}
            assert queued == before
            assert set(queued) == set(answered) - {first}
            for call_id, call in queued.items():
                sent = answered[call_id]
                keep = ("text", "call_type", "flags", "responder", "priority", "received_at")
                assert {k: call[k] for k in keep} == {k: sent[k] for k in keep}
            gone = c.get(f"/intake/calls/{first}", headers=disp).json()
            assert (gone["status"], gone["version"]) == ("dispatched", 2)
            rejects = c.get("/intake/rejects", headers=disp).json()
            assert sorted((r["status"], r["detail"]) for r in rejects) == sorted(refused)
            # still three messages from this sender in the window: the fourth is refused
            r = c.post("/intake/text", json=text(text="and now?"), headers=gw)
            assert r.status_code == 429
    finally:
        fresh.dispose()
