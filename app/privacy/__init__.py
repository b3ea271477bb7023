"""Personal data: who looked at whom, the privacy notice and consent, a person's own copy, erasure that
keeps the figures, retention, and the register of processing."""
