/* Front-end bundle of the replica: draws the section or the article from the JSON API. */
(function () {
  var root = document.getElementById("root");
  function esc(text) {
    var node = document.createElement("div");
    node.textContent = text || "";
    return node.innerHTML;
  }
  var match = location.pathname.match(/-([0-9a-f]{24})$/);
  if (match) {
    fetch("/api/blogs/" + match[1]).then(function (r) { return r.json(); }).then(function (blog) {
      root.innerHTML = "<article><h1>" + esc(blog.title) + "</h1><time>" + esc(blog.publishedDate) +
        "</time><p><strong>" + esc(blog.description) + "</strong></p>" + blog.content +
        "<p><strong>" + esc(blog.author) + "</strong></p></article>";
    });
    return;
  }
  var query = new URLSearchParams(location.search);
  var api = "/api/blogs?categoryId=" + encodeURIComponent(query.get("categoryId") || "{{ site.category_id }}") +
    "&page=" + encodeURIComponent(query.get("page") || "1") + "&size=" + encodeURIComponent(query.get("size") || "10");
  fetch(api).then(function (r) { return r.json(); }).then(function (data) {
    root.innerHTML = "<ul>" + data.content.map(function (blog) {
      return "<li><a href=\"/blogs/" + blog.slug + "-" + blog.id + "\">" + esc(blog.title) + "</a> <time>" +
        esc(blog.publishedDate) + "</time><p>" + esc(blog.description) + "</p></li>";
    }).join("") + "</ul>";
  });
})();
