"""The ``summitbot`` command: run the app in Slack or in a console, seed the store."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from dotenv import load_dotenv

from slackbot import __version__, feeds_cli, review_cli, workspaces_cli
from slackbot.app import build, build_ingress
from slackbot.config import ConfigError, Settings
from slackbot.console import Console, blocks_to_text, run_console
from slackbot.core import briefing
from slackbot.core.bulk import BulkCuration
from slackbot.core.claims import SubjectUnclear
from slackbot.core.curation import Curator
from slackbot.core.digests import Digest, UsageError
from slackbot.core.intel import SummitIntel
from slackbot.ingress import Ingress
from slackbot.logs import configure_logging
from slackbot.running import cmd_serve, cmd_worker, serving
from slackbot.server import GracefulServer
from slackbot.slack import render
from slackbot.slack.manifest import DEFAULT_NAME, ManifestError, manifest_yaml
from slackbot.socket_mode import run_socket_mode
from slackbot.stores import (
    database_status,
    migrate_embedded,
    open_store,
    repair_journals,
    safe_url,
    upgrade_database,
    write_atomically,
)
from storage.api import (
    JournalCorruptError,
    Repository,
    StoreCorruptError,
    StoreLockedError,
    StoreOpenError,
    StoreWriteError,
)

logger = logging.getLogger("summitbot")


def cmd_socket(settings: Settings, args: argparse.Namespace) -> int:
    if settings.many_workspaces:
        settings.require("SLACK_APP_TOKEN")
    else:
        settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    assert settings.app_token is not None
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with serving(settings) as running:
        ingress, work = running.ingress, running.work
        assert work is not None
        work.start()
        install_pages = None
        oauth = ingress.app.oauth_flow
        if oauth is not None:
            # Requests come over the websocket, but installing is a browser's: the install
            # page and Slack's redirect back are served over HTTP (HOST/PORT) all the same.
            install_pages = GracefulServer(ingress, args.host, args.port, health=work.health)
            threading.Thread(target=install_pages.run, name="install-pages", daemon=True).start()
            logger.info("installs from %s%s", install_pages.url, oauth.install_path)
        logger.info("Summit Intel connecting to Slack in Socket Mode")
        try:
            run_socket_mode(ingress, settings.app_token, stop)
        finally:
            if install_pages is not None:
                install_pages.stop()
    logger.info("stopped")
    return 0


def _console_app(settings: Settings, store: Repository) -> tuple[Ingress, str]:
    """The app for the console, and the secret its requests are signed with."""
    secret = secrets.token_hex(16)
    return build_ingress(settings, store, console_secret=secret), secret


def cmd_shell(settings: Settings, _args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        run_console(*_console_app(settings, store))
    return 0


def cmd_brief(settings: Settings, args: argparse.Namespace) -> int:
    """A briefing on one company or product, printed as Markdown or CSV."""
    with open_store(settings) as store:
        found = briefing.briefing(SummitIntel(store, stale_days=settings.stale_days), args.name)
    if isinstance(found, SubjectUnclear):
        could = ", ".join(entity.name for entity in found.matches)
        hint = f"it could be {could}" if could else "try a company or product, e.g. samsung"
        print(f"summitbot: {args.name!r} names no one thing; {hint}", file=sys.stderr)
        return 2
    sys.stdout.write(briefing.render(found, args.format))
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        print(Console(*_console_app(settings, store)).ask(" ".join(args.text)))
    return 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.database_url:
        print(
            "summitbot: `db` is for PostgreSQL: set SUMMITBOT_DATABASE_URL (the embedded store "
            "at SUMMITBOT_DB needs no upgrade)",
            file=sys.stderr,
        )
        return 2
    if args.action == "upgrade":
        before, after = upgrade_database(settings.database_url)
        if before == after:
            print(f"the database is at schema version {after}, the latest: nothing to do")
        else:
            print(f"upgraded the database from schema version {before} to {after}")
        return 0
    status = database_status(settings.database_url)
    state = "up to date" if status.found == status.latest else "run `summitbot db upgrade`"
    print(f"schema version {status.found} (this code: {status.latest}): {state}")
    print(f"scheduler leader: {status.leader or 'none running'}")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:

    url = args.to
    if not url.startswith(("postgresql://", "postgres://")):
        print(
            "summitbot: --to takes a URL like postgresql://user@host:5432/summit", file=sys.stderr
        )
        return 2
    if not settings.db_path.exists():
        print(f"summitbot: there is no store at {settings.db_path} (SUMMITBOT_DB)", file=sys.stderr)
        return 2
    # The embedded store at SUMMITBOT_DB, whatever SUMMITBOT_DATABASE_URL says.
    moved = migrate_embedded(settings.db_path, url)
    counts = ", ".join(f"{count:,} {table}" for table, count in sorted(moved.counts.items()))
    if moved.copied:
        print(f"copied {settings.db_path} to {safe_url(url)}: {counts}")
    else:
        print(f"{safe_url(url)} already holds this store: nothing copied ({counts})")
    print(f"verified: every record matches (SHA-256 {moved.checksum[:16]}…), {moved.seconds:.1f} s")
    print("next: set SUMMITBOT_DATABASE_URL to that URL on every replica")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings, seed=False) as store:
        report = store.seed(reset=args.reset)
    print(
        f"seeded {settings.db_path}: {report.entities_written} entities and "
        f"{report.facts_written} facts written, {report.entities_removed} entities and "
        f"{report.facts_removed} facts removed"
    )
    return 0


def _record_type(line: str) -> object:
    """The ``type`` of an import line, or None when it is not a JSON object."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get("type") if isinstance(record, dict) else None


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    # Read twice rather than held: a million lines are a few hundred MB as text, and every
    # line is decoded (so a file that is not UTF-8 is refused) before anything is stored.
    try:
        with path.open(encoding="utf-8") as handle:
            first_lines = list(itertools.islice(handle, 5))
            total = len(first_lines) + sum(1 for _ in handle)
    except (OSError, UnicodeDecodeError) as error:
        print(f"summitbot: cannot read {path}: {error}", file=sys.stderr)
        return 2
    step = max(total // 10, 1000)

    def progress(number: int) -> None:
        if number % step == 0 or number == total:
            print(f"checked {number:,} of {total:,} lines", file=sys.stderr, flush=True)

    def writing(step: str) -> None:
        print(step, file=sys.stderr, flush=True)

    # A full backup (an export) carries the summit's event record: restoring it into a new
    # store must not seed first, or the seed's copies would become changes in its history.
    is_backup = any(_record_type(line) in ("export", "meta") for line in first_lines)
    with open_store(settings, seed=not is_backup) as store, path.open(encoding="utf-8") as lines:
        report = BulkCuration(Curator(store)).import_lines(
            lines, by=args.by, progress=progress, writing=writing
        )
        if not report.errors:
            print("writing the snapshot", file=sys.stderr, flush=True)
    if not report.errors:
        print("snapshot written", file=sys.stderr, flush=True)
    for number, problem in report.errors[:200]:
        print(f"{path}:{number}: {problem}", file=sys.stderr)
    if report.errors:
        more = len(report.errors) - 200
        if more > 0:
            print(f"…and {more} more bad lines", file=sys.stderr)
        print(
            f"summitbot: {len(report.errors)} bad line(s); nothing was imported. "
            "Fix them and import the file again.",
            file=sys.stderr,
        )
        return 1
    print(
        f"imported {path}: {report.added} facts added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.entities} entities"
    )
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        lines = list(BulkCuration(Curator(store)).export_lines())
    text = "".join(line + "\n" for line in lines)
    if args.file:
        write_atomically(Path(args.file), text.encode())
        print(f"exported {len(lines)} records to {args.file}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def print_digest(digest: Digest, nothing: str) -> None:
    if digest.empty:
        print(nothing)
    for message in render.digest_messages(digest) if not digest.empty else []:
        print(blocks_to_text(message.to_dict()), end="\n\n")


def cmd_digest_preview(settings: Settings, args: argparse.Namespace) -> int:
    """A digest with no channel, no schedule and no Slack: what tracking would show."""
    try:
        since = (
            datetime.fromisoformat(args.since).replace(tzinfo=UTC)
            if args.since
            else datetime.now(UTC) - timedelta(days=7)
        )
    except ValueError:
        print(f"summitbot: --since {args.since!r} is not a date like 2024-05-01", file=sys.stderr)
        return 2
    names = tuple(name.strip() for name in (args.track or "").split(",") if name.strip())
    with open_store(settings) as store:
        built = build(settings, store, console_secret="preview")
        digest, tracking = built.services.digests.preview_anywhere(since, names, settings.timezone)
    for name in tracking.unknown:
        print(
            f"summitbot: I don't know {name!r}; try a company, person, product or tag",
            file=sys.stderr,
        )
    for name, matches in tracking.ambiguous:
        print(f"summitbot: {name!r} could be {', '.join(matches)}", file=sys.stderr)
    if tracking.unknown or tracking.ambiguous:
        return 2
    print_digest(digest, f"nothing new since {since:%Y-%m-%d}")
    return 0


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    if args.preview:
        return cmd_digest_preview(settings, args)
    if not args.channel:
        print(
            "summitbot: say --channel C0123ABCD, or --preview for a digest with no channel",
            file=sys.stderr,
        )
        return 2
    if not args.dry_run:
        settings.require("SLACK_BOT_TOKEN")
    with open_store(settings) as store:
        # A dry run never reaches Slack, so it needs no credentials.
        built = build(settings, store, console_secret="dry-run" if args.dry_run else None)
        service = built.services.digests
        try:
            if args.dry_run:
                digest = service.preview(args.channel)
                print_digest(digest, f"nothing new for {args.channel} since {digest.since}")
                return 0
            outcome = service.post_now(args.channel)
        except UsageError as problem:
            print(f"summitbot: {problem}", file=sys.stderr)
            return 2
    print(f"{args.channel}: {outcome.kind}: {outcome.text}")
    return 0 if outcome.kind in ("posted", "empty") else 1


def cmd_feeds(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        return feeds_cli.run(settings, store, args, sys.stdout)


def cmd_review(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        return review_cli.run(settings, store, args, sys.stdout, sys.stderr)


def cmd_repair(settings: Settings, _args: argparse.Namespace) -> int:
    """Keeps every intact snapshot record and every readable journal record, and sets the
    damaged bytes aside, saying what was restored and what was dropped."""
    db = settings.db_path
    for line in repair_journals(db):
        print(line)
    with open_store(settings) as store:
        print(f"{db} opens: {store.fact_count():,} facts")
    return 0


def cmd_manifest(_settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = manifest_yaml(args.name, args.http_url, distribute=args.distribute)
    except ManifestError as problem:
        print(f"summitbot: {problem}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    mode = settings.auto_mode
    if mode == "socket":
        return cmd_socket(settings, args)
    if mode == "serve":
        return cmd_serve(settings, args)
    print(
        "No Slack credentials configured (see .env.example): starting the local console.",
        file=sys.stderr,
    )
    return cmd_shell(settings, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summitbot",
        description="Summit Intel: Microsoft and Korea's tech giants at the MS CEO Summit 2024.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    def add_http_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--host",
            default=os.environ.get("HOST", "0.0.0.0"),
            help="the address HTTP mode listens on (default: $HOST, else 0.0.0.0)",
        )
        sub.add_argument(
            "--port",
            type=int,
            default=os.environ.get("PORT") or "3000",
            help="the port HTTP mode listens on (default: $PORT, else 3000)",
        )

    add_http_options(add("run", cmd_run, "Socket Mode, HTTP or the console, by what is configured"))
    serve = add("serve", cmd_serve, "serve Slack's requests over HTTP")
    add_http_options(serve)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="only answer Slack; digests, corrections and feed polls run in summitbot worker",
    )
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        help="answer from N processes sharing the port (PostgreSQL only; default 1)",
    )
    serve.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    # FD:SLOT:SLOTS of the supervisor's shared connection counts (slackbot.accept_share).
    serve.add_argument("--accept-share", default=None, help=argparse.SUPPRESS)
    worker = add(
        "worker",
        cmd_worker,
        "digests, corrections and feed polls without answering Slack (probes on --port)",
    )
    add_http_options(worker)
    add_http_options(
        add(
            "socket",
            cmd_socket,
            "connect to Slack in Socket Mode (many workspaces: install pages on HTTP)",
        )
    )
    add("shell", cmd_shell, "a local console: type /whois samsung, no Slack needed")
    ask = add("ask", cmd_ask, 'answer one command and exit, e.g. summitbot ask "/whois samsung"')
    ask.add_argument("text", nargs="+", help="the slash command and its text")
    imported = add("import", cmd_import, "add or update facts from a JSON Lines file")
    imported.add_argument("file", help="JSON Lines: one fact or entity per line")
    imported.add_argument("--by", default="import", help="who the changes are recorded as")
    exported = add("export", cmd_export, "write every entity and fact as JSON Lines")
    exported.add_argument("file", nargs="?", help="where to write; standard output if absent")
    brief = add("brief", cmd_brief, "print a briefing on a company or product (md or csv)")
    brief.add_argument("name", help="a company or product, e.g. samsung or hbm")
    brief.add_argument("--format", choices=briefing.FORMATS, default="md")
    digest = add("digest", cmd_digest, "post (or with --dry-run, print) a channel's digest now")
    digest.add_argument("--channel", help="the channel id, e.g. C0123ABCD")
    digest.add_argument("--dry-run", action="store_true", help="print it; post nothing")
    digest.add_argument(
        "--preview",
        action="store_true",
        help="print the digest a channel would get, with no channel, schedule or Slack",
    )
    digest.add_argument("--since", help="with --preview: changes since this date (default: 7 days)")
    digest.add_argument(
        "--track", help="with --preview: only these, comma-separated (e.g. samsung,hbm)"
    )
    manifest = add(
        "manifest", cmd_manifest, "print the Slack app manifest (Socket Mode unless --http-url)"
    )
    manifest.add_argument(
        "--http-url",
        metavar="URL",
        help="HTTP mode: the server's public base URL, e.g. https://summit.example.com "
        "(every request URL becomes URL/slack/events)",
    )
    manifest.add_argument("--name", default=DEFAULT_NAME, help="the app's display name")
    manifest.add_argument(
        "--distribute",
        action="store_true",
        help="for installing in many workspaces from an Add to Slack link (with --http-url): "
        "the OAuth redirect URL and org-wide deployment",
    )
    add(
        "repair",
        cmd_repair,
        "keep every intact snapshot and journal record; say what is restored and what is "
        "dropped; keep the damaged files as <file>.bad-<time>",
    )
    feeds_cli.add_arguments(
        add("feeds", cmd_feeds, "news feeds: list, add, remove, pause, resume, poll [--dry-run]")
    )
    review_cli.add_arguments(
        add("review", cmd_review, "the review queue: list, approve ID, reject ID [--reason WHY]")
    )
    workspaces_cli.add_arguments(
        add(
            "workspaces",
            lambda settings, args: workspaces_cli.run(settings, args, sys.stdout, sys.stderr),
            "many workspaces: list, export TEAM FILE, purge TEAM --yes",
        )
    )
    database = add("db", cmd_db, "PostgreSQL: upgrade the schema, or show its state")
    database.add_argument("action", choices=["upgrade", "status"])
    migrating = add(
        "migrate", cmd_migrate, "copy the embedded store (SUMMITBOT_DB) into PostgreSQL and verify"
    )
    migrating.add_argument("--to", required=True, metavar="URL", help="an empty database")
    seed = add("seed", cmd_seed, "add the shipped seed facts that are missing")
    seed.add_argument("--reset", action="store_true", help="rewrite the seed part from scratch")
    return parser


def main(argv: list[str] | None = None) -> int:
    # First: .env may set HOST and PORT, the defaults of --host and --port.
    load_dotenv(Path.cwd() / ".env")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *(argv or [])])
    try:
        settings = Settings.from_env(os.environ)
        console_only = args.command in {
            "shell",
            "ask",
            "brief",
            "seed",
            "import",
            "export",
            "digest",
            "manifest",
            "repair",
            "feeds",
            "review",
            "db",
            "migrate",
        } or (args.command == "run" and settings.auto_mode == "shell")
        level = "WARNING" if console_only and "LOG_LEVEL" not in os.environ else settings.log_level
        configure_logging(
            level,
            settings.log_format,
            secrets=tuple(
                value
                for value in (settings.signing_secret, settings.client_secret, settings.bot_token)
                if value
            ),
        )
        result: int = args.handler(settings, args)
        return result
    except (
        ConfigError,
        StoreLockedError,
        StoreCorruptError,
        StoreOpenError,
        StoreWriteError,
        JournalCorruptError,
    ) as error:
        print(f"summitbot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
