# Deliberately empty: reflections are readable by their author alone, so the admin has no
# page for them, not even a list.
