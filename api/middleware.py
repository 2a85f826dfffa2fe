"""A trailing slash is optional on every API path, and no path answers with a redirect:
phones do not re-send a POST after one. Routes are declared without the slash."""


def optional_trailing_slash(get_response):
    def middleware(request):
        if request.path_info.startswith("/api/") and len(request.path_info) > 1:
            request.path_info = request.path_info.rstrip("/") or "/"
        return get_response(request)

    return middleware
