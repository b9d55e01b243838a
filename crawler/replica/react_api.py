"""tuyengiaodanvan.vn: a React single-page site over a JSON API (successor of danvan.vn).

Public URLs (the section, `/blogs/{slug}-{id}`) return the same HTML shell with no article
text, only sharing meta tags; the data comes from `/api/blogs` (pages are 1-based) and
`/api/blogs/{id}`.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site
from .chrome import ARTICLE_WEIGHT, LISTING_WEIGHT
from .corpus import Attachment, CorpusArticle
from .naming import hex_token, lower_slug
from .render import render
from .web import JAVASCRIPT, Request, Response, json_response, method_not_allowed

MAX_API_PAGE_SIZE = 50
ARTICLE_PATH = re.compile(r"^/blogs/[a-z0-9-]+-(?P<id>[0-9a-f]{24})$")
API_ARTICLE_PATH = re.compile(r"^/api/blogs/(?P<id>[^/]+)$")


class ReactApi(Site):
    """React front end + JSON API."""

    platform = "react_api"
    date_precision = "second"
    conditional_get = True  # the API server behind nginx
    category_id: ClassVar[str] = "65f1c0a2b3d4e5f60718293a"
    category_type: ClassVar[str] = "tin-tuc-su-kien"
    api_list_path: ClassVar[str] = "/api/blogs"

    @staticmethod
    def blog_id(article: CorpusArticle) -> str:
        """A MongoDB-style ObjectId: 24 hex digits."""
        return hex_token("tuyengiaodanvan-blog", article.key, length=24)

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"/blogs/{lower_slug(article.slug_title)}-{cls.blog_id(article)}"

    def lookup_key(self, article: CorpusArticle) -> str:
        return self.blog_id(article)

    def listing_path(self, page: int) -> str:
        return f"/blogs/category/type/{self.category_type}?categoryId={self.category_id}&page={page}&size={self.page_size}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/uploads/{article.published.year}/{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"/uploads/files/{article.published.year}/{article.published.month}/{quote(attachment.file)}"

    def header_today(self) -> str:
        return ""  # the shell has no header: the browser draws it

    def published_date(self, article: CorpusArticle) -> str:
        """`2025-03-12T08:30:00+07:00`; the date alone when the article shows no time."""
        if not article.date_line:
            return article.published.date().isoformat()
        return datefmt.iso_seconds(article.published)

    # --- pages -------------------------------------------------------------------------------

    def route(self, request: Request, path: str) -> Response | None:
        if path.startswith("/api/"):
            return self.api(request, path)
        if path == self.script_path:
            return Response(200, self.script.encode("utf-8"), JAVASCRIPT)
        if path == "/" or path == f"/blogs/category/type/{self.category_type}":
            return self.render_page(
                "shell.html", title=self.document_title(self.portal.section_name), article=None, weight=LISTING_WEIGHT
            )
        match = ARTICLE_PATH.match(path)
        article = self.find(match["id"]) if match else None
        if article is None:
            return None
        return self.render_page(
            "shell.html", last_modified=article.last_modified, title=article.title, article=article, weight=ARTICLE_WEIGHT
        )

    def route_post(self, request: Request, path: str) -> Response | None:
        return method_not_allowed("GET, HEAD") if path.startswith("/api/") else None

    def not_found(self) -> Response:
        return self.render_page("not_found.html", status=404, title="Trang không tồn tại")

    def document_title(self, name: str) -> str:
        return f"{name} | {self.portal.owner}"

    @cached_property
    def script(self) -> str:
        """The front-end bundle: fetches the API and draws the page (crawlers never run it)."""
        return render("react_api/main.js", site=self)

    @cached_property
    def script_path(self) -> str:
        """The bundle's URL, named after its content hash as the React build tooling names it."""
        return f"/static/js/main.{hashlib.sha256(self.script.encode()).hexdigest()[:8]}.js"

    # --- API ---------------------------------------------------------------------------------

    def api(self, request: Request, path: str) -> Response:
        """The JSON API; unknown routes and ids answer a JSON 404."""
        if path == self.api_list_path:
            return self.api_list(request)
        match = API_ARTICLE_PATH.match(path)
        article = self.find(match["id"]) if match else None
        if article is None:
            return api_error(404, "Not Found", "Blog not found")
        return json_response(self.blog_detail(article), last_modified=article.last_modified)

    def api_list(self, request: Request) -> Response:
        """One page of the category, newest first."""
        query = request.query()
        category = (query.get("categoryId") or [""])[0]
        if not category:
            return api_error(400, "Bad Request", "Required parameter 'categoryId' is not present.")
        try:
            page = int((query.get("page") or ["1"])[0])
            size = int((query.get("size") or ["10"])[0])
        except ValueError:
            return api_error(400, "Bad Request", "Parameters 'page' and 'size' must be numbers.")
        if page < 1 or not 1 <= size <= MAX_API_PAGE_SIZE:
            return api_error(400, "Bad Request", f"page must be >= 1 and size between 1 and {MAX_API_PAGE_SIZE}.")
        articles = self.articles if category == self.category_id else []
        content = articles[(page - 1) * size:page * size]
        return json_response({
            "content": [self.blog_summary(article) for article in content],
            "page": page,
            "size": size,
            "totalPages": -(-len(articles) // size),
            "totalElements": len(articles),
        })

    def blog_summary(self, article: CorpusArticle) -> dict[str, Any]:
        """An item of the list API."""
        images = article.images
        return {
            "id": self.blog_id(article),
            "slug": lower_slug(article.slug_title),
            "title": article.title,
            "description": article.lead,
            "publishedDate": self.published_date(article),
            "thumbnail": self.image_src(article, images[0].file) if images else "/uploads/default-thumbnail.jpg",
            "category": self.category(),
        }

    def blog_detail(self, article: CorpusArticle) -> dict[str, Any]:
        """The article API: the body as HTML, author and source as fields."""
        return {
            "id": self.blog_id(article),
            "slug": lower_slug(article.slug_title),
            "title": article.title,
            "description": article.lead,
            "content": render("react_api/content.html", site=self, article=article).strip(),
            "author": article.author,
            "source": self.source_line(article).removeprefix("Nguồn: "),
            "publishedDate": self.published_date(article),
            "category": self.category(),
            "tags": self.tags(article),
        }

    def category(self) -> dict[str, str]:
        """The category object the API embeds."""
        return {"id": self.category_id, "name": self.portal.section_name}


def api_error(status: int, error: str, message: str) -> Response:
    """A JSON error in the Spring Boot shape the API answers with."""
    return json_response({"status": status, "error": error, "message": message}, status=status)
