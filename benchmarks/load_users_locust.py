"""The simulated users of ``benchmarks/load_users.py`` (a locustfile; run by that script).

Three kinds of users, their number fixed (``fixed_count``) so that every run has the same mix:

- **unit staff** (one account per unit, never two users on one return): open the survey
  form, change an explanation and save the draft in the background with the form's
  ``version`` field (the autosave endpoint the page's script calls), ask for the points
  preview, and now and then save the whole form (POST, then the form again);
- **reviewers**: the progress board of the open period, one submitted return, a verdict on
  one of its answers;
- **the public**: leaderboards, unit profiles and the home page, without an account.

``LOAD_REQUESTS`` a file where every request is written at the end (end time, kind, time
taken, failed or not). ``LOAD_WORLD`` names the JSON file that ``load_users.py --prepare``
wrote (accounts, returns, answers); ``LOAD_FAILURES`` a file where every failed request is
written as one JSON line (time, kind, status, time taken, whether the body is the portal's
Vietnamese error page and whether it shows a traceback) for the database-restart run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

WORLD = json.loads(open(os.environ["LOAD_WORLD"], encoding="utf-8").read())
PASSWORD = WORLD["password"]
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "30"))
FAILURES = os.environ.get("LOAD_FAILURES", "")
#: Seconds each user waits between two actions (reading, typing), at random in this range.
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "2,8").split(","))
_failures_lock = threading.Lock()
_staff = itertools.count()
_reviewers = itertools.count()
#: Words of the portal's error pages (500.html, 503.html): a failed request must show one.
ERROR_PAGE_WORDS = ("Đã xảy ra lỗi hệ thống", "tạm thời không truy cập được")
LEAK_WORDS = ("Traceback", "OperationalError", "psycopg", "File \"/")


class FormFields(HTMLParser):
    """The (name, value) pairs a browser would post for the page's survey form."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "file", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea, self._text = name, ""
        elif tag == "select" and name and "disabled" not in a:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def _record_failure(name: str, status: int, elapsed_ms: float, body: str) -> None:
    if not FAILURES:
        return
    line = json.dumps({"t": time.time(), "name": name, "status": status,
                       "ms": round(elapsed_ms, 1),
                       "error_page": any(w in body for w in ERROR_PAGE_WORDS),
                       "leak": any(w in body for w in LEAK_WORDS)}, ensure_ascii=False)
    with _failures_lock, open(FAILURES, "a", encoding="utf-8") as out:
        out.write(line + "\n")


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(*WAIT)

    def request(self, method: str, path: str, name: str, *, ok=(200,), **kwargs):
        """One request; anything but the ``ok`` statuses is a failure (and recorded)."""
        kwargs.setdefault("allow_redirects", False)
        started = time.monotonic()
        try:
            with self.client.request(method, path, name=name, timeout=TIMEOUT,
                                     catch_response=True, **kwargs) as response:
                if response.status_code in ok:
                    response.success()
                else:
                    response.failure(f"HTTP {response.status_code}")
                    _record_failure(name, response.status_code,
                                    (time.monotonic() - started) * 1000, response.text or "")
                return response
        except Exception as error:  # a timeout or a refused connection
            _record_failure(name, 0, (time.monotonic() - started) * 1000, repr(error))
            raise

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def login(self, username: str) -> bool:
        self.request("GET", "/login/", "login page")
        response = self.request(
            "POST", "/login/", "sign in", ok=(302,),
            data={"username": username, "password": PASSWORD,
                  "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": self.host + "/login/"})
        return response.status_code == 302


