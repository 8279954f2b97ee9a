"""``summitbot workspaces …``: the workspaces the app is installed in, from a terminal: a
list with how each is doing, one workspace's export (the import format, everything it
holds), and deleting one whole (asked for with ``--yes``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from slackbot.config import Settings
from slackbot.core.bulk import BulkCuration
from slackbot.core.curation import Curator
from slackbot.stores import open_workspaces, write_atomically
from slackbot.tenancy import purge_workspace
from storage.api import WorkspaceRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="workspaces_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every workspace: id, name, installed, facts, digests, status")
    export = actions.add_parser("export", help="everything of one workspace, as import lines")
    export.add_argument("team", help="the workspace's id (T…, or E… for an org-wide install)")
    export.add_argument("file", help="where to write it")
    purge = actions.add_parser("purge", help="delete one workspace's data, now and for good")
    purge.add_argument("team", help="the workspace's id")
    purge.add_argument("--yes", action="store_true", help="yes, delete it (nothing is kept)")


def status(record: WorkspaceRecord) -> str:
    if record.uninstalled_at is None:
        return "installed"
    deleting = f", data deleted {record.delete_after:%Y-%m-%d}" if record.delete_after else ""
    return f"uninstalled {record.uninstalled_at:%Y-%m-%d}{deleting}"


def run(settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not settings.database_url:
        print(
            "summitbot: workspaces live in PostgreSQL: set SUMMITBOT_DATABASE_URL (an app "
            "with one bot token has one workspace, its store)",
            file=err,
        )
        return 2
    with open_workspaces(settings) as (workspaces, installations):
        records = {record.workspace: record for record in installations.workspaces()}
        if args.workspaces_action == "list":
            print("id\tname\tinstalled at\tfacts\tdigests\tstatus", file=out)
            for workspace, record in records.items():
                store = workspaces.store(workspace)
                print(
                    f"{workspace}\t{record.name}\t{record.installed_at:%Y-%m-%d %H:%M} UTC\t"
                    f"{store.fact_count()}\t{len(store.subscriptions())}\t{status(record)}",
                    file=out,
                )
            if not records:
                print("(no workspace has installed the app yet)", file=out)
            return 0
        team = args.team
        if team not in records and team not in workspaces.stored():
            print(
                f"summitbot: no workspace {team!r}; `summitbot workspaces list` has them", file=err
            )
            return 2
        if args.workspaces_action == "export":
            lines = list(BulkCuration(Curator(workspaces.store(team))).export_lines())
            write_atomically(Path(args.file), "".join(line + "\n" for line in lines).encode())
            print(f"exported {len(lines)} records of {team} to {args.file}", file=err)
            return 0
        if not args.yes:
            print(
                f"summitbot: this deletes every fact, digest, feed and installation of {team} "
                "for good; run it again with --yes",
                file=err,
            )
            return 2
        purge_workspace(workspaces, installations, settings.client_id or "", team)
        print(f"deleted every record of {team}", file=out)
        return 0
