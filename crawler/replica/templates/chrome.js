<script type="text/javascript">
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('js', new Date());
gtag('config', 'G-{{ site.portal.id | upper | truncate(6, true, "") }}PORTAL', { anonymize_ip: true, page_path: location.pathname + location.search });
var portalConfig = {
  portalId: "{{ portal.id }}",
  host: "{{ portal.host }}",
  siteName: "{{ portal.site_name }}",
  language: "vi-VN",
  searchUrl: "/tim-kiem?q=",
  fontSizes: [13, 14, 15, 16, 18],
  menu: [
{% for head, pages in site.mega_menu %}
    { label: "{{ head.text }}", url: "{{ head.href }}", children: {{ pages | length }} }{{ "," if not loop.last }}
{% endfor %}
  ]
};
(function () {
  function ready(fn) { if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); } }
  ready(function () {
    var toggle = document.querySelector('.mega-menu-toggle');
    if (toggle) {
      toggle.addEventListener('click', function () { toggle.parentNode.classList.toggle('open'); });
    }
    var size = parseInt(localStorage.getItem('portal.fontSize') || '14', 10);
    function applySize() { document.body.style.fontSize = size + 'px'; localStorage.setItem('portal.fontSize', size); }
    Array.prototype.forEach.call(document.querySelectorAll('.font-up'), function (a) {
      a.addEventListener('click', function () { if (size < 18) { size += 1; applySize(); } });
    });
    Array.prototype.forEach.call(document.querySelectorAll('.font-down'), function (a) {
      a.addEventListener('click', function () { if (size > 12) { size -= 1; applySize(); } });
    });
    var top = document.createElement('a');
    top.href = 'javascript:void(0)';
    top.className = 'back-to-top';
    top.innerHTML = '&#9650;';
    top.addEventListener('click', function () { window.scrollTo({ top: 0, behavior: 'smooth' }); });
    document.body.appendChild(top);
    window.addEventListener('scroll', function () { top.style.display = window.pageYOffset > 400 ? 'block' : 'none'; });
    var counter = new Image();
    counter.src = '/thongke/truycap.ashx?p=' + encodeURIComponent(location.pathname) + '&r=' + encodeURIComponent(document.referrer);
  });
})();
</script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-PORTAL"></script>
