import subprocess
import sys

import pytest

from crawler.registry import RegistryError, get_topic, load_registry

from tests.conftest import ROOT

# ../shared/PORTALS.md: "The 34 surviving portal domains (all .gov.vn)".
SURVIVING_DOMAINS = """hanoi haiphong hue danang cantho hochiminhcity quangninh bacninh hungyen ninhbinh caobang
dienbien laichau langson laocai phutho sonla thainguyen tuyenquang hatinh nghean quangtri thanhhoa khanhhoa
quangngai daklak gialai lamdong dongnai tayninh angiang camau dongthap vinhlong""".split()
# Resolution 202/2025/QH15, as PORTALS.md states it.
MERGED_INTO = {"hanam": "Ninh Bình", "namdinh": "Ninh Bình", "bentre": "Vĩnh Long", "travinh": "Vĩnh Long",
               "backan": "Thái Nguyên"}
SEED_DOMAINS = ["hanam.gov.vn", "vinhlong.gov.vn", "backan.gov.vn", "thuathienhue.gov.vn", "hue.gov.vn",
                "hanoi.gov.vn", "danvan.vn", "tuyengiaodanvan.vn"]


def provincial():
    return [p for p in load_registry().portals if p.province != "Trung ương"]


def test_the_34_surviving_portals_are_live_on_their_domains():
    live = {p.domain for p in load_registry().portals if p.status == "live"}
    assert {f"{name}.gov.vn" for name in SURVIVING_DOMAINS} <= live
    assert len({p.province_2025 for p in provincial()}) == 34


def test_the_63_provinces_before_the_merger_each_have_their_portal():
    before = {p.province for p in provincial()}
    assert len(before) == 63
    assert "baria-vungtau.gov.vn" in {p.domain for p in provincial()}
    assert set(SEED_DOMAINS) <= {p.domain for p in load_registry().portals}


def test_the_29_merged_provinces_point_at_the_portal_that_took_them_over():
    registry = load_registry()
    moved = [p for p in provincial() if p.status == "moved"]
    assert len(moved) == 29
    for portal in moved:
        successor = registry.get(portal.successor)
        assert successor.status == "live" and successor.province_2025 == portal.province_2025, portal.id
    for portal_id, province in MERGED_INTO.items():
        assert registry.get(portal_id).province_2025 == province


def test_every_entry_is_marked_unconfirmed():
    assert not any(p.verified for p in load_registry().portals)


def test_scrapy_list_names_one_spider_per_portal():
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout.split() == sorted(load_registry().ids())
    assert len(listed.stdout.split()) >= 63 + 3  # + hue.gov.vn, danvan.vn, tuyengiaodanvan.vn


def test_topics_fold_their_keywords_and_match_whole_words():
    dan_van = get_topic("dan-van")
    assert dan_van.matches("Hội nghị tổng kết công tác DÂN VẬN năm 2024")
    assert dan_van.matches("giải quyết khiếu nại, tố cáo của công dân")
    assert dan_van.matches("Hoi nghi dan van kheo nam 2024")  # typed without tone marks
    assert not dan_van.matches("hướng dẫn văn bản mới về đất đai")  # folds to "…dan van…", but is not
    assert not dan_van.matches("Ban hành văn bản hướng dẫn Nghị định 15/2020/NĐ-CP")
    assert not dan_van.matches("dân văn nghệ")  # different marks, not unaccented: not the keyword


def test_a_section_names_a_known_topic(tmp_path):
    bad = GOOD.replace("sections: [https://x.gov.vn/news]", "sections: [{url: 'https://x.gov.vn/news', topic: dan-vam}]")
    with pytest.raises(RegistryError, match="names topic 'dan-vam'"):
        load_registry(write(tmp_path, bad))
    good = GOOD.replace("sections: [https://x.gov.vn/news]", "sections: [{url: 'https://x.gov.vn/news', topic: dan-van}]")
    assert load_registry(write(tmp_path, good)).get("x").sections[0].topic == "dan-van"


def test_defunct_portals_are_not_crawled_by_default():
    assert "thuathienhue" not in [p.id for p in load_registry().crawlable()]
    assert load_registry().get("thuathienhue").successor == "hue"


def test_portal_selectors_override_the_platform_defaults():
    danvan = load_registry().get("danvan")
    assert danvan.selectors.title == "h1.article-title"
    assert danvan.selectors.author == "[itemprop=author], [rel=author]"  # from the defaults
    assert "script" in danvan.selectors.prune


def write(tmp_path, text):
    path = tmp_path / "portals.yml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
- id: x
  name: X
  province: A
  province_2025: B
  domains: [x.gov.vn]
  platform: dnn
  status: live
  sections: [https://x.gov.vn/news]
"""


def test_a_valid_file_loads(tmp_path):
    assert load_registry(write(tmp_path, GOOD)).get("x").platform == "dnn"


@pytest.mark.parametrize("change, message", [
    (("platform: dnn", "platform: wordpress"), "portal 'x': field 'platform' is 'wordpress'"),
    (("status: live", "status: sleeping"), "portal 'x': field 'status' is 'sleeping'"),
    (("  name: X\n", ""), "portal 'x': field 'name' is required"),
    (("https://x.gov.vn/news", "https://y.gov.vn/news"), "portal 'x': field 'sections' has 'https://y.gov.vn/news', whose host is not in 'domains'"),
    (("domains: [x.gov.vn]", "domains: [not a host]"), "portal 'x': field 'domains' has 'not a host'"),
    (("status: live", "status: live\n  colour: red"), "portal 'x': unknown field(s) ['colour']"),
    (("status: live", "status: live\n  selectors: {titel: h1}"), "portal 'x': field 'selectors' has unknown key(s) ['titel']"),
])
def test_errors_name_the_entry_and_the_field(tmp_path, change, message):
    with pytest.raises(RegistryError) as error:
        load_registry(write(tmp_path, GOOD.replace(*change)))
    assert message in str(error.value)


def test_duplicate_domains_are_refused(tmp_path):
    twice = GOOD + GOOD.replace("id: x", "id: y")
    with pytest.raises(RegistryError, match="domain 'x.gov.vn' is in both 'x' and 'y'"):
        load_registry(write(tmp_path, twice))
