"""Reminders of due scores: the calendar file, Web Push (subscriptions, sending) and the job
that sends them every minute."""
