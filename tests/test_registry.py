import pytest

from crawler.registry import RegistryError, load_registry

SEED_PORTAL_DOMAINS = ["hanam.gov.vn", "vinhlong.gov.vn", "backan.gov.vn", "thuathienhue.gov.vn", "hue.gov.vn",
                       "hanoi.gov.vn", "danvan.vn", "tuyengiaodanvan.vn"]


def test_registry_holds_the_seed_portals():
    registry = load_registry()
    assert sorted(p.domain for p in registry.portals) == sorted(SEED_PORTAL_DOMAINS)


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
    assert load_registry.__wrapped__(write(tmp_path, GOOD)).get("x").platform == "dnn"


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
        load_registry.__wrapped__(write(tmp_path, GOOD.replace(*change)))
    assert message in str(error.value)


def test_duplicate_domains_are_refused(tmp_path):
    twice = GOOD + GOOD.replace("id: x", "id: y")
    with pytest.raises(RegistryError, match="domain 'x.gov.vn' is in both 'x' and 'y'"):
        load_registry.__wrapped__(write(tmp_path, twice))
