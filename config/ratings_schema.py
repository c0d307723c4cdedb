"""The ``[ratings]`` section of a hall config: 好差评 (docs/ratings.md).

Region code, the problem options a citizen may tick, the 追加评价 period, the 差评
follow-up deadlines in working days, and ``[ratings.push]``, the provincial platform's
endpoint. Credentials never live in the TOML: ``credentials_file`` names a file holding
the token (or the environment variable ``credentials_env`` holds it)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .invalid import Invalid
from .urls import http_address, http_headers

DEFAULT_PROBLEMS = ["服务态度差", "办事效率低", "多次跑动", "材料告知不清", "其他"]
# GB/T 39046-2020 Table 9 items, and the two more a push carries (hall/rating_push.py)
PUSH_ITEMS = ("办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划",
              "事项编码", "问题选项")
CHANNEL_NAMES = ("政务服务网", "移动服务端", "政务大厅其他终端", "二维码", "短信", "电话")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RatingsPush(_Section):
    """Where ratings go: the provincial 好差评 platform (empty ``url``: not pushed)."""

    url: str = ""
    # the national 满意度代码 is descending (1 非常满意 … 5 非常不满意); several provincial
    # interfaces count the other way (5 非常满意): "ascending"
    level_direction: Literal["descending", "ascending"] = "descending"
    region_digits: Literal[6, 9, 12] = 12  # 行政区划 length the platform takes
    credentials_file: str = ""  # a file whose first line is the token (chmod 600)
    credentials_env: str = "JIAOHAO_RATINGS_TOKEN"  # or this environment variable
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"  # "" sends the token alone
    # Table 9 item (中文名) -> the platform's field name; unlisted items keep the defaults
    # of hall.rating_push.DEFAULT_FIELDS
    fields: dict[str, str] = Field(default_factory=dict)
    # 评价渠道 name -> the platform's code for it, e.g. {二维码 = "3"}; unlisted: the name
    channels: dict[str, str] = Field(default_factory=dict)
    # a 2xx answer is accepted only when this JSON field is one of ok_values ("" : any 2xx)
    ok_field: str = "code"
    ok_values: list[str] = Field(default_factory=lambda: ["0", "200"])
    timeout_s: float = Field(10.0, gt=0, le=120)

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        for item, name in v.items():
            if item not in PUSH_ITEMS:
                raise Invalid(f"{item!r} is not an item of the push; the items are {', '.join(PUSH_ITEMS)}",
                              f"推送里没有 {item!r} 这一项；可用的项：{'、'.join(PUSH_ITEMS)}")
            if not name.strip():
                raise Invalid(f"the field name for {item} is empty", f"{item} 的字段名是空的")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name not in CHANNEL_NAMES:
                raise Invalid(f"{name!r} is not a GB/T 39046 channel; the channels are {', '.join(CHANNEL_NAMES)}",
                              f"{name!r} 不是 GB/T 39046 的评价渠道；渠道有：{'、'.join(CHANNEL_NAMES)}")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return http_address(v, "url") if v else v

    @field_validator("auth_header")
    @classmethod
    def _auth_header(cls, v: str) -> str:
        return next(iter(http_headers({v: ""}))) if v else v


class Ratings(_Section):
    """好差评: cases, ratings and 差评 follow-ups."""

    region_code: str = ""  # 行政区划代码 of the hall: 6, 9 or 12 digits, e.g. "110105000000"
    case_prefix: str = Field("", pattern=r"^[A-Za-z0-9_-]{0,20}$")  # hall-local 办件编号 prefix; empty: "JH" + the region code
    append_days: int = Field(7, ge=0, le=366)  # a 追加评价 within this many days of the first
    problems: list[str] = Field(default_factory=lambda: list(DEFAULT_PROBLEMS), min_length=1)
    callback_days: int = Field(1, ge=0, le=30)  # 差评: contact the citizen (核实) within, working days
    rectify_days: int = Field(15, ge=1, le=90)  # 差评: rectified within, working days (some provinces: 5)
    warn_days: int = Field(2, ge=0, le=30)  # warn this many working days before a deadline
    max_extend_days: int = Field(15, ge=0, le=90)  # 延期: at most this many working days, once
    push: RatingsPush = RatingsPush()

    @field_validator("region_code")
    @classmethod
    def _region(cls, v: str) -> str:
        if v and not (v.isascii() and v.isdigit() and len(v) in (6, 9, 12)):
            raise Invalid(f"region_code must be 6, 9 or 12 digits (行政区划代码), e.g. \"110105\", not {v!r}",
                          f"region_code（行政区划代码）须为 6、9 或 12 位数字，如 \"110105\"，不是 {v!r}")
        return v

    @field_validator("problems")
    @classmethod
    def _problems(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v) or any(not p.strip() or len(p) > 40 for p in v):
            raise Invalid("problems must be distinct, non-empty, at most 40 characters each",
                          "problems 里每一项都不能重复、不能为空、最多 40 个字")
        return v
