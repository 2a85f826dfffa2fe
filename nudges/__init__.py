"""Nudges: a few timely pushes, each also kept in the in-app inbox and sent on the event stream.

One module per concern:

- `triggers`: what other apps call when something happens (an acknowledgement, a completed run,
  a live session started or ended, an orphan claimed, a sign-out everywhere). Plain values in,
  no feature app imported: features reach nudges only through here.
- `clock`: plans the kinds that go out at a local time, set-based, for the coming 36 hours.
- `planning`: one row per nudge under a unique dedupe key, inserted with insert-or-ignore.
- `delivery`: claims due nudges with a lease, pushes them, records every attempt, backs off and
  settles; `leases` is how workers share the due nudges (a token per claim, checked before each
  send and write); `recheck` is its last look before sending (preferences, snooze, still
  relevant, quiet hours, daily cap); `push` is the one place that talks to FCM, over `http2`
  (many requests at once on one connection).
- `kinds`: one entry per kind, holding everything about it (see below).
- `services` (what a person does: devices, preferences, opening a nudge), `selectors` (reads),
  `tasks` (the worker's jobs).

Adding a kind takes:

1. `nudges/kinds/<kind>.py` with its `KIND = NudgeKind(...)`: its name, preference field,
   texts (wrapped in gettext), and if it needs them the facts it reads just before sending,
   when it is no longer relevant (a `read_ahead` reads what those need once per batch, where
   they would read per nudge), its schedule (clock-driven) and its collapse key. It reads
   other apps only through their selectors. Then one line in the `KINDS` tuple of
   `nudges/kinds/__init__.py`.
2. Its name in `Kind` and a `BooleanField(default=True)` of the same name on `Preferences`
   (`nudges/models.py`), and the migration `makemigrations nudges` writes for them.
3. Its French texts: `django-admin makemessages -l fr` in `nudges/`, translate, then
   `compilemessages`.
4. An event-driven kind (no schedule) also needs its trigger in `nudges/triggers.py`, called
   by the feature where the cause happens.
"""
