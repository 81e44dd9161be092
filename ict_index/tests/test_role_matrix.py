"""The role-by-URL matrix: every URL of the URLconf, every role, the expected answer.

The URL names come from walking ``get_resolver().url_patterns`` (the i18n prefix, every
include and the admin site). Each name must be classified in ``MATRIX`` (or, for the
standard pages of a registered ``ModelAdmin``, by ``admin_expectations``): a new URL that
nobody classified fails the test, and so does a classified name that no longer exists.

The world: unit A (department cohort) and unit B (district cohort); every object in a URL
belongs to unit A. Period P2025 is published (public snapshot, an appeal of A's return),
P2026 is closed with a computed preview that is not published, P2027 is open (A's draft
with an evidence file). Roles: anonymous, staff of A, staff of B, a reviewer, an admin.
Staff of B and the reviewer carry Django's ``is_staff`` flag and every *view* permission
(as if someone had ticked them in the admin): the admin site must still refuse them.

GET is asked of every URL for every role. POST is asked where the view writes, only for the
roles that must be refused, and the whole database must be unchanged afterwards.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from assessments import services
from assessments.models import (
    Answer,
    AnswerChange,
    Appeal,
    AppealItem,
    Cohort,
    ImportRecord,
    Period,
    Review,
    ReviewFlag,
    Submission,
    Unit,
    User,
)
from assessments.tests.review_data import FAIR, FULL, framework, submit
from rankings.models import IndicatorCrosswalk, Scenario
from rankings.services import compute_snapshot, publish_snapshot

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "staff_a", "staff_b", "reviewer", "admin")
PASSWORD = "role-matrix-pw-1"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Expected answers. LOGIN: 302 to the sign-in page; ADMIN_LOGIN: 302 to the admin's sign-in
# page; BACK: 302 to a page of the portal that is not a sign-in page (a refusal with a
# message, or the language switch going back).
OK, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 200, 403, 404, 405
LOGIN, ADMIN_LOGIN, BACK = "login", "admin-login", "back"


def roles(anonymous, staff_a, staff_b, reviewer, admin_) -> dict[str, object]:
    return dict(zip(ROLES, (anonymous, staff_a, staff_b, reviewer, admin_), strict=True))


PUBLIC = roles(OK, OK, OK, OK, OK)
NOWHERE = roles(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
#: reviewers' pages: sign in, unit staff refused
OFFICE = roles(LOGIN, FORBIDDEN, FORBIDDEN, OK, OK)
#: a reviewer-only write (the view takes POST only)
OFFICE_POST_ONLY = roles(LOGIN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED)
#: a page of unit A's return: A's staff and the office read it, B's staff get a 404
A_AND_OFFICE = roles(LOGIN, OK, NOT_FOUND, OK, OK)
#: pages of the signed-in unit's own (not an object of A's)
OWN_UNIT = roles(LOGIN, OK, OK, FORBIDDEN, FORBIDDEN)
POST_ONLY = roles(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)


@dataclass
class Entry:
    """One URL name: how to build its URL from the world, what each role gets on GET and,
    for a write, what the refused roles get on POST (nothing may be written)."""

    kwargs: Callable[[World], dict] = lambda w: {}
    get: dict = field(default_factory=lambda: dict(PUBLIC))
    post: dict | None = None   # refused roles only -> expected answer
    query: str = ""
    post_data: dict = field(default_factory=dict)


def refused(expected: dict, *allowed: str) -> dict:
    """The POST answers of the roles not in ``allowed``, with 405 turned into what the
    role would get on a POST (the view refuses them before reading the method)."""
    return {role: answer for role, answer in expected.items() if role not in allowed}


OFFICE_WRITE = {"anonymous": LOGIN, "staff_a": FORBIDDEN, "staff_b": FORBIDDEN}


#: admin pages (and the admin's own POST-only views) of portal admins only
ADMIN_ONLY = roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)
ADMIN_POST_ONLY = roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_ALLOWED)
ADMIN_REFUSED = {role: ADMIN_LOGIN for role in ("anonymous", "staff_a", "staff_b", "reviewer")}


def period_code(name: str):
    return lambda w: {"code": name}


MATRIX: dict[str, Entry] = {
    # --- language, sign in and out ---------------------------------------------------------
    "set_language": Entry(get=roles(BACK, BACK, BACK, BACK, BACK), query="?next=/"),
    "login": Entry(),
    "logout": Entry(get=POST_ONLY),
    # --- accounts: the second factor, the account page, passwords (accounts/urls.py) ----------
    # the code page without a password given first goes back to the sign-in page
    "otp_verify": Entry(get=roles(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    # the admin's own sign-in page sends everybody to the portal's
    "admin_login_redirect": Entry(get=roles(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    "account": Entry(get=roles(LOGIN, OK, OK, OK, OK)),
    "otp_setup": Entry(get=OFFICE, post=OFFICE_WRITE, post_data={"code": "000000"}),
    "password_change": Entry(get=roles(LOGIN, OK, OK, OK, OK),
                             post={"anonymous": LOGIN}),
    "password_change_done": Entry(get=roles(LOGIN, OK, OK, OK, OK)),
    "password_reset": Entry(),
    "password_reset_done": Entry(),
    # a link with a wrong token: the page saying so, to everybody
    "password_reset_confirm": Entry(lambda w: {"uidb64": "MQ", "token": "set-password"}),
    "password_reset_complete": Entry(),
    # --- the public site: published results only -------------------------------------------
    "rankings:period_list": Entry(),
    "rankings:period_leaderboard": Entry(period_code("P2025")),
    "rankings:results_download": Entry(lambda w: {"code": "P2025", "ext": "csv"}),
    "rankings:board_download": Entry(lambda w: {"code": "P2025", "ext": "xlsx"}),
    "rankings:methodology": Entry(period_code("P2025")),
    "rankings:annual_report": Entry(period_code("P2025")),
    "rankings:annual_report_pdf": Entry(period_code("P2025")),
    "rankings:indicator": Entry(lambda w: {"code": "P2025", "indicator_code": "lan"}),
    "rankings:indicator_download": Entry(
        lambda w: {"code": "P2025", "indicator_code": "lan", "ext": "json"}),
    "rankings:indicator_chart": Entry(
        lambda w: {"code": "P2025", "indicator_code": "lan", "chart": "diem"}),
    "rankings:unit_profile": Entry(lambda w: {"unit_code": w.a.code}),
    "rankings:unit_download": Entry(lambda w: {"unit_code": w.a.code, "ext": "csv"}),
    "rankings:unit_chart": Entry(lambda w: {"unit_code": w.a.code, "chart": "radar"}),
    "rankings:compare": Entry(query="?ky=P2025"),
    "rankings:indicator_chart_png": Entry(
        lambda w: {"code": "P2025", "indicator_code": "lan", "chart": "diem", "ext": "png"}),
    "rankings:unit_chart_png": Entry(
        lambda w: {"unit_code": w.a.code, "chart": "radar", "ext": "png"}),
    "rankings:map": Entry(period_code("P2025")),
    # the matrix's cohorts have no boundary file: the map image is nobody's (the page
    # shows the table alone)
    "rankings:map_image": Entry(lambda w: {"code": "P2025", "ext": "svg"}, get=NOWHERE),
    # --- unit returns ----------------------------------------------------------------------
    "returns:index": Entry(get=OWN_UNIT),
    "returns:start": Entry(period_code("P2027"), get=POST_ONLY,
                           post={"anonymous": LOGIN, "reviewer": FORBIDDEN,
                                 "admin": FORBIDDEN}),
    "returns:form": Entry(lambda w: {"pk": w.draft_a.pk}, get=A_AND_OFFICE,
                          post={"anonymous": LOGIN, "staff_b": NOT_FOUND, "reviewer": BACK,
                                "admin": BACK},
                          post_data={"action": "save", "version": "1", "v_lan": "khong"}),
    # a read: points for posted values, nothing stored (staff of B: 404)
    "returns:preview": Entry(lambda w: {"pk": w.draft_a.pk}, get=POST_ONLY,
                             post={"anonymous": LOGIN, "staff_b": NOT_FOUND}),
    "returns:autosave": Entry(lambda w: {"pk": w.draft_a.pk}, get=POST_ONLY,
                              post={"anonymous": LOGIN, "staff_b": NOT_FOUND,
                                    "reviewer": FORBIDDEN, "admin": FORBIDDEN},
                              post_data={"version": "1", "v_lan": "khong"}),
    "returns:history": Entry(lambda w: {"pk": w.draft_a.pk}, get=A_AND_OFFICE),
    "returns:workbook_template": Entry(lambda w: {"pk": w.draft_a.pk}, get=A_AND_OFFICE),
    "returns:workbook_upload": Entry(
        lambda w: {"pk": w.draft_a.pk}, get=roles(LOGIN, OK, NOT_FOUND, BACK, BACK),
        post={"anonymous": LOGIN, "staff_b": NOT_FOUND, "reviewer": BACK, "admin": BACK}),
    "returns:evidence": Entry(lambda w: {"pk": w.evidence_a.pk}, get=A_AND_OFFICE),
    # --- the office's review -----------------------------------------------------------------
    "review:index": Entry(get=OFFICE),
    "review:board": Entry(period_code("P2027"), get=OFFICE),
    "review:board_export": Entry(lambda w: {"code": "P2027", "ext": "csv"}, get=OFFICE),
    "review:flags_compute": Entry(period_code("P2027"), get=OFFICE_POST_ONLY,
                                  post=OFFICE_WRITE),
    "review:bulk_approve": Entry(period_code("P2027"), get=OFFICE_POST_ONLY,
                                 post=OFFICE_WRITE),
    "review:preview": Entry(period_code("P2026"), get=OFFICE),
    "review:compute": Entry(period_code("P2026"), get=OFFICE_POST_ONLY, post=OFFICE_WRITE),
    "review:publish": Entry(lambda w: {"code": "P2026", "number": w.preview.number},
                            get=OFFICE_POST_ONLY, post=OFFICE_WRITE),
    "review:submission": Entry(lambda w: {"pk": w.closed_a.pk}, get=OFFICE),
    "review:answer_review": Entry(
        lambda w: {"pk": w.closed_a.pk, "answer_pk": w.closed_a_answer.pk},
        get=OFFICE_POST_ONLY, post=OFFICE_WRITE,
        post_data={"verdict": "accepted", "comment": "x"}),
    "review:return": Entry(lambda w: {"pk": w.closed_a.pk}, get=OFFICE_POST_ONLY,
                           post=OFFICE_WRITE),
    "review:approve": Entry(lambda w: {"pk": w.closed_a.pk}, get=OFFICE_POST_ONLY,
                            post=OFFICE_WRITE),
    "review:reopen": Entry(lambda w: {"pk": w.closed_a.pk}, get=OFFICE_POST_ONLY,
                           post=OFFICE_WRITE, post_data={"reason": "x"}),
    "review:history": Entry(lambda w: {"pk": w.closed_a.pk}, get=A_AND_OFFICE),
    "review:appeal_file": Entry(lambda w: {"pk": w.published_a.pk},
                                get=roles(LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN),
                                post={"anonymous": LOGIN, "staff_b": NOT_FOUND,
                                      "reviewer": FORBIDDEN, "admin": FORBIDDEN}),
    "review:flag_check": Entry(lambda w: {"pk": w.flag.pk}, get=OFFICE_POST_ONLY,
                               post=OFFICE_WRITE),
    "review:appeal": Entry(lambda w: {"pk": w.appeal.pk}, get=OFFICE),
    "review:appeal_decide": Entry(lambda w: {"pk": w.appeal_item.pk}, get=OFFICE_POST_ONLY,
                                  post=OFFICE_WRITE,
                                  post_data={"decision": "accepted", "reason": "x"}),
    "review:mine": Entry(get=OWN_UNIT),
    # --- analysis (office only, published periods) ------------------------------------------
    "analysis:index": Entry(get=OFFICE),
    "analysis:why": Entry(period_code("P2025"), get=OFFICE),
    "analysis:whatif": Entry(period_code("P2025"), get=OFFICE, post=OFFICE_WRITE,
                             post_data={"name": "x", "save": "1"}),
    "analysis:whatif_json": Entry(period_code("P2025"), get=OFFICE),
    "analysis:whatif_csv": Entry(period_code("P2025"), get=OFFICE),
    "analysis:scenario_delete": Entry(lambda w: {"code": "P2025", "pk": w.scenario.pk},
                                      get=OFFICE_POST_ONLY, post=OFFICE_WRITE),
    "analysis:robustness": Entry(period_code("P2025"), get=OFFICE),
    "analysis:robustness_chart": Entry(lambda w: {"code": "P2025", "ext": "svg"}, get=OFFICE),
    "analysis:comparable": Entry(period_code("P2025"), get=OFFICE),
    "analysis:scenario_compare": Entry(period_code("P2025"), get=OFFICE),
    # --- the admin site: admins only ----------------------------------------------------------
    # (its sign-in page is the portal's, which asks for the second factor: accounts/urls.py)
    "admin:login": Entry(get=roles(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    # the admin's logout sends those it does not know back to its index (then to sign in)
    "admin:logout": Entry(get=roles(BACK, BACK, BACK, BACK, NOT_ALLOWED)),
    "admin:index": Entry(get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)),
    "admin:password_change": Entry(
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)),
    "admin:password_change_done": Entry(
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)),
    "admin:autocomplete": Entry(
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK),
        query="?app_label=assessments&model_name=user&field_name=unit"),
    "admin:jsi18n": Entry(get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)),
    # units have no public URL of their own in the admin: 404 for the admin
    "admin:view_on_site": Entry(
        lambda w: {"content_type_id": ContentType.objects.get_for_model(Unit).pk,
                   "object_id": w.a.pk},
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND)),
    "admin:app_list": Entry(lambda w: {"app_label": "assessments"},
                            get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)),
    "admin:rankings_indicatorcrosswalk_fill": Entry(
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK),
        post={"anonymous": ADMIN_LOGIN, "staff_a": ADMIN_LOGIN, "staff_b": ADMIN_LOGIN,
              "reviewer": ADMIN_LOGIN}),
    "admin:auth_user_password_change": Entry(
        lambda w: {"id": w.users["staff_a"].pk},
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK),
        post={"anonymous": ADMIN_LOGIN, "staff_a": ADMIN_LOGIN, "staff_b": ADMIN_LOGIN,
              "reviewer": ADMIN_LOGIN},
        post_data={"password1": "Another-pw-123", "password2": "Another-pw-123"}),
    # Excel imports in the admin (issue 8): admins only; refused uploads write nothing
    "admin:assessments_period_import_returns": Entry(
        lambda w: {"object_id": Period.objects.get(code="P2027").pk}, get=ADMIN_ONLY,
        post=ADMIN_REFUSED, post_data={"action": "confirm", "token": "x"}),
    # the errors workbook needs a signed token naming a stored upload: 404 without one
    "admin:assessments_period_import_errors": Entry(
        lambda w: {"object_id": Period.objects.get(code="P2027").pk},
        get=roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND)),
    "admin:assessments_period_bulk_template": Entry(
        lambda w: {"object_id": Period.objects.get(code="P2027").pk}, get=ADMIN_ONLY),
    # the audit trail's export (docs/security.md)
    "admin:audit_auditentry_export": Entry(lambda w: {"fmt": "csv"}, get=ADMIN_ONLY),
    "admin:assessments_unit_import": Entry(get=ADMIN_ONLY, post=ADMIN_REFUSED),
    "admin:assessments_unit_process_import": Entry(get=ADMIN_POST_ONLY, post=ADMIN_REFUSED),
    "admin:assessments_unit_export": Entry(get=ADMIN_ONLY, post=ADMIN_REFUSED,
                                           post_data={"format": "0", "resource": "0"}),
    "admin:assessments_framework_import": Entry(get=ADMIN_ONLY, post=ADMIN_REFUSED),
    "admin:assessments_framework_process_import": Entry(get=ADMIN_POST_ONLY,
                                                        post=ADMIN_REFUSED),
}

#: The public pages of a period, asked again with the preview period P2026 (computed, not
#: published): nobody gets them, not even the office (it has the preview page for that).
PREVIEW_PERIOD_PAGES = [name for name in MATRIX if name.startswith("rankings:")
                        and name not in {"rankings:period_list", "rankings:compare"}
                        and not name.startswith("rankings:unit_")]
ADMIN_MODEL_PAGES = ("changelist", "add", "history", "delete", "change")


# --- the URLconf ----------------------------------------------------------------------------

def url_names() -> tuple[set[str], list[str]]:
    """Every URL name of the URLconf with its namespace, and the unnamed patterns."""
    names, unnamed = set(), []

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace \
                        else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
                else:
                    unnamed.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "", None)
    return names, unnamed


def admin_model_names() -> dict[str, tuple]:
    """The standard pages of each registered ModelAdmin: name -> (model, page)."""
    out = {}
    for model in admin.site._registry:
        meta = model._meta
        for page in ADMIN_MODEL_PAGES:
            out[f"admin:{meta.app_label}_{meta.model_name}_{page}"] = (model, page)
    return out


# --- the world ------------------------------------------------------------------------------

class World:
    def __init__(self):
        today = timezone.localdate()
        so = Cohort.objects.create(code="so", name="Sở, ban, ngành", order=1)
        huyen = Cohort.objects.create(code="huyen", name="Huyện, thị xã", order=2)
        self.a = Unit.objects.create(code="SA", name="Sở A", cohort=so)
        self.b = Unit.objects.create(code="HB", name="Huyện B", cohort=huyen)
        fw = framework("RM")

        def period(code, **extra):
            made = Period.objects.create(code=code, name=f"Kỳ {code}", framework=fw,
                                         status=Period.Status.CLOSED, **extra)
            made.cohorts.set([so, huyen])
            return made

        # P2025: published, appeals open until next month
        p25 = period("P2025", appeal_until=today + datetime.timedelta(days=30))
        self.published_a = submit(p25, self.a, FULL, status="approved")
        submit(p25, self.b, FAIR, status="approved")
        publish_snapshot(snapshot=compute_snapshot(period=p25))
        # P2026: closed, computed, not published
        p26 = period("P2026", previous=p25)
        self.closed_a = submit(p26, self.a, FAIR, status="approved")
        submit(p26, self.b, FULL, status="approved")
        self.preview = compute_snapshot(period=p26)
        self.closed_a_answer = self.closed_a.answers.get(indicator__code="lan")
        # P2027: open, A's draft with an evidence file, B's draft
        p27 = period("P2027", previous=p26,
                     deadline=today + datetime.timedelta(days=60))
        Period.objects.filter(pk=p27.pk).update(status=Period.Status.OPEN)
        self.draft_a = Submission.objects.create(period=p27, unit=self.a)
        Submission.objects.create(period=p27, unit=self.b)

        self.users = {
            "staff_a": User.objects.create_user("staff-a", password=PASSWORD, unit=self.a),
            "staff_b": User.objects.create_user("staff-b", password=PASSWORD, unit=self.b,
                                                is_staff=True),
            "reviewer": User.objects.create_user("reviewer", password=PASSWORD,
                                                 role=User.Role.REVIEWER, is_staff=True),
            "admin": User.objects.create_user("admin", password=PASSWORD, role=User.Role.ADMIN,
                                              is_staff=True, is_superuser=True),
        }
        viewing = Permission.objects.filter(codename__startswith="view_")
        for key in ("staff_b", "reviewer"):
            self.users[key].user_permissions.set(viewing)

        self.evidence_a = services.attach_evidence(
            submission=self.draft_a, indicator_code="lan", actor=self.users["staff_a"],
            upload=SimpleUploadedFile("bien-ban.pdf", PDF_BYTES), document_number="12/BB")
        self.draft_a.refresh_from_db()
        draft_answer = Answer.objects.get(submission=self.draft_a, indicator__code="lan")
        self.flag = ReviewFlag.objects.create(answer=draft_answer, kind="evidence",
                                              message="Thiếu tài liệu")
        self.appeal = Appeal.objects.create(submission=self.published_a,
                                            filed_by=self.users["staff_a"], message="Xin xem")
        self.appeal_item = AppealItem.objects.create(
            appeal=self.appeal, answer=self.published_a.answers.get(indicator__code="vb"),
            requested_text="a", reason="Đã có phần mềm")
        self.scenario = Scenario.objects.create(period=p25, name="Nhân đôi hạ tầng",
                                                changes={"groups": {"HT": {"weight": 2}}})
        # one object of every model the admin lists, for its change/history/delete pages
        Review.objects.create(submission=self.closed_a, outcome=Review.Outcome.APPROVED,
                              reviewer=self.users["reviewer"])
        AnswerChange.objects.create(answer=draft_answer, field="value", old="", new="1",
                                    actor=self.users["staff_a"])
        ImportRecord.objects.create(kind="returns", file_name="returns.xlsx", sha256="0" * 64,
                                    period=p27)
        indicators = list(fw.indicators.order_by("code")[:2])
        IndicatorCrosswalk.objects.create(source=indicators[0], target=indicators[1])
        Group.objects.create(name="Nhóm thử")
        # sign-in records and an authenticator not yet confirmed (a confirmed one would
        # ask its owner for a code on every page)
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        from accounts.models import TOTPDevice

        where = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "x",
                 "http_accept": "*/*", "path_info": "/login/"}
        AccessAttempt.objects.create(**where, get_data="", post_data="",
                                     failures_since_start=1)
        AccessFailureLog.objects.create(**where)
        AccessLog.objects.create(**where)
        TOTPDevice.objects.create(user=self.users["staff_b"], secret="A" * 32)
        self.periods = {"P2025": p25, "P2026": p26, "P2027": p27}

    def admin_object(self, model):
        """The object of ``model`` shown on its admin change page: unit A's where there
        is a choice (staff of A), else any."""
        if model is User:
            return self.users["staff_a"]
        return model._default_manager.order_by("pk").first()


def fingerprint() -> str:
    """A digest of every row of every table except sessions (and users' last sign-in)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model is Session or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        for row in model._default_manager.order_by("pk").values_list(*fields):
            digest.update(repr((model._meta.label, row)).encode())
    return digest.hexdigest()


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    return World()


def clients(world) -> dict[str, Client]:
    out = {"anonymous": Client()}
    for role, user in world.users.items():
        out[role] = Client()
        out[role].force_login(user)
    return out


# --- checking one answer --------------------------------------------------------------------

def verdict(response, expected) -> str | None:
    """None if ``response`` is ``expected``, else what it was."""
    status = response.status_code
    location = response.get("Location", "")
    path = urlsplit(location).path
    if expected == LOGIN:
        ok = status == 302 and path in ("/login/", "/en/login/")
    elif expected == ADMIN_LOGIN:
        ok = status == 302 and path in ("/admin/login/", "/en/admin/login/")
    elif expected == BACK:
        ok = status == 302 and not path.endswith("/login/")
    else:
        ok = status == expected
    return None if ok else f"{status} {location}".strip()


def check(client, method, url, expected, data=None) -> str | None:
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data or {})
    got = verdict(response, expected)
    return None if got is None else f"{method.upper()} {url}: expected {expected}, got {got}"


