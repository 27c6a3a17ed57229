"""`mediaday schedule import FILE.csv | export`: the day's slots as a spreadsheet."""

from __future__ import annotations

import argparse

from client.commands.sheets import register_import_export


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    register_import_export(subparsers, "schedule", "the schedule (slots)")
