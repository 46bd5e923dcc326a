"""`python -m assistant` is the `faq-assistant` command."""

import sys

from assistant.cli import main

sys.exit(main())
