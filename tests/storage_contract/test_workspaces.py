"""Workspaces kept apart, on every backend: what one stores, another never sees, and one
can be deleted whole without touching another (see conftest: BETA is filled beside ALPHA
for every test)."""

from __future__ import annotations

import pytest

from storage.api import Repository
from tests.storage_contract.conftest import (
    ALPHA,
    BETA,
    BETA_WORD,
    OpenWorkspaces,
    assert_sees_nothing_of_beta,
    fill_beta,
    fingerprint,
)
from tests.storage_contract.test_contract import a_fact


def test_a_workspace_sees_nothing_of_another_while_both_are_open(
    open_workspaces: OpenWorkspaces,
) -> None:
    workspaces = open_workspaces()
    alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
    alpha.seed()
    fill_beta(beta)
    assert_sees_nothing_of_beta(alpha)
    # A typo of a word only BETA uses finds nothing in ALPHA: the word index is its own.
    assert alpha.search_facts("zebracron", None).total == 0
    assert beta.search_facts("zebracron", None).total == 1
    # Ids are counted per workspace.
    assert alpha.next_fact_id() != beta.next_fact_id()
    assert alpha.fact_count() + 1 == beta.fact_count()
    assert workspaces.store(ALPHA) is alpha  # kept open, not loaded again


def test_the_same_ids_in_two_workspaces_are_two_records(open_workspaces: OpenWorkspaces) -> None:
    workspaces = open_workspaces()
    alpha, beta = workspaces.store(ALPHA), workspaces.store(BETA)
    alpha.seed()
    beta.seed()
    ours = a_fact(alpha, "Alpha's own note about Samsung.")
    theirs = a_fact(beta, "Beta's own note about Samsung.")
    assert ours.id == theirs.id
    found_alpha, found_beta = alpha.fact(ours.id), beta.fact(ours.id)
    assert found_alpha is not None and found_alpha.statement.startswith("Alpha")
    assert found_beta is not None and found_beta.statement.startswith("Beta")


def test_deleting_a_workspace_deletes_it_alone(open_workspaces: OpenWorkspaces) -> None:
    workspaces = open_workspaces()
    alpha = workspaces.store(ALPHA)
    alpha.seed()
    kept = fingerprint(alpha)
    fill_beta(workspaces.store(BETA))
    assert {ALPHA, BETA} <= set(workspaces.stored())
    workspaces.delete(BETA)
    assert BETA not in workspaces.stored()
    assert fingerprint(workspaces.store(ALPHA)) == kept
    fresh: Repository = workspaces.store(BETA)
    assert fresh.event() is None and fresh.fact_count() == 0
    assert fresh.search_facts(BETA_WORD, None).total == 0
    workspaces.close()
    again = open_workspaces()
    assert fingerprint(again.store(ALPHA)) == kept
    assert again.store(BETA).fact_count() == 0


def test_a_workspace_id_never_names_a_path(tmp_path: object) -> None:
    from pathlib import Path

    from storage.embedded_workspaces import EmbeddedWorkspaces

    assert isinstance(tmp_path, Path)
    with EmbeddedWorkspaces(tmp_path / "w") as workspaces:
        for bad in ("../escape", "T0/..", "a b", "x" * 65):
            with pytest.raises(ValueError, match="not a workspace id"):
                workspaces.store(bad)
    assert not (tmp_path / "escape").exists()