def build_url(name: str, entry_kwargs: dict, query: str = "") -> str:
    return reverse(name, kwargs=entry_kwargs) + query


def admin_expectations(world, user, model, page) -> tuple[dict, dict, dict | None]:
    """kwargs, GET answers and POST answers of a standard ModelAdmin page. The admin gets
    what the ModelAdmin allows (403 where it refuses, e.g. adding a transition by hand);
    nobody else gets in."""
    from django.test import RequestFactory

    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    obj = world.admin_object(model)
    if obj is None and page not in ("changelist", "add"):
        pytest.fail(f"The admin lists {model._meta.label} but the World of test_role_matrix "
                    "has no object of it: create one, so its change, history and delete "
                    "pages are checked.")
    kwargs = {} if page in ("changelist", "add") else {"object_id": obj.pk}
    allowed = {
        "changelist": model_admin.has_view_or_change_permission(request),
        "add": model_admin.has_add_permission(request),
        "history": model_admin.has_view_or_change_permission(request, obj),
        "change": model_admin.has_view_or_change_permission(request, obj),
        "delete": model_admin.has_delete_permission(request, obj),
    }[page]
    get = roles(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN,
                OK if allowed else FORBIDDEN)
    post = None
    if page in ("add", "change", "delete"):
        post = {role: ADMIN_LOGIN for role in ROLES if role != "admin"}
    return kwargs, get, post


