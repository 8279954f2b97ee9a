"""Who installed the app where, on PostgreSQL: installations and bots as Slack's SDK writes
them (JSON documents, read back as they were written), the OAuth flow's one-use states,
and each workspace's life (installed, uninstalled, when its data is to be deleted).

Nothing here knows Slack's types: ``slackbot.slack.installations`` turns these documents
into slack_sdk's ``Installation`` and ``Bot`` and back. The tables come with
``summitbot db upgrade`` (schema version 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from storage.api import WorkspaceRecord
from storage.postgres import check_schema, open_pool

INSTALLATION, BOT = "installation", "bot"
Document = dict[str, Any]


class PostgresInstallations:
    """``storage.api.Installations`` on PostgreSQL."""

    def __init__(self, url: str, *, pool: ConnectionPool | None = None) -> None:
        check_schema(url)
        self._owns_pool = pool is None
        self._pool = pool if pool is not None else open_pool(url, 4)

    def close(self) -> None:
        if self._owns_pool:
            self._pool.close()

    # -- installations and bots ----------------------------------------------------------

    def save(
        self,
        kind: str,
        client_id: str,
        enterprise_id: str,
        team_id: str,
        user_id: str,
        doc: Document,
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO slack_installations "
                "(client_id, kind, enterprise_id, team_id, user_id, doc) "
                "VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (client_id, kind, enterprise_id, team_id, user_id) "
                "DO UPDATE SET doc = EXCLUDED.doc, saved_at = now()",
                (client_id, kind, enterprise_id, team_id, user_id, Jsonb(doc)),
            )

    def find(
        self, kind: str, client_id: str, enterprise_id: str, team_id: str, user_id: str = ""
    ) -> Document | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT doc FROM slack_installations WHERE client_id = %s AND kind = %s "
                "AND enterprise_id = %s AND team_id = %s AND user_id = %s",
                (client_id, kind, enterprise_id, team_id, user_id),
            ).fetchone()
        return dict(row[0]) if row else None

    def delete(
        self,
        kind: str | None,
        client_id: str,
        enterprise_id: str,
        team_id: str,
        user_id: str | None = None,
    ) -> int:
        """Deletes the matching rows (every kind when ``kind`` is None, every user's when
        ``user_id`` is None); how many."""
        query = (
            "DELETE FROM slack_installations WHERE client_id = %s AND enterprise_id = %s "
            "AND team_id = %s"
        )
        params: list[Any] = [client_id, enterprise_id, team_id]
        if kind is not None:
            query += " AND kind = %s"
            params.append(kind)
        if user_id is not None:
            query += " AND user_id = %s"
            params.append(user_id)
        with self._pool.connection() as conn:
            return conn.execute(query, params).rowcount

    # -- the OAuth flow's states ---------------------------------------------------------

    def issue_state(self, state: str, expires_at: datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO slack_oauth_states (state, expires_at) VALUES (%s, %s)",
                (state, expires_at),
            )

    def consume_state(self, state: str, now: datetime) -> bool:
        """True once for a state issued and not expired; every later try is False."""
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM slack_oauth_states WHERE expires_at < %s", (now,))
            row = conn.execute(
                "DELETE FROM slack_oauth_states WHERE state = %s RETURNING expires_at",
                (state,),
            ).fetchone()
        return row is not None and row[0] >= now

    # -- workspaces' lives ---------------------------------------------------------------

    def installed(self, record: WorkspaceRecord) -> bool:
        """Records an installation; True when the workspace was known before (installed
        again, or reinstalled within the retention window: its data is as it was)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO workspaces (workspace, enterprise_id, team_id, org_wide, name, "
                "installed_at, installed_by) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (workspace) DO UPDATE SET name = EXCLUDED.name, "
                "installed_by = EXCLUDED.installed_by, uninstalled_at = NULL, "
                "delete_after = NULL RETURNING (xmax <> 0)",
                (
                    record.workspace,
                    record.enterprise_id,
                    record.team_id,
                    record.org_wide,
                    record.name,
                    record.installed_at,
                    record.installed_by,
                ),
            ).fetchone()
        return bool(row and row[0])

    def uninstalled(self, workspace: str, at: datetime, delete_after: datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE workspaces SET uninstalled_at = %s, delete_after = %s "
                "WHERE workspace = %s AND uninstalled_at IS NULL",
                (at, delete_after, workspace),
            )

    def workspace(self, workspace: str) -> WorkspaceRecord | None:
        found = self._workspaces("WHERE workspace = %s", (workspace,))
        return found[0] if found else None

    def workspaces(self) -> list[WorkspaceRecord]:
        return self._workspaces("", ())

    def due_for_deletion(self, now: datetime) -> list[str]:
        return [record.workspace for record in self._workspaces("WHERE delete_after <= %s", (now,))]

    def forget(self, workspace: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM workspaces WHERE workspace = %s", (workspace,))

    def _workspaces(self, where: str, params: tuple[Any, ...]) -> list[WorkspaceRecord]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT workspace, enterprise_id, team_id, org_wide, name, installed_at, "
                "installed_by, uninstalled_at, delete_after FROM workspaces "
                f"{where} ORDER BY installed_at, workspace",
                params,
            ).fetchall()
        return [WorkspaceRecord(*row) for row in rows]
