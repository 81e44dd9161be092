"""The language switch, fixed for ``prefix_default_language=False``.

Django's ``set_language`` finds the page to go back to by resolving ``next`` in the
language of the switch's own request, which is Vietnamese (``/i18n/setlang/`` has no
prefix): an English page (``/en/ky/2017/``) does not resolve there, so switching from
English back to Vietnamese stayed on the English page. Resolving ``next`` in the language
of its own prefix lets Django translate it (``/en/ky/2017/`` -> ``/ky/2017/``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils import translation
from django.views.i18n import set_language as django_set_language


def set_language(request):
    next_url = request.POST.get("next", request.GET.get("next")) or ""
    language = translation.get_language_from_path(urlsplit(next_url).path)
    with translation.override(language or translation.get_language()):
        return django_set_language(request)
