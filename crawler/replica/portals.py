"""The portals the replica serves: hostnames, platform and the chrome around their pages.

The list is the crawler's registry (crawler/portals.yml): every portal that still answers,
under all its domains, with the registry's platform. Defunct portals (thuathienhue.gov.vn,
huecity.gov.vn) are left out on purpose: they no longer resolve, so the replica answers
"unknown host".

The chrome (banner, owner, footer address and phone, menu) of the first portals was written
by hand and is kept as is; the others' is derived from the registry entry. Addresses and
phone numbers are illustrative, written in the portals' style (the replica needs a footer,
not a directory).
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.registry import Portal as RegistryPortal
from crawler.registry import load_registry

from .naming import key_hash


@dataclass(frozen=True)
class MenuLink:
    """One entry of a portal's top menu; several lead to pages the replica does not have (404)."""

    label: str
    path: str


@dataclass(frozen=True)
class Portal:
    """What a portal's pages say about the site itself."""

    id: str
    platform: str
    hosts: tuple[str, ...]  # the first is canonical; the others are aliases (www.)
    site_name: str  # in <title> and the header banner
    owner: str  # "Bản quyền thuộc về …"
    address: str
    phone: str
    section_name: str  # the news section the replica serves
    menu: tuple[MenuLink, ...]
    status: str = "live"  # the registry's: live | moved
    locality: str = ""  # "tỉnh Kon Tum", "thành phố Cần Thơ"; "" for the central sites

    @property
    def host(self) -> str:
        """The canonical hostname."""
        return self.hosts[0]


@dataclass(frozen=True)
class Chrome:
    """The hand-written part of a portal's pages; `menu` None takes its platform's menu."""

    site_name: str
    owner: str
    address: str
    phone: str
    section_name: str
    menu: tuple[MenuLink, ...] | None = None


def _menu(*entries: tuple[str, str]) -> tuple[MenuLink, ...]:
    return tuple(MenuLink(label, path) for label, path in entries)


# Each platform's top menu, in its URL style (the first five were copied from the hand-written portals).
PLATFORM_MENUS: dict[str, tuple[MenuLink, ...]] = {
    "sharepoint_tandan": _menu(
        ("Trang chủ", "/Pages/default.aspx"),
        ("Giới thiệu", "/Pages/Gioi-thieu.aspx"),
        ("Tin tức - Sự kiện", "/Pages/Tin-tuc-su-kien.aspx"),
        ("Văn bản", "/Pages/Van-ban-chi-dao-dieu-hanh.aspx"),
        ("Thủ tục hành chính", "/Pages/Thu-tuc-hanh-chinh.aspx"),
        ("Liên hệ", "/Pages/Lien-he.aspx"),
    ),
    "sharepoint_ministry": _menu(
        ("Trang chủ", "/Pages/default.aspx"),
        ("Giới thiệu", "/Pages/gioi-thieu.aspx"),
        ("Tin tức - Sự kiện", "/Pages/news.aspx?CatId=104"),
        ("Văn bản", "/Pages/van-ban.aspx"),
        ("Liên hệ", "/Pages/lien-he.aspx"),
    ),
    "dnn": _menu(
        ("Trang chủ", "/Default.aspx?tabid=36"),
        ("Giới thiệu", "/Default.aspx?tabid=41"),
        ("Tin tức - Sự kiện", "/Default.aspx?tabid=63"),
        ("Văn bản", "/Default.aspx?tabid=1025"),
        ("Liên hệ", "/Default.aspx?tabid=98"),
    ),
    "hue_portal": _menu(
        ("Trang chủ", "/"),
        ("Giới thiệu", "/?gd=2"),
        ("Tin tức - Sự kiện", "/?gd=1&cn=129"),
        ("Văn bản", "/?gd=14"),
        ("Liên hệ", "/?gd=30"),
    ),
    "hanoi_cms": _menu(
        ("Trang chủ", "/"),
        ("Giới thiệu", "/gioi-thieu"),
        ("Tin tức - Sự kiện", "/tin-tuc-su-kien-noi-bat"),
        ("Văn bản", "/van-ban"),
        ("Liên hệ", "/lien-he"),
    ),
    "liferay": _menu(
        ("Trang chủ", "/"),
        ("Giới thiệu", "/gioi-thieu"),
        ("Tin tức - Sự kiện", "/tin-tuc-su-kien"),
        ("Văn bản", "/van-ban-chi-dao-dieu-hanh"),
        ("Thủ tục hành chính", "/thu-tuc-hanh-chinh"),
        ("Liên hệ", "/lien-he"),
    ),
    # Portals of unknown make (generic, postdate_cms): most of their layouts file news here.
    "generic": _menu(
        ("Trang chủ", "/"),
        ("Giới thiệu", "/gioi-thieu"),
        ("Tin tức - Sự kiện", "/tin-tuc-su-kien"),
        ("Văn bản", "/van-ban"),
        ("Liên hệ", "/lien-he"),
    ),
    "react_api": (),  # drawn by JavaScript in the browser
}

