"""Departments of Dadukou district: codes are identifiers, names are what people see."""

DEPARTMENTS: dict[str, str] = {
    "urban_mgmt": "城市管理局",
    "market_reg": "市场监督管理局",
    "ecology_env": "生态环境局",
    "culture_tourism": "文化旅游委",
    "transport": "交通局",
    "agri_rural": "农业农村委",
    "emergency": "应急管理局",
    "public_security": "公安分局",
    "housing": "住房城乡建委",
    "legal_center": "法制审核中心",  # the district's legal review centre (行政处罚 法制审核)
    # The eight streets and towns (街道、镇) are departments too: 事件 go to the locality first.
    "xinshancun": "新山村街道",
    "yuejincun": "跃进村街道",
    "jiugongmiao": "九宫庙街道",
    "qiezixi": "茄子溪街道",
    "chunhuilu": "春晖路街道",
    "baqiao": "八桥镇",
    "jiansheng": "建胜镇",
    "tiaodeng": "跳磴镇",
}


def department_name(code: str | None) -> str | None:
    return DEPARTMENTS.get(code) if code else None
