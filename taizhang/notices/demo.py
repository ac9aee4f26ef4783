"""Demo: notices between the district, its streets and their communities.

Every text is invented. The district asked every street, four days ago, to acknowledge
a notice by the day after tomorrow: some streets acknowledged, some only read it, some
have not opened it. Street A sent a notice to its communities whose deadline passed
yesterday, acknowledged by one community only (the board shows the others overdue). A
notice without acknowledgement and a district draft complete the lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.core.demo import DEMO_PASSWORD, working_moment
from taizhang.notices import services
from taizhang.notices.models import Audience
from taizhang.people.models import Person

PDF = b"%PDF-1.4\n%demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ASSESSMENT = (
    "关于做好2026年度基层党建工作述职评议考核准备工作的通知",
    "各街道党工委：\n\n"
    "根据区委工作安排，2026年度基层党建工作述职评议考核将于下月中旬开展。"
    "请各街道党工委对照年初签订的党建工作责任书，梳理全年重点任务完成情况，"
    "形成书面述职报告（不超过3000字），并同步整理相关台账资料。\n\n"
    "述职报告请于本月底前报区委组织部组织科，电子版通过本平台附件上传。"
    "请各单位收到通知后在平台确认收到。\n\n"
    "附件：述职评议考核工作安排表",
)
DUTY = (
    "关于做好元旦期间值班值守工作的通知",
    "各街道、区直各单位：\n\n"
    "元旦假期将至，请各单位严格落实领导带班和24小时值班制度，"
    "值班人员保持通讯畅通，遇有重要情况及时报告。\n\n"
    "值班表请于假期前两个工作日报区委办公室。",
)
FIRE_CHECK = (
    "关于开展冬季消防安全隐患排查的通知",
    "各社区党委：\n\n"
    "入冬以来，辖区电动自行车充电、老旧小区用电等消防安全隐患增多。"
    "请各社区组织网格员对楼栋通道、充电点位开展一次全面排查，"
    "建立隐患清单，能立即整改的立即整改，不能立即整改的纳入问题清单挂账销号。\n\n"
    "请收到通知后确认，排查情况于周五前报街道党工委。",
)
DRAFT = (
    "关于征集2027年为民办实事项目建议的通知（征求意见稿）",
    "各街道党工委：\n\n请广泛征集群众意见，提出2027年为民办实事项目建议。",
)


def _staff(ctx: Any, username: str, org: Any) -> Any:
    """A clerk at ``org`` (not a documented login): the unit's own staff."""
    person = Person.objects.filter(organization=org, user__isnull=True).order_by("pk").first()
    user = user_create(
        username=username,
        password=DEMO_PASSWORD,
        person=person,
        must_change_password=False,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user, role="clerk", scope_kind=ScopeKind.ORG, organization=org, acting_user=SYSTEM
    )
    return user


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def load(ctx: Any) -> None:
    if ctx.district is None or len(ctx.subdistricts) < 2 or not ctx.users:
        return
    rng = ctx.rng
    today = timezone.localdate()
    district_user = ctx.users.get("district", SYSTEM)
    streets = list(ctx.subdistricts)
    readers: dict[int, Any] = {
        streets[0].pk: ctx.users.get("street_a"),
        streets[1].pk: ctx.users.get("street_b"),
    }
    for index, street in enumerate(streets[2:4], start=3):
        readers[street.pk] = _staff(ctx, f"notice_street_{index}", street)

    def at(days_ago: int) -> dt.datetime:
        return working_moment(today - dt.timedelta(days=days_ago), rng)

    # 10 days ago, no acknowledgement: every street has read it except the last ones.
    duty = services.notice_create(
        org=ctx.district,
        title=DUTY[0],
        body=DUTY[1],
        audience=Audience.CHOSEN,
        chosen_units=streets,
        acting_user=district_user,
    )
    duty = services.notice_publish(notice=duty, acting_user=district_user, when=at(10))
    for street in streets[1:3]:
        if readers.get(street.pk):
            services.notice_read(notice=duty, viewer=readers[street.pk], when=at(9))

    # 4 days ago, acknowledgement by the day after tomorrow.
    assessment = services.notice_create(
        org=ctx.district,
        title=ASSESSMENT[0],
        body=ASSESSMENT[1],
        audience=Audience.CHOSEN,
        chosen_units=streets,
        requires_ack=True,
        ack_deadline=today + dt.timedelta(days=2),
        attachments=[_pdf("述职评议考核工作安排表.pdf")],
        acting_user=district_user,
    )
    assessment = services.notice_publish(notice=assessment, acting_user=district_user, when=at(4))
    # Street A and the third street acknowledged; street B and the fourth only read it.
    for street, ack in ((streets[0], True), (streets[1], False)) + tuple(
        (s, i == 0) for i, s in enumerate(streets[2:4])
    ):
        reader = readers.get(street.pk)
        if reader is None:
            continue
        services.notice_read(notice=assessment, viewer=reader, when=at(3))
        if ack:
            services.notice_acknowledge(notice=assessment, acting_user=reader, when=at(3))

    # Street A to its communities: the deadline passed yesterday.
    street_a_user = ctx.users.get("street_a", SYSTEM)
    fire = services.notice_create(
        org=streets[0],
        title=FIRE_CHECK[0],
        body=FIRE_CHECK[1],
        audience=Audience.SUBTREE,
        levels=1,
        requires_ack=True,
        ack_deadline=today - dt.timedelta(days=1),
        acting_user=street_a_user,
    )
    fire = services.notice_publish(notice=fire, acting_user=street_a_user, when=at(3))
    community_user = ctx.users.get("community")
    if community_user is not None:
        services.notice_acknowledge(notice=fire, acting_user=community_user, when=at(2))

    services.notice_create(
        org=ctx.district, title=DRAFT[0], body=DRAFT[1], acting_user=district_user
    )
