"""Every id Slack sends back to the app: callback ids of forms and shortcuts, action ids of
buttons and menus, block ids of form fields, and the path Slack posts to. One place, so a
listener and the block it listens to cannot disagree."""

from __future__ import annotations

from slackbot.core import curation

# Where Slack posts every request in HTTP mode (slash commands, interactivity, events).
EVENTS_PATH = "/slack/events"
# Installing from an "Add to Slack" link (Bolt's OAuth flow's default paths).
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# Callback ids: modals and shortcuts.
FACT_FORM = "fact_form"
RETRACT_FORM = "retract_form"
ADD_FACT_SHORTCUT = "add_summit_fact"
SAVE_MESSAGE_SHORTCUT = "save_as_summit_fact"

# Action ids: buttons and menus.
SHARE_ACTION_ID = "share_answer"
FACT_MENU_ACTION = "fact_menu"
# The form's type-ahead (block_suggestion) comes from the entities field.
ENTITY_OPTIONS_ACTION = curation.ENTITIES

# Block ids of the forms' fields: the fact form's are the domain's field names, so a
# validation error lands on the field it is about.
FACT_FORM_FIELDS = frozenset(
    {
        curation.ENTITIES,
        curation.STATEMENT,
        curation.STATUS,
        curation.KIND,
        curation.SOURCE_URL,
        curation.SOURCE_TITLE,
        curation.HAPPENED_ON,
        curation.REPORTED_ON,
        curation.DIFFERENT_FACT,
        curation.TAGS,
        curation.NEW_ENTITY_NAME,
        curation.NEW_ENTITY_KIND,
        curation.NEW_ENTITY_ALIASES,
        curation.NEW_ENTITY_KOREAN,
    }
)
RETRACT_REASON = "reason"

# The review queue: buttons on a candidate, paging the queue, the reject form and proposals.
REVIEW_APPROVE = "review_approve"
REVIEW_EDIT = "review_edit"
REVIEW_REJECT = "review_reject"
REVIEW_ACTIONS = (REVIEW_APPROVE, REVIEW_EDIT, REVIEW_REJECT)
REVIEW_PAGE = "review_page"
REJECT_FORM = "reject_form"
REJECT_REASON = "reject_reason"
SUGGEST_ACTION = "suggest_fact"
SUGGEST_FORM = "suggest_form"
SUGGEST_STATEMENT = "suggest_statement"
SUGGEST_LINK = "suggest_link"

# Open claims: the buttons that settle one, and the form that keeps one open.
CLAIM_HAPPENED = "claim_happened"
CLAIM_DID_NOT_HAPPEN = "claim_did_not_happen"
CLAIM_STILL_OPEN = "claim_still_open"
CLAIM_ACTIONS = (CLAIM_HAPPENED, CLAIM_DID_NOT_HAPPEN, CLAIM_STILL_OPEN)
KEEP_OPEN_FORM = "keep_open_form"
REVIEW_ON = "review_on"

# App Home, the control panel: ask buttons, a digest's buttons, the admin desk and paging.
HOME_ASK = "home_ask"
HOME_PAUSE = "home_digest_pause"
HOME_RESUME = "home_digest_resume"
HOME_SEND_NOW = "home_digest_now"
HOME_PREVIEW = "home_digest_preview"
HOME_REVIEW = "home_review"
HOME_ADD_FACT = "home_add_fact"
HOME_PAGE = "home_page"
# "Did not happen": retract the claim, or record a fact saying so (SETTLE_AS).
DID_NOT_HAPPEN_FORM = "did_not_happen_form"
SETTLE_AS = "settle_as"
