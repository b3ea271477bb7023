"""E-mail: the outbox, SMTP delivery, invitations, password reset, reminders, the weekly digest, opt-outs."""
