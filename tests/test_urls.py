from crawler.urls import canonical_url, url_key


def test_canonical_url_drops_tracking_and_fragment():
    assert canonical_url("https://hue.gov.vn/?gd=1&cn=129&tc=22380&utm_source=fb#top") == "https://hue.gov.vn/?gd=1&cn=129&tc=22380"


def test_key_ignores_scheme_www_and_parameter_order():
    a = url_key("https://www.backan.gov.vn/Pages/chi-tiet-tin.aspx?ItemID=1850&l=TinTucSuKien", "sharepoint_ministry")
    b = url_key("http://backan.gov.vn/pages/chi-tiet-tin.aspx?l=TinTucSuKien&itemid=1850", "sharepoint_ministry")
    assert a == b == "backan.gov.vn/pages/chi-tiet-tin.aspx?itemid=1850&l=TinTucSuKien"


def test_key_keeps_case_where_the_server_is_case_sensitive():
    assert url_key("https://hanoi.gov.vn/tin-tuc/Bai-Viet-1.htm", "hanoi_cms") != url_key("https://hanoi.gov.vn/tin-tuc/bai-viet-1.htm", "hanoi_cms")


def test_key_keeps_the_article_id_parameters():
    assert url_key("https://vinhlong.gov.vn/Default.aspx?tabid=22641&ID=30001", "dnn") != url_key("https://vinhlong.gov.vn/Default.aspx?tabid=22641&ID=30002", "dnn")


def test_cookieless_asp_net_sessions_are_not_part_of_the_url():
    assert canonical_url("https://hanam.gov.vn/(S(a1b2c3d4e5))/Pages/Tin-tuc.aspx") == "https://hanam.gov.vn/Pages/Tin-tuc.aspx"


def test_one_key_for_a_feed_a_sitemap_and_a_listing_link():
    listing = "https://danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen/hoi-nghi-123.html"
    feed = "http://danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen/hoi-nghi-123.html?utm_source=rss&utm_medium=feed"
    sitemap = "https://www.danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen/hoi-nghi-123.html"
    assert len({url_key(url, "generic") for url in (listing, feed, sitemap)}) == 1


def test_percent_escapes_give_one_key():
    raw = "https://hanoi.gov.vn/tin-tức/bài-1.htm"
    assert url_key(raw, "hanoi_cms") == url_key("https://hanoi.gov.vn/tin-t%E1%BB%A9c/b%C3%A0i-1.htm", "hanoi_cms") \
        == url_key("https://hanoi.gov.vn/tin-t%e1%bb%a9c/b%c3%a0i-1.htm", "hanoi_cms")


def test_iis_paths_are_case_folded_only_in_the_key():
    url = "https://hanam.gov.vn/Pages/2018-8-1/Toa-dam-k3x9qa.aspx"
    assert canonical_url(url) == url
    assert url_key(url, "sharepoint_tandan") == url_key(url.lower(), "sharepoint_tandan")
