"""Summit Intel: a Slack app answering questions about Microsoft's AI partnerships with
South Korea's tech giants around the MS CEO Summit 2024."""
