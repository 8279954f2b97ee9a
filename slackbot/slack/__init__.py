"""Everything Slack-shaped: Block Kit rendering, block/action/callback ids, delivery to
Slack (response URLs and their fallbacks, digests), Slack's markup, the app manifest."""
