"""Markdown to safe HTML: Python-Markdown for the syntax, nh3 for the sanitising."""
import re

import markdown
import nh3

EXTENSIONS = ["tables", "footnotes", "admonition", "toc", "sane_lists", "smarty"]
EXTENSION_CONFIGS = {
    "toc": {"toc_depth": "2-3", "permalink": False},
    "footnotes": {"BACKLINK_TITLE": "Back to the text"},
}
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "div": {"class"},
    "p": {"class"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"},
    "li": {"id"},
    "sup": {"id"},
    "td": {"align"}, "th": {"align", "scope"},
    "ol": {"start"},
}
CLASSES = {"div": {"admonition", "note", "tip", "warning", "footnote", "toc"},
           "p": {"admonition-title"}}
WORD = re.compile(r"\w+", re.UNICODE)
WORDS_PER_MINUTE = 200


def _clean(html: str) -> str:
    return nh3.clean(
        html, tags=TAGS, attributes={k: v - {"class"} for k, v in ATTRIBUTES.items()},
        allowed_classes=CLASSES, url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style"}, link_rel="noopener noreferrer",
    )


def render(text: str) -> tuple[str, str]:
    """Render Markdown to (sanitised body HTML, sanitised table-of-contents HTML)."""
    converter = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                  output_format="html")
    body = converter.convert(text)
    toc = converter.toc if getattr(converter, "toc_tokens", None) else ""
    return _clean(body), _clean(toc)


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def reading_minutes(words: int) -> int:
    return max(1, round(words / WORDS_PER_MINUTE))
