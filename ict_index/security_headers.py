"""Content-Security-Policy and Permissions-Policy on every response.

Django's SecurityMiddleware already sends X-Content-Type-Options, Referrer-Policy,
Cross-Origin-Opener-Policy and HSTS, and XFrameOptionsMiddleware X-Frame-Options: DENY.
This adds what Django 5.2 does not:

- HTML pages: a policy allowing only the portal's own scripts, styles, images and fonts,
  no inline script or style (the templates have none: behaviour lives in static/js/),
  no framing, forms posting only to the portal.
- Anything else (downloads, evidence files, exports, SVG charts): nothing may run or load,
  in a sandbox, so a file opened in the browser cannot act as a page of the portal.

A view may set its own ``Content-Security-Policy`` header; it is left alone.
``CSP_REPORT_URI`` adds a report-uri; ``CSP_REPORT_ONLY`` sends the policy as report-only
(for trying a change on a live site).
"""

from __future__ import annotations

from django.conf import settings

PAGE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
FILE_POLICY = {"default-src": "'none'", "frame-ancestors": "'none'", "sandbox": ""}
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
    "magnetometer", "microphone", "midi", "payment", "usb", "xr-spatial-tracking"))


def _render(policy: dict[str, str]) -> str:
    report_uri = getattr(settings, "CSP_REPORT_URI", "")
    parts = [f"{name} {value}".strip() for name, value in policy.items()]
    if report_uri:
        parts.append(f"report-uri {report_uri}")
    return "; ".join(parts)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.page_policy = _render(PAGE_POLICY)
        self.file_policy = _render(FILE_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        header = ("Content-Security-Policy-Report-Only"
                  if getattr(settings, "CSP_REPORT_ONLY", False) else "Content-Security-Policy")
        if ("Content-Security-Policy" not in response
                and "Content-Security-Policy-Report-Only" not in response):
            content_type = response.get("Content-Type", "")
            is_page = content_type.startswith("text/html") and not response.get(
                "Content-Disposition", "").startswith("attachment")
            response[header] = self.page_policy if is_page else self.file_policy
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