# The chrome written by hand for the portals the replica first served; their pages stay byte-identical.
HAND_WRITTEN_CHROME: dict[str, Chrome] = {
    "hanam": Chrome(
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH HÀ NAM",
        owner="Ủy ban nhân dân tỉnh Hà Nam",
        address="Số 90 đường Trần Phú, phường Quang Trung, thành phố Phủ Lý, tỉnh Hà Nam",
        phone="0226.3852.701",
        section_name="Tin tức - Sự kiện",
    ),
    "backan": Chrome(
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH BẮC KẠN",
        owner="Ủy ban nhân dân tỉnh Bắc Kạn",
        address="Tổ 1, phường Đức Xuân, thành phố Bắc Kạn, tỉnh Bắc Kạn",
        phone="0209.3870.112",
        section_name="Tin tức - Sự kiện",
    ),
    "vinhlong": Chrome(
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH VĨNH LONG",
        owner="Ủy ban nhân dân tỉnh Vĩnh Long",
        address="Số 88 đường Hoàng Thái Hiếu, Phường 1, thành phố Vĩnh Long, tỉnh Vĩnh Long",
        phone="0270.3823.161",
        section_name="Tin tức - Sự kiện",
    ),
    "hue": Chrome(
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ THÀNH PHỐ HUẾ",
        owner="Ủy ban nhân dân thành phố Huế",
        address="Số 16 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        phone="0234.3822.541",
        section_name="Dân vận chính quyền",
    ),
    "hanoi": Chrome(
        site_name="CỔNG GIAO TIẾP ĐIỆN TỬ THÀNH PHỐ HÀ NỘI",
        owner="Ủy ban nhân dân thành phố Hà Nội",
        address="Số 12 Lê Lai, phường Hoàn Kiếm, thành phố Hà Nội",
        phone="024.3825.3536",
        section_name="Tin tức sự kiện nổi bật",
    ),
    "danvan": Chrome(
        site_name="BAN DÂN VẬN TRUNG ƯƠNG",
        owner="Ban Dân vận Trung ương",
        address="Số 105B Quán Thánh, quận Ba Đình, thành phố Hà Nội",
        phone="080.43.568",
        section_name="Dân vận chính quyền",
        menu=_menu(
            ("Trang chủ", "/"),
            ("Giới thiệu", "/gioi-thieu"),
            ("Tin tức - Sự kiện", "/tin-tuc-su-kien/dan-van-chinh-quyen"),
            ("Văn bản", "/van-ban"),
            ("Liên hệ", "/lien-he"),
        ),
    ),
    "tuyengiaodanvan": Chrome(
        site_name="BAN TUYÊN GIÁO VÀ DÂN VẬN TRUNG ƯƠNG",
        owner="Ban Tuyên giáo và Dân vận Trung ương",
        address="Số 105B Quán Thánh, phường Ba Đình, thành phố Hà Nội",
        phone="080.48.166",
        section_name="Tin tức - Sự kiện",
    ),
}