class UnitStaff(PortalUser):
    """One unit's staff member filling in the open period's return."""

    fixed_count = int(os.environ.get("LOAD_STAFF", "40"))

    def on_start(self):
        account = WORLD["staff"][next(_staff) % len(WORLD["staff"])]
        self.username, self.pk = account["username"], account["submission"]
        self.fields: list[tuple[str, str]] = []
        self.saves = 0
        while not self.login(self.username):
            time.sleep(2)
        self.open_form()

    @property
    def form_path(self) -> str:
        return f"/bao-cao/phieu/{self.pk}/"

    def open_form(self) -> None:
        response = self.request("GET", self.form_path, "staff: form (GET)")
        if response.status_code == 200:
            parser = FormFields()
            parser.feed(response.text)
            self.fields = [(k, v) for k, v in parser.fields if k != "action"]

    def changed_fields(self) -> list[tuple[str, str]]:
        """The form with one explanation changed (always valid, always a real change)."""
        self.saves += 1
        explanations = [k for k, _ in self.fields if k.startswith("e_")]
        target = random.choice(explanations) if explanations else None
        out = []
        for key, value in self.fields:
            if key == target:
                value = f"Giải trình cập nhật lần {self.saves} ({self.username})"
            elif key == "csrfmiddlewaretoken":
                value = self.csrf()
            out.append((key, value))
        return out

    def set_field(self, key: str, value: str) -> None:
        self.fields = [(k, value if k == key else v) for k, v in self.fields]

    @task(4)
    def form(self):
        self.open_form()

    @task(5)
    def autosave(self):
        if not self.fields:
            return self.open_form()
        data = self.changed_fields()
        response = self.request("POST", self.form_path + "luu-tu-dong/", "staff: save draft",
                                data=data, headers={"X-CSRFToken": self.csrf(),
                                                    "Referer": self.host + self.form_path})
        if response.status_code == 200:
            reply = response.json()
            self.fields = data
            self.set_field("version", str(reply["version"]))
            self.set_field("original", reply["original"])
        else:
            self.open_form()  # start again from what is stored

    @task(3)
    def preview(self):
        if not self.fields:
            return self.open_form()
        self.request("POST", self.form_path + "diem/", "staff: points preview",
                     data=self.fields, headers={"X-CSRFToken": self.csrf(),
                                                "Referer": self.host + self.form_path})

    @task(1)
    def save_form(self):
        if not self.fields:
            return self.open_form()
        data = self.changed_fields() + [("action", "save")]
        response = self.request("POST", self.form_path, "staff: save form (POST)", ok=(302,),
                                data=data, headers={"Referer": self.host + self.form_path})
        self.fields = []
        if response.status_code == 302:
            self.open_form()


class Reviewer(PortalUser):
    """An ICT office reviewer working through the submitted returns."""

    fixed_count = int(os.environ.get("LOAD_REVIEWERS", "10"))

    def on_start(self):
        self.username = WORLD["reviewers"][next(_reviewers) % len(WORLD["reviewers"])]
        while not self.login(self.username):
            time.sleep(2)

    @task(2)
    def board(self):
        self.request("GET", f"/tham-dinh/ky/{WORLD['period']}/", "reviewer: progress board")

    @task(3)
    def submission(self):
        item = random.choice(WORLD["submitted"])
        self.request("GET", f"/tham-dinh/phieu/{item['submission']}/",
                     "reviewer: submission (GET)")

    @task(3)
    def verdict(self):
        item = random.choice(WORLD["submitted"])
        answer = random.choice(item["answers"])
        path = f"/tham-dinh/phieu/{item['submission']}/"
        self.request("POST", f"{path}cau/{answer}/", "reviewer: verdict", ok=(302,),
                     data={"verdict": random.choice(["accepted", "needs_info"]),
                           "comment": "Đề nghị bổ sung tài liệu kiểm chứng.",
                           "csrfmiddlewaretoken": self.csrf()},
                     headers={"Referer": self.host + path})


class Public(PortalUser):
    """A citizen or journalist reading the published results."""

    fixed_count = int(os.environ.get("LOAD_PUBLIC", "50"))

    @task(3)
    def leaderboard(self):
        path = random.choice(WORLD["leaderboards"])
        self.request("GET", path, "public: leaderboard")

    @task(3)
    def profile(self):
        path = random.choice(WORLD["profiles"])
        self.request("GET", path, "public: unit profile")

    @task(1)
    def home(self):
        self.request("GET", "/", "public: home")


REQUESTS = os.environ.get("LOAD_REQUESTS", "")
_log: list[str] = []


@events.request.add_listener
def _every_request(request_type, name, response_time, exception=None, **_kwargs):
    """Every request's end time, kind and time taken (for percentiles by phase)."""
    if REQUESTS:
        _log.append(f"{time.time():.3f}\t{name}\t{response_time:.1f}\t{int(bool(exception))}")


@events.quitting.add_listener
def _write_requests(environment, **_kwargs):
    if REQUESTS:
        with open(REQUESTS, "w", encoding="utf-8") as out:
            out.write("\n".join(_log) + "\n")


@events.quitting.add_listener
def _done(environment, **_kwargs):
    environment.process_exit_code = 0  # the figures, not the exit code, tell the outcome
