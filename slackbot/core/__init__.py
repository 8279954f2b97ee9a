"""The domain: what Summit Intel knows and does, with no Slack in it (no slack_bolt, no
slack_sdk, no Block Kit). The console, HTTP and Socket Mode all come through here, and its
tests need no Slack."""
