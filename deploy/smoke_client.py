#!/usr/bin/env python3
"""The checks of deploy/smoke.sh, made through nginx (and straight on each app server):
home page, HTTP → HTTPS, a leaderboard, a static file and its caching headers, sign-in and
a session that every app server knows, a workbook uploaded on one app server and confirmed
on the other, sign-out. Prints one line per check; exits 1 at the first failure.

Standard library plus openpyxl (the project's own). Not a test of the suite: smoke.sh starts
the servers it talks to.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import http.cookies
import io
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter


class Session:
    """A browser-like client: cookies, no automatic redirects, TLS checked against a CA."""

    def __init__(self, base: str, cafile: str | None):
        self.base = base.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.direct_cookies: dict[str, str] = {}
        context = ssl.create_default_context(cafile=cafile) if cafile else None

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=context), NoRedirect)

    def request(self, path: str, *, data: bytes | None = None, headers: dict | None = None,
                base: str | None = None):
        url = (base or self.base) + path
        headers = dict(headers or {})
        if base:  # straight to an app server (plain HTTP): the browser's cookies by hand
            jar = {c.name: c.value for c in self.cookies} | self.direct_cookies
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items() if v)
        request = urllib.request.Request(url, data=data, headers=headers)
        started = time.monotonic()
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            response = error
        body = response.read()
        if base:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.direct_cookies[name] = morsel.value
        response.elapsed_ms = (time.monotonic() - started) * 1000
        response.body = body
        return response

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")


def csrf_token(html: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1).decode()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for name, (filename, content, kind) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


STEP = 0


def check(label: str, condition: bool, detail: str = "") -> None:
    global STEP
    STEP += 1
    print(f"[{'ok' if condition else 'FAIL'}] {STEP:2d}. {label}" + (f" — {detail}" if detail
                                                                      else ""))
    sys.stdout.flush()
    if not condition:
        sys.exit(1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="https://host:port of nginx")
    parser.add_argument("--plain", required=True, help="http://host:port of nginx")
    parser.add_argument("--cafile")
    parser.add_argument("--app", action="append", required=True,
                        help="http://127.0.0.1:port of an app server (twice)")
    parser.add_argument("--access-log", required=True)
    parser.add_argument("--period", required=True, help="a published period")
    parser.add_argument("--open-period", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--indicator", required=True, help="a number indicator of the form")
    parser.add_argument("--redis", required=True, help="CACHE_URL of the app servers")
    options = parser.parse_args()
    host = urllib.parse.urlsplit(options.base).netloc
    origin = options.base.rstrip("/")
    direct = {"X-Forwarded-Proto": "https", "Host": host.split(":")[0]}

    web = Session(options.base, options.cafile)
    home = web.request("/")
    check("home page through nginx (HTTPS)", home.status == 200 and b"<html" in home.body,
          f"{home.status}, {len(home.body)} bytes, {home.elapsed_ms:.0f} ms, "
          f"HSTS: {home.headers.get('Strict-Transport-Security')}")
    plain = Session(options.plain, None).request("/ky/")
    check("plain HTTP is sent to HTTPS", plain.status == 301
          and plain.headers.get("Location", "").startswith("https://"),
          f"{plain.status} → {plain.headers.get('Location')}")
    board = web.request(f"/ky/{options.period}/")
    check(f"leaderboard of {options.period}", board.status == 200 and b"<table" in board.body,
          f"{board.status}, {len(board.body)} bytes, {board.elapsed_ms:.0f} ms")
    css = re.search(rb'href="(/static/[^"]+\.css)"', home.body)
    check("the page links hashed static files", bool(css) and re.search(
        rb"\.[0-9a-f]{12}\.css$", css.group(1)) is not None, css.group(1).decode() if css else "")
    static = web.request(css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
    cache_control = static.headers.get("Cache-Control", "")
    check("static file served by whitenoise, cached for a year, compressed",
          static.status == 200 and "max-age=315360000" in cache_control
          and "immutable" in cache_control and static.headers.get("Content-Encoding") == "gzip",
          f"{static.status}, Cache-Control: {cache_control}, Content-Encoding: "
          f"{static.headers.get('Content-Encoding')}")

    # sign in
    login_page = web.request("/login/")
    token = csrf_token(login_page.body)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": options.username,
                                   "password": options.password, "next": "/bao-cao/"}).encode()
    signed = web.request("/login/", data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
        "Referer": origin + "/login/"})
    check(f"sign in as {options.username}", signed.status == 302
          and signed.headers.get("Location") == "/bao-cao/" and web.cookie("sessionid") != "",
          f"{signed.status} → {signed.headers.get('Location')}")
    before = sum(1 for _ in open(options.access_log, encoding="utf-8"))
    statuses = [web.request("/bao-cao/").status for _ in range(8)]
    time.sleep(0.5)  # nginx writes its log line once the response is sent
    with open(options.access_log, encoding="utf-8") as log:
        served = Counter(line.rsplit(" ", 1)[-1].strip() for line in list(log)[before:]
                         if '"GET /bao-cao/ ' in line)
    check("the session holds on every request, whichever app server answers",
          statuses == [200] * 8 and len(served) == 2,
          f"8 × /bao-cao/ → {sorted(set(statuses))}, app servers: {dict(served)}")
    for app in options.app:
        mine = web.request("/bao-cao/", base=app, headers=direct)
        # /bao-cao/ is the signed-in unit's page: anybody else is sent to sign in (302)
        check(f"the session is known straight on {app}", mine.status == 200,
              f"{mine.status}, {len(mine.body)} bytes")

    # Redis emptied (restarted, or its memory bound reached): sessions are in the database too
    keys = subprocess.run(["redis-cli", "-u", options.redis, "--scan", "--pattern", "ict:*"],
                          capture_output=True, text=True, check=True).stdout.split()
    if keys:
        subprocess.run(["redis-cli", "-u", options.redis, "del", *keys], check=True,
                       capture_output=True)
    still = web.request("/bao-cao/")
    check("the session outlives Redis being emptied (cached_db)", still.status == 200,
          f"{len(keys)} keys deleted, then /bao-cao/ → {still.status}")

    # an upload: the unit's workbook, uploaded on one app server, confirmed on the other
    started = web.request(f"/bao-cao/ky/{options.open_period}/bat-dau/", data=urllib.parse
                          .urlencode({"csrfmiddlewaretoken": web.cookie("csrftoken")}).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "Origin": origin, "Referer": origin + "/bao-cao/"})
    form_url = started.headers.get("Location", "")
    check(f"open the return of {options.open_period}", started.status == 302
          and re.fullmatch(r"/bao-cao/phieu/\d+/", form_url) is not None,
          f"{started.status} → {form_url}")
    template = web.request(form_url + "mau-excel/")
    check("download the unit's Excel template", template.status == 200
          and template.body[:2] == b"PK", f"{len(template.body)} bytes")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template.body))
    sheet = book.active
    header_row = next(r for r in range(1, 15) if any(
        sheet.cell(r, c).value == options.indicator for c in range(1, sheet.max_column + 1)))
    column = next(c for c in range(1, sheet.max_column + 1)
                  if sheet.cell(header_row, c).value == options.indicator)

    for label, upload_base, apply_base in (
            ("through nginx", None, None),
            (f"on {options.app[0]}, confirmed on {options.app[1]}",
             options.app[0], options.app[1])):
        sheet.cell(header_row + 1, column).value = 7 if upload_base is None else 9
        changed = io.BytesIO()
        book.save(changed)
        headers = direct if upload_base else {}
        page = web.request(form_url + "nhap-excel/", base=upload_base, headers=headers)
        body, kind = multipart({"csrfmiddlewaretoken": csrf_token(page.body)},
                               {"file": ("bao-cao.xlsx", changed.getvalue(),
                                         "application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet")})
        plan = web.request(form_url + "nhap-excel/", base=upload_base, data=body, headers={
            **headers, "Content-Type": kind, "Origin": origin,
            "Referer": origin + form_url + "nhap-excel/"})
        sha = re.search(rb'name="sha256" value="([0-9a-f]{64})"', plan.body)
        version = re.search(rb'name="version" value="(\d+)"', plan.body)
        check(f"upload a changed workbook {label}: the differences are shown",
              plan.status == 200 and bool(sha) and bool(version),
              f"{plan.status}, {len(changed.getvalue())} bytes, {plan.elapsed_ms:.0f} ms")
        applied = web.request(form_url + "nhap-excel/", base=apply_base, headers={
            **(direct if apply_base else {}), "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin, "Referer": origin + form_url + "nhap-excel/"},
            data=urllib.parse.urlencode({
                "csrfmiddlewaretoken": csrf_token(plan.body), "action": "apply",
                "sha256": sha.group(1).decode(), "version": version.group(1).decode()}).encode())
        shown = web.request(form_url, base=apply_base,
                            headers=direct if apply_base else {})
        check(f"confirm it {'through nginx' if apply_base is None else 'on ' + apply_base}: "
              "applied", applied.status == 302 and applied.headers.get("Location") == form_url
              and "Đã áp dụng 1 thay đổi".encode() in shown.body,
              f"{applied.status} → {applied.headers.get('Location')}")

    # sign out
    out = web.request("/logout/", data=urllib.parse.urlencode(
        {"csrfmiddlewaretoken": web.cookie("csrftoken")}).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
        "Referer": origin + "/"})
    after = web.request("/bao-cao/")
    check("sign out: the private pages ask to sign in again", out.status == 302
          and after.status == 302 and "/login/" in after.headers.get("Location", ""),
          f"logout {out.status}, then /bao-cao/ {after.status} → {after.headers.get('Location')}")
    print(f"all {STEP} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
