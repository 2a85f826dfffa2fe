"""The session room's frames are catalogued in code, documented in the README, and nothing
else is built."""

import re
from pathlib import Path

import pytest

from group_sessions import frames
from group_sessions.frames import ROOM_FRAMES

README = Path(__file__).resolve().parent.parent / "README.md"


def room_section() -> str:
    readme = README.read_text()
    return readme[readme.index("### `/ws/v1/sessions/{id}/`") :].split("\n### ", 1)[0]


@pytest.mark.parametrize("frame_type", sorted(ROOM_FRAMES))
def test_every_room_frame_is_documented_with_its_keys(frame_type):
    row = next((line for line in room_section().splitlines() if line.startswith(f'| `{{"type": "{frame_type}"')), None)
    assert row is not None, f"{frame_type} is not in the README's table of what the room sends"
    frame = row.split("` |")[0]
    assert set(re.findall(r'"([a-z_]+)":', frame)) - {"type"} == ROOM_FRAMES[frame_type]


def test_every_frame_the_readme_says_the_room_sends_is_catalogued():
    documented = re.findall(r'^\| `\{"type": "([a-z_.]+)"', room_section().split("What the room sends:", 1)[1], re.M)
    assert set(documented) == set(ROOM_FRAMES)


def test_a_frame_with_an_undocumented_key_is_never_built():
    with pytest.raises(ValueError):
        frames._frame("round.progress", step=2, count=1, who="Sam")


def test_an_undocumented_frame_type_is_never_built():
    with pytest.raises(ValueError):
        frames._frame("whisper", text="psst")