# --- the tests ------------------------------------------------------------------------------

def test_every_url_name_is_classified():
    names, unnamed = url_names()
    known = set(MATRIX) | set(admin_model_names())
    missing = sorted(names - known)
    assert not missing, ("URL names without an expectation in test_role_matrix.MATRIX "
                         f"(classify them): {missing}")
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX lists URL names the URLconf no longer has: {stale}"
    # unnamed patterns: only the admin's own (object redirect and catch-all)
    assert all(p.startswith("admin/") for p in unnamed), unnamed


@pytest.mark.parametrize("language", ["vi", "en"])
def test_role_matrix(world, language):
    """Every URL name, every role, GET; the writes POSTed by the refused roles change
    nothing."""
    names, _unnamed = url_names()
    admin_pages = admin_model_names()
    users = clients(world)
    gets, posts = [], []
    unclassified = sorted(names - set(MATRIX) - set(admin_pages))
    with translation.override(language):
        for name in sorted(names):
            if name in unclassified:
                continue  # named by test_every_url_name_is_classified; the rest still checked
            if name in admin_pages:
                model, page = admin_pages[name]
                kwargs, get, post = admin_expectations(world, world.users["admin"], model,
                                                       page)
                entry = Entry(lambda w, k=kwargs: k, get=get, post=post)
            else:
                entry = MATRIX[name]
            url = build_url(name, entry.kwargs(world), entry.query)
            if language == "en":
                assert url.startswith("/en/") or name == "set_language", url
            gets += [(url, role, entry.get[role]) for role in ROLES]
            posts += [(url, role, expected, entry.post_data)
                      for role, expected in (entry.post or {}).items()]
    problems = [check(users[role], "get", url, expected) for url, role, expected in gets]
    before = fingerprint()
    problems += [check(users[role], "post", url, expected, data)
                 for url, role, expected, data in posts]
    assert fingerprint() == before, "a refused POST wrote to the database"
    problems = [p for p in problems if p]
    problems += [f"{name}: no expectation in MATRIX" for name in unclassified]
    assert not problems, f"{len(problems)} answers differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", PREVIEW_PERIOD_PAGES)
