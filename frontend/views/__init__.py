"""Page scripts run by `st.navigation` in frontend/app.py."""