DEFAULT_SECTION_NAME = "Tin tức - Sự kiện"
LOCALITY_WORDS = ("tỉnh ", "thành phố ")  # how a portal's name introduces its province or city
# Telephone area codes (since 2017) by portal: the footer's number starts with the province's own.
AREA_CODES: dict[str, str] = {
    "hanoi": "024", "hochiminhcity": "028", "haiphong": "0225", "danang": "0236", "cantho": "0292",
    "hue": "0234", "angiang": "0296", "bacninh": "0222", "camau": "0290", "caobang": "0206",
    "daklak": "0262", "dienbien": "0215", "dongnai": "0251", "dongthap": "0277", "gialai": "0269",
    "hatinh": "0239", "hungyen": "0221", "khanhhoa": "0258", "laichau": "0213", "lamdong": "0263",
    "langson": "0205", "laocai": "0214", "nghean": "0238", "ninhbinh": "0229", "phutho": "0210",
    "quangngai": "0255", "quangninh": "0203", "quangtri": "0233", "sonla": "0212", "tayninh": "0276",
    "thainguyen": "0208", "thanhhoa": "0237", "tuyenquang": "0207", "vinhlong": "0270",
    "bacgiang": "0204", "backan": "0209", "baclieu": "0291", "baria_vungtau": "0254", "bentre": "0275",
    "binhdinh": "0256", "binhduong": "0274", "binhphuoc": "0271", "binhthuan": "0252", "daknong": "0261",
    "hagiang": "0219", "haiduong": "0220", "hanam": "0226", "haugiang": "0293", "hoabinh": "0218",
    "kiengiang": "0297", "kontum": "0260", "longan": "0272", "namdinh": "0228", "ninhthuan": "0259",
    "phuyen": "0257", "quangbinh": "0232", "quangnam": "0235", "soctrang": "0299", "thaibinh": "0227",
    "tiengiang": "0273", "travinh": "0294", "vinhphuc": "0211", "yenbai": "0216",
}
# Names common to streets and wards all over the country, for the illustrative footer address.
STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Hùng Vương", "Quang Trung", "Nguyễn Huệ", "Trần Phú", "Lê Duẩn", "Hai Bà Trưng")
WARDS = ("Trung tâm", "Quang Trung", "Lê Lợi", "Trần Hưng Đạo", "Minh Khai", "Tân Thịnh", "Hòa Bình", "Thống Nhất")


def locality(name: str) -> str:
    """`Cổng thông tin điện tử tỉnh Kon Tum` -> `tỉnh Kon Tum`; '' when the name names no province or city."""
    lowered = name.lower()
    starts = [lowered.find(word) for word in LOCALITY_WORDS if word in lowered]
    return name[min(starts):] if starts else ""


def generated_chrome(entry: RegistryPortal) -> Chrome:
    """The chrome of a portal nobody described by hand, from its registry entry."""
    place = locality(entry.name)
    number = key_hash("address", entry.id)
    return Chrome(
        site_name=entry.name.upper(),
        owner=f"Ủy ban nhân dân {place}" if place else entry.name,
        address=f"Số {1 + number % 199} đường {STREETS[number % len(STREETS)]}, "
                f"phường {WARDS[number // 7 % len(WARDS)]}, {place or entry.province}",
        phone=_phone(entry.id),
        section_name=DEFAULT_SECTION_NAME,
    )


def _phone(portal_id: str) -> str:
    """`0260.3862.415`, or `028.3829.6052` where the area code has three digits (Hà Nội, TP. Hồ Chí Minh)."""
    number = key_hash("phone", portal_id)
    area = AREA_CODES.get(portal_id, f"02{number % 100:02d}")
    if len(area) == 3:
        return f"{area}.38{number % 100:02d}.{number // 100 % 10000:04d}"
    return f"{area}.38{number % 100:02d}.{number // 100 % 1000:03d}"


def replica_portal(entry: RegistryPortal) -> Portal:
    """A registry entry as the replica serves it."""
    chrome = HAND_WRITTEN_CHROME.get(entry.id) or generated_chrome(entry)
    menu = chrome.menu if chrome.menu is not None else PLATFORM_MENUS.get(entry.platform, PLATFORM_MENUS["generic"])
    return Portal(
        id=entry.id,
        platform=entry.platform,
        hosts=entry.domains,
        site_name=chrome.site_name,
        owner=chrome.owner,
        address=chrome.address,
        phone=chrome.phone,
        section_name=chrome.section_name,
        menu=menu,
        status=entry.status,
        locality=locality(entry.name),
    )


PORTALS: tuple[Portal, ...] = tuple(replica_portal(entry) for entry in load_registry().portals if entry.status != "defunct")
PORTALS_BY_ID: dict[str, Portal] = {portal.id: portal for portal in PORTALS}
HOSTS: dict[str, str] = {host: portal.id for portal in PORTALS for host in portal.hosts}