def test_unpublished_results_are_nobodys_outside_the_office(world, name):
    """A computed but unpublished snapshot: its public pages and downloads are 404 for
    everybody (the office reads it on its preview page), with or without a session."""
    kwargs = MATRIX[name].kwargs(world) | {"code": "P2026"}
    url = build_url(name, kwargs)
    users = clients(world)
    problems = [check(users[role], "get", url, NOT_FOUND) for role in ROLES]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["rankings:unit_profile", "rankings:unit_download",
                                  "rankings:unit_chart", "rankings:compare"])
def test_unit_pages_never_show_a_preview_period(world, name):
    kwargs = MATRIX[name].kwargs(world)
    query = "?ky=P2026" + ("&don_vi=SA&don_vi=HB" if name == "rankings:compare" else "")
    url = build_url(name, kwargs, query)
    users = clients(world)
    problems = [check(users[role], "get", url, NOT_FOUND) for role in ROLES]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_the_preview_is_the_offices_only(world):
    """The office's preview page shows the unpublished snapshot; unit staff get 403."""
    users = clients(world)
    url = reverse("review:preview", args=["P2026"]) + f"?lan={world.preview.number}"
    assert users["reviewer"].get(url).status_code == 200
    for role in ("staff_a", "staff_b"):
        assert users[role].get(url).status_code == 403
    assert users["anonymous"].get(url).status_code == 302


