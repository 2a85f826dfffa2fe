"""How fast a facilitator's command reaches everyone, and what an idle connection costs.

    .venv/bin/python tools/bench/session_fanout.py [--participants 200] [--seconds 40] [--idle 2000]

Needs this machine's PostgreSQL and Redis. Starts two Daphne processes, puts N participants in
one live session's room across both, and for --seconds (several heartbeat intervals, so the
heartbeats and presence of every connection run meanwhile) has the facilitator extend the step
four times a second (under the room's frame rate limit), timing each command from sending it to
the last participant's frame (p50/p99). Then opens --idle event-stream connections to one Daphne
process and reports its memory per idle connection.
"""

import argparse
import asyncio
import json
import time
import uuid

import websockets
from _servers import daphne_processes, percentile, raise_file_limit, rss_kib, setup_django

WAIT = 30  # seconds a frame may take before the run is called failed (a lost frame would hang it)
COMMANDS_PER_SECOND = 4  # the room lets a connection send 5 frames a second after a burst of 20


def build_world(participants: int):
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.factories import UserFactory
    from exercises.factories import ExerciseFactory, StepFactory
    from exercises.models import Exercise, Step
    from group_sessions.services import session_start
    from teams.factories import MembershipFactory, TeamFactory
    from teams.models import Membership

    team = TeamFactory()
    lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
    members = [MembershipFactory(team=team).user for _ in range(participants)]
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.TIMER, seconds=60)
    StepFactory(exercise=exercise, position=2, kind=Step.Kind.REFLECT)
    session, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
    idle_people = [UserFactory(organisation=team.organisation) for _ in range(20)]
    return {
        "session": session.pk,
        "lead": str(AccessToken.for_user(lead)),
        "members": [str(AccessToken.for_user(m)) for m in members],
        "idle": [str(AccessToken.for_user(p)) for p in idle_people],
    }


async def receive_type(ws, kind: str) -> dict:
    async with asyncio.timeout(WAIT):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def fanout(servers, world, seconds: float) -> list[float]:
    session = world["session"]
    auth = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    member_sockets = []
    for index, token in enumerate(world["members"]):
        address = servers[index % len(servers)][0]
        ws = await websockets.connect(
            f"ws://{address}/ws/v1/sessions/{session}/", additional_headers=auth(token), max_queue=None
        )
        await receive_type(ws, "snapshot")
        member_sockets.append(ws)
    lead = await websockets.connect(
        f"ws://{servers[0][0]}/ws/v1/sessions/{session}/", additional_headers=auth(world["lead"])
    )
    version = (await receive_type(lead, "snapshot"))["session"]["version"]
    await lead.send(json.dumps({"type": "start", "version": version}))
    version = (await receive_type(lead, "state"))["session"]["version"]
    await asyncio.gather(*(receive_type(ws, "state") for ws in member_sockets))

    timings = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        await lead.send(json.dumps({"type": "extend", "version": version, "seconds": 10}))
        await asyncio.gather(*(receive_type(ws, "state") for ws in member_sockets))
        timings.append((time.perf_counter() - began) * 1000)
        version += 1
        await receive_type(lead, "state")
        await asyncio.sleep(max(0.0, began + 1 / COMMANDS_PER_SECOND - time.perf_counter()))
    for ws in [lead, *member_sockets]:
        await ws.close()
    return timings


async def idle_cost(address: str, pid: int, tokens: list[str], connections: int) -> float:
    await asyncio.sleep(1)
    before = rss_kib(pid)
    sockets = []
    for index in range(connections):
        token = tokens[index % len(tokens)]
        sockets.append(
            await websockets.connect(
                f"ws://{address}/ws/v1/events/", additional_headers={"Authorization": f"Bearer {token}"}
            )
        )
    await asyncio.sleep(2)
    after = rss_kib(pid)
    for ws in sockets:
        await ws.close()
    return (after - before) / connections


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=40, help="of commands, with heartbeats running")
    parser.add_argument("--idle", type=int, default=2000)
    args = parser.parse_args()
    raise_file_limit()
    setup_django()
    world = build_world(args.participants)
    with daphne_processes(2) as servers:
        timings = asyncio.run(fanout(servers, world, args.seconds))
        print(f"participants: {args.participants} across 2 Daphne processes (PostgreSQL + Redis)")
        print(
            f"command -> last participant's frame, {len(timings)} commands over {args.seconds:.0f} s: "
            f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms"
        )
    with daphne_processes(1) as [(address, pid)]:
        per_connection = asyncio.run(idle_cost(address, pid, world["idle"], args.idle))
        print(f"idle event-stream connections: {args.idle}, memory per connection: {per_connection:.1f} KiB")


if __name__ == "__main__":
    main()
