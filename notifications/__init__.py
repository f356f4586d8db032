"""Notifications: something waits for a user, in the app and through the registered
channels (e-mail for reminders). This app imports no other app of the project, so any
app may notify (``notifications.services.notify``) without importing messaging or the
app that owns the thing that waits. Texts never hold PHI."""
