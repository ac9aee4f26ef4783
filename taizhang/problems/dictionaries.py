"""The kinds every problem list starts with; administrators extend them with
``problem_kind_create``."""

KINDS = [
    ("problem", "问题", 10),
    ("tackling", "攻关事项", 20),
    ("survey_topic", "调研课题", 30),
    ("practical_matter", "为民办实事项目", 40),
    ("secretary_led", "书记领跑项目", 50),
]
