"""The units of the API's numbers, said once (issue 17: "money is integer yuan with
nothing saying so"). An output or input schema names its money, area, percentage and
figure fields with ``Field(..., description=YUAN)`` and the like, so a client generated
from the document knows what a number counts; ``tests/test_api_units.py`` walks the
document and fails on a money, area or rate field without its unit.

Dates are ``format: date`` (``YYYY-MM-DD``, the local calendar day) and moments
``format: date-time`` (ISO 8601 with the offset), as pydantic declares them.
"""

from __future__ import annotations

YUAN = "Money in yuan (元), a whole number: no fen, no 万元."
YUAN_OPTIONAL = f"{YUAN} null: not known (yet)."
YUAN_PATCH = f"{YUAN} Omitted or null: left as it is."
YUAN_LIMIT = f"{YUAN} The villages whose collective income is at least this many yuan."
SQUARE_METRES = "Area in square metres (m²), two decimal places; null: not given."
CAPACITY = "The planned capacity, in the unit of capacity_unit; null: not given."
PERCENT = (
    "A percentage (0–100, one decimal place, as a decimal string); null: nothing to divide by."
)
PAIRING_VALUE = (
    "For the income and funds indicators money in yuan (元), a whole number; for "
    "projects a count of projects."
)
CAMPAIGN_DONE = "How many of the campaign's visits (households, members …) are done: a count."
CAMPAIGN_TARGET = (
    "How many the campaign (or team, or venue category) sets out to do; null: no target."
)
WEIGHT = "The criterion's weight (a decimal): the weights of a competition sum to 100 or to 1."
COMPOSITE_WEIGHT = (
    "The indicator's weight in the composite, in percent (a decimal string): the members' "
    "weights sum to 100."
)
COMPOSITE_SCORE = (
    "The unit's score on the indicator, 0 to 100 (a decimal string): its completion rate "
    "capped at 100, or, without targets, its value against the best unit's."
)
COMPOSITE_POINTS = "weight × score / 100, to 0.01 (a decimal string): what the indicator adds."
COMPOSITE_TOTAL = "The composite score: the sum of the parts' points, to 0.01 (a decimal string)."
MAX_SCORE = "The highest score a judge may give on the criterion (a decimal)."
FINAL_SCORE = "The entry's weighted score (a decimal string), null until scoring is closed."
SCORES = "criterion id → the score given (a decimal, 0 to the criterion's max_score)."
METRIC_VALUE = (
    "The figure in the metric's unit (unit: 个, 人, 次 … or 元 for money, yuan as a "
    "whole number), as a decimal string."
)
METRIC_PREVIOUS = f"{METRIC_VALUE} Of the previous period; null: not comparable."
METRIC_YEAR_AGO = f"{METRIC_VALUE} Of the same period a year before; null: not comparable."
METRIC_ATTRIBUTED = (
    f"{METRIC_VALUE} The part booked on the grouping itself rather than on a member; null: none."
)
INDICATOR_TARGET = "The target, in the indicator's unit (unit), as a decimal string."
INDICATOR_ACTUAL = "The actual value, in the indicator's unit (unit), as a decimal string."
INDICATOR_COMPLETION = (
    "The actual as a percentage of the target (a decimal string); null: no target or no actual."
)
