"""Lists are cursor-paginated: {"results", "next", "previous"}. Cursors stay correct while
rows are added, and each page costs the same queries however deep it is."""

from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100


class InOrder(CursorPagination):
    """For short, stable lists (the catalogue, one's teams): usually a single page."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 100


class ThemeOrder(InOrder):
    ordering = ("position", "id")


class RecentlySent(NewestFirst):
    """The inbox: by when a nudge reached the person, not when it was planned."""

    ordering = ("-sent_at", "-id")
