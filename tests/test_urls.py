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
