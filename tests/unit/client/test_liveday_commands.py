"""`mediaday schedule shift | arrive | done`, `notice post | clear` and `devices` against
the fake server: what each prints, and the one clear line a refusal gets."""

from __future__ import annotations

from datetime import UTC, datetime

from client.cli import main
from tests.unit.client.fake_server import CREW_TOKEN, KIOSK_TOKEN, SLOT


def test_shift_moves_the_rest_of_a_stations_day_and_prints_the_new_times(threaded_server, capsys):
    threaded_server.call(threaded_server.fake.put, SLOT)
    argv = ["schedule", "shift", "--station", "st-1", "--minutes", "10"]
    assert main([*argv, "--from", "2026-05-04T08:00"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("shifted 1 slot(s) of station st-1 10 min later (rev ")
    assert out[1].split() == ["sl-1", "st-1", "now", "09:10"]
    slot = threaded_server.fake.items[("slot", "sl-1")]
    assert (slot["starts_at"], slot["planned_starts_at"]) == (
        "2026-05-04T09:10:00Z",
        "2026-05-04T09:00:00Z",
    )
    request = threaded_server.fake.requests[-1]
    assert request["action"] == "schedule.shift"
    assert datetime.fromisoformat(request["starting_at"]) == datetime(2026, 5, 4, 8, tzinfo=UTC)


def test_a_refused_shift_is_one_line_naming_the_code_and_exit_code_1(threaded_server, capsys):
    threaded_server.fake.fail_next["schedule.shift"] = (
        "double_booked",
        "athlete t-12 would be in two places at once: slot sl-1 overlaps slot sl-2",
    )
    assert main(["schedule", "shift", "--all-stations", "--minutes", "-5"]) == 1
    assert capsys.readouterr().err == (
        "mediaday schedule shift: double_booked: athlete t-12 would be in two places at "
        "once: slot sl-1 overlaps slot sl-2\n"
    )
    assert main(["schedule", "shift", "--station", "st-1", "--minutes", "0"]) == 1
    assert "invalid: `minutes` must not be 0" in capsys.readouterr().err


def test_a_crew_marks_arrived_then_done_and_a_second_done_is_refused(threaded_server, capsys):
    threaded_server.call(threaded_server.fake.put, SLOT)
    assert main(["schedule", "arrive", "sl-", "--token", CREW_TOKEN]) == 0
    assert capsys.readouterr().out.startswith("slot sl-1: arrived at 20")
    assert main(["schedule", "done", "sl-1", "--token", CREW_TOKEN]) == 0
    assert capsys.readouterr().out.startswith("slot sl-1: done at 20")
    slot = threaded_server.fake.items[("slot", "sl-1")]
    assert slot["actual_start"] <= slot["actual_end"]
    assert main(["schedule", "done", "sl-1", "--token", CREW_TOKEN]) == 1
    assert capsys.readouterr().err == (
        "mediaday schedule done: invalid_state: slot sl-1 is already marked\n"
    )


def test_marking_a_slot_the_crew_cannot_see_names_what_matched(threaded_server, capsys):
    threaded_server.call(threaded_server.fake.put, {**SLOT, "station_id": "st-2"})
    assert main(["schedule", "arrive", "sl-1", "--token", CREW_TOKEN]) == 1
    assert capsys.readouterr().err == "mediaday schedule arrive: no slot match 'sl-1'\n"


def test_a_notice_is_posted_then_cleared_by_a_prefix_of_its_id(threaded_server, capsys):
    argv = ["notice", "post", "Lunch in 10 minutes", "--urgent", "--station", "st-1"]
    assert main([*argv, "--expires-in", "15"]) == 0
    (notice,) = threaded_server.fake.live("notice")
    assert capsys.readouterr().out == f"notice {notice['id']} posted to st-1 (urgent)\n"
    assert (notice["text"], notice["stations"], notice["posted_by"]) == (
        "Lunch in 10 minutes",
        ["st-1"],
        "producer",
    )
    assert main(["notice", "clear", notice["id"][:5]]) == 0
    assert capsys.readouterr().out == f"notice {notice['id']} cleared\n"
    assert threaded_server.fake.live("notice") == []
    assert main(["notice", "clear", "nt-"]) == 1
    assert capsys.readouterr().err == "mediaday notice clear: no notice match 'nt-'\n"


def test_a_kiosk_may_not_post_a_notice(threaded_server, capsys):
    assert main(["notice", "post", "Hello", "--token", KIOSK_TOKEN]) == 1
    assert capsys.readouterr().err == (
        "mediaday notice post: forbidden: a kiosk may not post notices\n"
    )
    assert threaded_server.fake.live("notice") == []


def test_devices_prints_the_table_and_refuses_other_roles_in_one_line(threaded_server, capsys):
    threaded_server.fake.devices = [
        {"connection_id": "K1", "role": "kiosk", "subject": "tv-1", "connected_at": 0},
        {
            "connection_id": "C1",
            "role": "crew",
            "station": "st-1",
            "subject": "cam-a",
            "label": "Camera 2 tablet",
            "connected_at": 0,
        },
    ]
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["connection_id", "role"]
    assert lines[2].split()[:5] == ["C1", "crew", "st-1", "cam-a", "Camera"]
    assert lines[-1] == "2 device(s)"
    assert main(["devices", "--token", KIOSK_TOKEN]) == 1
    assert capsys.readouterr().err == (
        "mediaday devices: forbidden: a kiosk connection may not watch devices\n"
    )
