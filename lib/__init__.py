"""The product's logic: importable and testable without a running Streamlit."""
