"""``python -m db <command>`` — see ``python -m db --help``."""

import os
import sys

# lib modules cache with st.cache_data; outside a running app Streamlit would warn on every call
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

from db.cli import main  # noqa: E402

sys.exit(main())
