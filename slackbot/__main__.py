import sys

from slackbot.cli import main

sys.exit(main())
