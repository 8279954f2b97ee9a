"""The names of the store's tables, in one place for the modules that write them."""

ENTITIES = "entities"
FACTS = "facts"
REVISIONS = "revisions"
SUBSCRIPTIONS = "subscriptions"
SLOTS = "slots"
META = "meta"
FEEDS = "feeds"
CANDIDATES = "candidates"
# Tables kept as plain documents (facts and revisions are model records).
DOCUMENT_TABLES = (ENTITIES, SUBSCRIPTIONS, SLOTS, META, FEEDS, CANDIDATES)
# The review queue's tables: nothing an answer shows depends on them.
REVIEW_TABLES = frozenset({FEEDS, CANDIDATES})
