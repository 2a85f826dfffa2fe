"""Django's SQLite backend, with every database file created readable by this user alone.

SQLite creates a database file with the process's umask (usually 0644: readable by anyone on
the machine) and gives its -wal and -shm files the database file's own permissions. The
database holds everything people wrote, so the file is made 0600 before SQLite first opens it,
and the other two follow.
"""

import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params["database"])
        if not self.is_in_memory_db() and not name.startswith("file:") and not os.path.exists(name):
            # Only when the file is new: closing any descriptor of an open database drops every
            # lock this process holds on it (POSIX), under the other connections' feet, and
            # other processes (the worker, the other server processes) then trample the WAL.
            try:
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass  # another process made it first, with the same permissions
        return super().get_new_connection(conn_params)
