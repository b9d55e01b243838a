"""The portals the replica serves: hostnames, platform and the chrome around their pages.

Names follow the real sites; addresses and phone numbers are illustrative, written in the
portals' style (the replica needs a footer, not a directory). thuathienhue.gov.vn is not
here on purpose: that portal no longer resolves, so the replica answers "unknown host".
"""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def host(self) -> str:
        """The canonical hostname."""
        return self.hosts[0]


def _hosts(domain: str) -> tuple[str, ...]:
    return (domain, f"www.{domain}")


PORTALS: tuple[Portal, ...] = (
    Portal(
        id="hanam",
        platform="sharepoint_tandan",
        hosts=_hosts("hanam.gov.vn"),
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH HÀ NAM",
        owner="Ủy ban nhân dân tỉnh Hà Nam",
        address="Số 90 đường Trần Phú, phường Quang Trung, thành phố Phủ Lý, tỉnh Hà Nam",
        phone="0226.3852.701",
        section_name="Tin tức - Sự kiện",
        menu=(
            MenuLink("Trang chủ", "/Pages/default.aspx"),
            MenuLink("Giới thiệu", "/Pages/Gioi-thieu.aspx"),
            MenuLink("Tin tức - Sự kiện", "/Pages/Tin-tuc-su-kien.aspx"),
            MenuLink("Văn bản", "/Pages/Van-ban-chi-dao-dieu-hanh.aspx"),
            MenuLink("Thủ tục hành chính", "/Pages/Thu-tuc-hanh-chinh.aspx"),
            MenuLink("Liên hệ", "/Pages/Lien-he.aspx"),
        ),
    ),
    Portal(
        id="backan",
        platform="sharepoint_ministry",
        hosts=_hosts("backan.gov.vn"),
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH BẮC KẠN",
        owner="Ủy ban nhân dân tỉnh Bắc Kạn",
        address="Tổ 1, phường Đức Xuân, thành phố Bắc Kạn, tỉnh Bắc Kạn",
        phone="0209.3870.112",
        section_name="Tin tức - Sự kiện",
        menu=(
            MenuLink("Trang chủ", "/Pages/default.aspx"),
            MenuLink("Giới thiệu", "/Pages/gioi-thieu.aspx"),
            MenuLink("Tin tức - Sự kiện", "/Pages/news.aspx?CatId=104"),
            MenuLink("Văn bản", "/Pages/van-ban.aspx"),
            MenuLink("Liên hệ", "/Pages/lien-he.aspx"),
        ),
    ),
    Portal(
        id="vinhlong",
        platform="dnn",
        hosts=_hosts("vinhlong.gov.vn"),
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ TỈNH VĨNH LONG",
        owner="Ủy ban nhân dân tỉnh Vĩnh Long",
        address="Số 88 đường Hoàng Thái Hiếu, Phường 1, thành phố Vĩnh Long, tỉnh Vĩnh Long",
        phone="0270.3823.161",
        section_name="Tin tức - Sự kiện",
        menu=(
            MenuLink("Trang chủ", "/Default.aspx?tabid=36"),
            MenuLink("Giới thiệu", "/Default.aspx?tabid=41"),
            MenuLink("Tin tức - Sự kiện", "/Default.aspx?tabid=63"),
            MenuLink("Văn bản", "/Default.aspx?tabid=1025"),
            MenuLink("Liên hệ", "/Default.aspx?tabid=98"),
        ),
    ),
    Portal(
        id="hue",
        platform="hue_portal",
        hosts=_hosts("hue.gov.vn"),
        site_name="CỔNG THÔNG TIN ĐIỆN TỬ THÀNH PHỐ HUẾ",
        owner="Ủy ban nhân dân thành phố Huế",
        address="Số 16 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        phone="0234.3822.541",
        section_name="Dân vận chính quyền",
        menu=(
            MenuLink("Trang chủ", "/"),
            MenuLink("Giới thiệu", "/?gd=2"),
            MenuLink("Tin tức - Sự kiện", "/?gd=1&cn=129"),
            MenuLink("Văn bản", "/?gd=14"),
            MenuLink("Liên hệ", "/?gd=30"),
        ),
    ),
    Portal(
        id="hanoi",
        platform="hanoi_cms",
        hosts=_hosts("hanoi.gov.vn"),
        site_name="CỔNG GIAO TIẾP ĐIỆN TỬ THÀNH PHỐ HÀ NỘI",
        owner="Ủy ban nhân dân thành phố Hà Nội",
        address="Số 12 Lê Lai, phường Hoàn Kiếm, thành phố Hà Nội",
        phone="024.3825.3536",
        section_name="Tin tức sự kiện nổi bật",
        menu=(
            MenuLink("Trang chủ", "/"),
            MenuLink("Giới thiệu", "/gioi-thieu"),
            MenuLink("Tin tức - Sự kiện", "/tin-tuc-su-kien-noi-bat"),
            MenuLink("Văn bản", "/van-ban"),
            MenuLink("Liên hệ", "/lien-he"),
        ),
    ),
    Portal(
        id="danvan",
        platform="generic",
        hosts=_hosts("danvan.vn"),
        site_name="BAN DÂN VẬN TRUNG ƯƠNG",
        owner="Ban Dân vận Trung ương",
        address="Số 105B Quán Thánh, quận Ba Đình, thành phố Hà Nội",
        phone="080.43.568",
        section_name="Dân vận chính quyền",
        menu=(
            MenuLink("Trang chủ", "/"),
            MenuLink("Giới thiệu", "/gioi-thieu"),
            MenuLink("Tin tức - Sự kiện", "/tin-tuc-su-kien/dan-van-chinh-quyen"),
            MenuLink("Văn bản", "/van-ban"),
            MenuLink("Liên hệ", "/lien-he"),
        ),
    ),
    Portal(
        id="tuyengiaodanvan",
        platform="react_api",
        hosts=_hosts("tuyengiaodanvan.vn"),
        site_name="BAN TUYÊN GIÁO VÀ DÂN VẬN TRUNG ƯƠNG",
        owner="Ban Tuyên giáo và Dân vận Trung ương",
        address="Số 105B Quán Thánh, phường Ba Đình, thành phố Hà Nội",
        phone="080.48.166",
        section_name="Tin tức - Sự kiện",
        menu=(),  # drawn by JavaScript in the browser
    ),
)

PORTALS_BY_ID: dict[str, Portal] = {portal.id: portal for portal in PORTALS}
HOSTS: dict[str, str] = {host: portal.id for portal in PORTALS for host in portal.hosts}
