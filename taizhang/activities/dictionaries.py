"""The activity kinds and venue categories every database starts with; administrators
extend them through the services."""

KINDS = [
    ("group_study", "集中学习", 10),
    ("party_lecture", "主题党课", 20),
    ("party_day", "主题党日", 30),
    ("outreach_talk", "宣讲", 40),
    ("meeting", "会议", 50),
    ("survey", "调研/考察", 60),
    ("site_teaching", "现场教学", 70),
    ("volunteer", "志愿服务", 80),
]
VENUES = [
    ("enterprise", "企业", 10),
    ("organ", "机关", 20),
    ("campus", "校园", 30),
    ("community", "社区", 40),
    ("village", "农村", 50),
    ("online", "网络", 60),
    ("other", "其他", 90),
]
