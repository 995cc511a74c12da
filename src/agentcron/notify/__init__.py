"""Telling people: channels, messages, deliveries, with Apprise underneath.

- ``channels``: what a person may add (Apprise URLs, ``email:``/``sms:`` shorthands), checked
  and masked.
- ``messages``: a finished run as a title and a Markdown body, fitted to each channel.
- ``quiet``: quiet hours, in the person's zone.
- ``planning``: which deliveries a finished run makes (pure).
- ``notifier``: the Apprise transport (``abc.Notifier``).
- ``deliverer``: the engine's loop that sends deliveries and retries them on their own
  timetable.
- ``service``: the rules every front door goes through for channels, profiles and deliveries.
"""
