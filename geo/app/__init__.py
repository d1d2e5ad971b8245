"""The app's presenter: what the Streamlit pages show, computed without Streamlit."""
