"""Slack's rules for what it accepts in messages and views, as the fake Web API checks them:
Block Kit's published limits and the unwritten ones the app relies on (an option's value up
to 150 characters, ``initial_value`` within its input's ``max_length``)."""

from __future__ import annotations

import json
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
TEXT_LIMITS = {"section": 3000, "header": 150, "context": 3000}
MAX_OPTION_VALUE = 150
MAX_OPTION_TEXT = 75
MAX_INITIAL_VALUE = 3000


def option_problems(option: dict[str, Any]) -> list[str]:
    """Slack refuses an option whose value is over 150 or whose text is over 75 characters."""
    problems = []
    if len(str(option.get("value", ""))) > MAX_OPTION_VALUE:
        problems.append(f"option value of {len(str(option['value']))} characters")
    text = option.get("text", {})
    if len(text.get("text", "") if isinstance(text, dict) else str(text)) > MAX_OPTION_TEXT:
        problems.append("option text over 75 characters")
    return problems


def _element_problems(element: dict[str, Any]) -> list[str]:
    problems = []
    options = list(element.get("options") or []) + list(element.get("initial_options") or [])
    if element.get("initial_option"):
        options.append(element["initial_option"])
    for option in options:
        problems += option_problems(option)
    if element.get("type") == "plain_text_input" and element.get("initial_value") is not None:
        limit = element.get("max_length") or MAX_INITIAL_VALUE
        if len(element["initial_value"]) > limit:
            problems.append(f"initial_value over the input's {limit} characters")
    return problems


def block_kit_problems(blocks: Any, limit: int) -> list[str]:
    """What breaks Slack's Block Kit rules in a list of blocks (an empty list if nothing)."""
    if blocks is None:
        return []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems = []
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks, more than {limit}")
    for block in blocks:
        kind = block.get("type")
        texts = []
        if kind in ("section", "header") and "text" in block:
            texts.append(block["text"].get("text", ""))
        if kind == "context":
            if len(block.get("elements", [])) > 10:
                problems.append("context with more than 10 elements")
            texts += [element.get("text", "") for element in block.get("elements", [])]
        for text in texts:
            if len(text) > TEXT_LIMITS.get(kind, 3000):
                problems.append(f"{kind} text of {len(text)} characters")
        if kind == "actions":
            for element in block.get("elements", []):
                if len(element.get("value", "")) > 2000:
                    problems.append("button value over 2000 characters")
                problems += _element_problems(element)
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict):
                problems += _element_problems(block[key])
    return problems