def test_admin_site_refuses_accounts_flagged_staff_that_are_not_admins(world):
    """A reviewer or a unit's staff with Django's "staff status" ticked and every view
    permission still cannot read the admin (users, other units' answers, evidence)."""
    users = clients(world)
    for role in ("staff_b", "reviewer"):
        for url in (reverse("admin:index"), reverse("admin:assessments_answer_changelist"),
                    reverse("admin:assessments_user_changelist"),
                    reverse("admin:assessments_answer_change",
                            args=[world.closed_a_answer.pk])):
            response = users[role].get(url)
            assert response.status_code == 302, (role, url)
            assert "/admin/login/" in response["Location"]
    assert users["admin"].get(reverse("admin:assessments_answer_changelist")).status_code == 200


def test_admin_catch_all_sends_others_to_sign_in(world):
    users = clients(world)
    url = "/admin/khong-co/"
    for role in ("anonymous", "staff_a", "staff_b", "reviewer"):
        response = users[role].get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], role
    assert users["admin"].get(url).status_code == 404


def test_the_admin_sites_own_check_is_kept(world):
    """An admin account without Django's staff flag (or switched off) stays out too."""
    admin_user = world.users["admin"]
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).status_code == 200
    User.objects.filter(pk=admin_user.pk).update(is_staff=False)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
