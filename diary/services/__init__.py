"""What the web pages, the API and the CLI do to the records, one module a feature.

The rule about transactions: a service changes the session and never commits or rolls
back; the view, command or job that called it commits once, so a refused value writes
nothing. The jobs that must commit part-way (diary/reminders/job.py, diary/summaries.py)
and the sign-in loaders (diary/auth/login_sessions.py) are not services.
"""
