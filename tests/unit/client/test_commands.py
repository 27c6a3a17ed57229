"""The `mediaday` CLI commands against the fake server (run in its own thread)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from client.cli import main
from infra.local.ports import free_port
from tests.unit.client.fake_server import CREW_TOKEN

WRITES = {"slot.create", "slot.update", "slot.move", "shot.add", "shot.update", "shot.set_status"}

SCHEDULE = """id,station_id,talent_id,starts_at,ends_at,title
sl-1,st-1,t-12,2026-05-04 09:00,2026-05-04 09:15,Feature
,st-1,t-7,2026-05-04 09:15,2026-05-04 09:30,
sl-3,st-2,t-3,2026-05-04T09:00:00Z,2026-05-04T09:20:00Z,Portraits
"""


def writes(server) -> list[dict]:
    """Every write the fake received, those inside a `batch` included, in order."""
    sent = server.fake.requests
    flat = [w for r in sent for w in (r["writes"] if r["action"] == "batch" else [r])]
    return [w for w in flat if w["action"] in WRITES]


# -- calls ---------------------------------------------------------------------------------------
def test_call_push_ack_and_cancel(threaded_server, capsys):
    assert main(["call", "push", "--talent", "t-12", "--station", "st-1", "--note", "now"]) == 0
    out = capsys.readouterr().out
    (call,) = threaded_server.fake.live("call")
    assert f"call {call['id']} pushed" in out
    # a crew of st-1 acknowledges it: the CLI reads the current version first
    assert main(["call", "ack", call["id"], "--state", "en-route", "--token", CREW_TOKEN]) == 0
    assert "en-route (version 2)" in capsys.readouterr().out
    assert threaded_server.fake.live("call")[0]["acked_by"] == "crew-st-1"
    assert main(["call", "cancel", call["id"]]) == 0
    assert threaded_server.fake.live("call")[0]["state"] == "cancelled"
    # acknowledging a cancelled call is refused with a clear line and exit code 1
    assert main(["call", "ack", call["id"], "--state", "done"]) == 1
    assert capsys.readouterr().err.strip().endswith("invalid_state: the call is cancelled")


def test_call_ack_of_an_unknown_call_says_so(threaded_server, capsys):
    assert main(["call", "ack", "ca-nope", "--state", "done"]) == 1
    assert capsys.readouterr().err == "mediaday call ack: no call 'ca-nope'\n"


def test_a_conflict_is_one_clear_line_and_exit_code_1(threaded_server, capsys):
    main(["call", "push", "--talent", "t-12", "--station", "st-1", "--id", "ca-1"])
    current = {**threaded_server.fake.items[("call", "ca-1")], "version": 5}
    threaded_server.fake.fail_next["call.ack"] = ("conflict", "stale version 1", current)
    threaded_server.fake.fail_next["call.ack"] = ("conflict", "stale version 1")
    assert main(["call", "ack", "ca-1", "--state", "arrived"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mediaday call ack: conflict: stale version 1")


def test_an_unreachable_server_is_exit_code_3_with_the_url(threaded_server, capsys):
    url = f"ws://127.0.0.1:{free_port()}/local"
    assert main(["call", "push", "--talent", "t-12", "--station", "st-1", "--url", url]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"mediaday call push: cannot reach {url}")
    assert err.count("\n") == 1


def test_a_refused_token_is_exit_code_3_and_never_echoes_the_token(threaded_server, capsys):
    assert main(["call", "cancel", "ca-1", "--token", "s3cret-forged"]) == 3
    err = capsys.readouterr().err
    assert "the server refused the token (HTTP 403: token rejected)" in err
    assert "s3cret" not in err


def test_no_token_at_all_is_a_usage_error(threaded_server, capsys, monkeypatch):
    monkeypatch.delenv("MEDIADAY_TOKEN")
    assert main(["schedule", "export"]) == 2
    assert "no token: pass --token or set MEDIADAY_TOKEN" in capsys.readouterr().err


# -- schedule ------------------------------------------------------------------------------------
def test_schedule_import_writes_every_row_and_a_rerun_writes_nothing_new(
    threaded_server, tmp_path, capsys
):
    sheet = tmp_path / "day.csv"
    sheet.write_text(SCHEDULE)
    assert main(["schedule", "import", str(sheet)]) == 0
    assert "3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert len(threaded_server.fake.live("slot")) == 3
    # When the same file is imported again (say, after a crash)
    assert main(["schedule", "import", str(sheet)]) == 0
    # Then the rows with ids are unchanged and the id-less row is recognised as a duplicate
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert len(threaded_server.fake.live("slot")) == 3
    derived = [w for w in writes(threaded_server) if w["slot"].get("id") is None]
    assert len(derived) == 2 and derived[0]["id"] == derived[1]["id"]


def test_schedule_import_with_bad_rows_reports_each_line_and_writes_nothing(
    threaded_server, tmp_path, capsys
):
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        SCHEDULE
        + "sl-4,st-1,t-404,2026-05-04 10:00,2026-05-04 10:15,\n"
        + "sl-5,st-1,t-12,2026-05-04 11:00,2026-05-04 10:15,\n"
    )
    assert main(["schedule", "import", str(sheet)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{sheet}:5: talent_id: no talent 't-404' on the roster",
        f"{sheet}:6: ends_at must be after starts_at",
        f"mediaday schedule import: 2 bad row(s) in {sheet}; nothing was imported",
    ]
    assert writes(threaded_server) == []


def test_schedule_import_updates_and_moves_existing_slots(threaded_server, tmp_path, capsys):
    sheet = tmp_path / "day.csv"
    sheet.write_text(SCHEDULE)
    main(["schedule", "import", str(sheet)])
    sheet.write_text(SCHEDULE.replace("sl-1,st-1,t-12", "sl-1,st-2,t-7").replace("Portraits", "P"))
    assert main(["schedule", "import", str(sheet)]) == 0
    assert "0 created, 2 updated, 1 unchanged" in capsys.readouterr().out
    moved = threaded_server.fake.items[("slot", "sl-1")]
    assert (moved["station_id"], moved["talent_id"]) == ("st-2", "t-7")
    rerun = writes(threaded_server)[3:]
    assert sorted(w["action"] for w in rerun) == [
        "slot.create",  # the id-less row: answered as a duplicate
        "slot.move",
        "slot.update",
        "slot.update",
    ]


def test_a_refusal_while_writing_names_the_row_and_exits_1(threaded_server, tmp_path, capsys):
    sheet = tmp_path / "day.csv"
    sheet.write_text(SCHEDULE)
    threaded_server.fake.fail_next["batch"] = ("forbidden", "producers only")
    assert main(["schedule", "import", str(sheet)]) == 1
    err = capsys.readouterr().err
    assert ".csv:" in err and "forbidden: producers only" in err
    assert "run the import again" in err


def test_dry_run_validates_and_writes_nothing(threaded_server, tmp_path, capsys):
    sheet = tmp_path / "day.csv"
    sheet.write_text(SCHEDULE)
    assert main(["schedule", "import", str(sheet), "--dry-run"]) == 0
    assert "3 to create, 0 to update, 0 unchanged" in capsys.readouterr().out
    assert writes(threaded_server) == []


def test_schedule_export_reimports_as_unchanged(threaded_server, tmp_path, capsys):
    sheet = tmp_path / "day.csv"
    sheet.write_text(SCHEDULE)
    main(["schedule", "import", str(sheet)])
    exported = tmp_path / "export.csv"
    assert main(["schedule", "export", "-o", str(exported)]) == 0
    assert "exported 3 slots" in capsys.readouterr().out
    assert exported.read_text().startswith("id,station_id,talent_id,starts_at,ends_at,title\n")
    assert main(["schedule", "import", str(exported)]) == 0
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert main(["schedule", "export", "--station", "st-2"]) == 0
    assert capsys.readouterr().out.count("\n") == 2


def test_a_missing_file_is_a_usage_error(threaded_server, tmp_path, capsys):
    assert main(["schedule", "import", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


# -- shots ---------------------------------------------------------------------------------------
def test_shots_import_sets_status_and_a_crew_marks_a_shot_captured(
    threaded_server, tmp_path, capsys
):
    sheet = tmp_path / "shots.csv"
    sheet.write_text(
        "id,station_id,talent_id,description,position,status\n"
        "sh-1,st-1,t-12,Walk-in,1,\n"
        "sh-2,st-1,t-12,Portrait,2,skipped\n"
    )
    assert main(["shots", "import", str(sheet)]) == 0
    assert threaded_server.fake.items[("shot", "sh-2")]["status"] == "skipped"
    assert main(["shots", "set", "sh-1", "--status", "captured", "--token", CREW_TOKEN]) == 0
    assert "shot sh-1: captured (version 2)" in capsys.readouterr().out
    assert main(["shots", "export", "--station", "st-1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["sh-1,st-1,t-12,Walk-in,1,captured", "sh-2,st-1,t-12,Portrait,2,skipped"]


def test_a_shot_cannot_move_station_through_an_import(threaded_server, tmp_path, capsys):
    sheet = tmp_path / "shots.csv"
    sheet.write_text("id,station_id,talent_id,description\nsh-1,st-1,t-12,Walk-in\n")
    main(["shots", "import", str(sheet)])
    sheet.write_text("id,station_id,talent_id,description\nsh-1,st-2,t-12,Walk-in\n")
    assert main(["shots", "import", str(sheet)]) == 2
    assert "cannot move to another station" in capsys.readouterr().err


# -- watch ---------------------------------------------------------------------------------------
def test_watch_once_prints_the_crew_stations_dashboard(threaded_server, tmp_path, capsys):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    rows = [
        f"st-1,{who},{start + timedelta(minutes=15 * n)},{start + timedelta(minutes=15 * n + 15)}"
        for n, who in enumerate(["t-12", "t-7"])
    ]
    sheet = tmp_path / "day.csv"
    sheet.write_text("station_id,talent_id,starts_at,ends_at\n" + "\n".join(rows))
    main(["schedule", "import", str(sheet)])
    capsys.readouterr()
    assert main(["watch", "--once", "--token", CREW_TOKEN]) == 0
    out = capsys.readouterr().out
    assert "Interview Room 1 (st-1)" in out
    assert "#12 Jane Doe" in out and "#7 John Roe" in out
    assert "● live" in out


@pytest.mark.parametrize("args", [["watch", "--once"], ["watch", "--once", "--station", "st-2"]])
def test_watch_once_without_a_crew_station(threaded_server, capsys, args):
    assert main(args) == 0
    out = capsys.readouterr().out
    assert ("Stations" in out) is (len(args) == 2)


def test_call_push_takes_a_name_or_a_shirt_number_and_ack_a_short_handle(threaded_server, capsys):
    # Given the fake's roster: Jane Doe #12 (t-12), John Roe #7, Ada Poe #3
    assert main(["call", "push", "--talent", "#12", "--station", "st-1"]) == 0
    (call,) = threaded_server.fake.live("call")
    assert call["talent_id"] == "t-12"
    assert "Jane Doe (t-12)" in capsys.readouterr().out
    assert main(["call", "push", "--talent", "ada", "--station", "st-2", "--id", "ca-2"]) == 0
    assert threaded_server.fake.items[("call", "ca-2")]["talent_id"] == "t-3"
    # When a crew acks with a prefix of the id (what `watch` shows), the right call moves
    assert main(["call", "ack", call["id"][:8], "--state", "en-route", "--token", CREW_TOKEN]) == 0
    assert threaded_server.fake.items[("call", call["id"])]["state"] == "en-route"


def test_call_push_refuses_an_ambiguous_or_unknown_athlete_without_pushing(
    threaded_server, capsys, monkeypatch
):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    # "Doe" and "Poe" both contain "oe": a script gets the candidates, not a guess
    assert main(["call", "push", "--talent", "oe", "--station", "st-1"]) == 2
    err = capsys.readouterr().err
    assert "'oe' matches 3" in err and "[t-12]" in err and "give the id" in err
    assert main(["call", "push", "--talent", "Nobody", "--station", "st-1"]) == 2
    assert "no athlete matches 'Nobody'" in capsys.readouterr().err
    assert threaded_server.fake.live("call") == []


def test_call_push_asks_at_a_terminal_when_several_athletes_match(
    threaded_server, capsys, monkeypatch
):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "2")
    assert main(["call", "push", "--talent", "oe", "--station", "st-1"]) == 0
    # listed in name order: Ada Poe, Jane Doe, John Roe -> 2 is Jane Doe
    (call,) = threaded_server.fake.live("call")
    assert call["talent_id"] == "t-12"
    assert "2. #12 Jane Doe Blue [t-12]" in capsys.readouterr().out
