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
    "th", "thead", "tr", "ul", "img",
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
    "img": {"src", "alt"},
}
CLASSES = {"div": {"admonition", "note", "tip", "warning", "footnote", "toc"},
           "p": {"admonition-title"}}
WORD = re.compile(r"\w+", re.UNICODE)
# A lesson's pictures: written `![what it shows](images/<name>.jpg)` beside the lesson's files, uploaded
# re-encoded and served from LESSON_IMAGES; an image from anywhere else is removed (no outside requests).
LESSON_IMAGE = re.compile(r"^images/([a-z0-9][a-z0-9-]{0,79}\.jpg)$")
LESSON_IMAGES = "/lesson-images/"
IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _image_source(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        match = LESSON_IMAGE.match(value)
        return LESSON_IMAGES + match[1] if match else None
    return value


def image_addresses(text: str) -> list[str]:
    """The address of every image a Markdown text asks for (`![what it shows](address)`)."""
    return [m[1] for m in re.finditer(r"!\[[^\]]*\]\(\s*<?([^)\s>]*)", text)]


def lesson_images(text: str) -> list[str]:
    """The names of the lesson pictures a Markdown text shows (as in images/<name>)."""
    return [m[1] for m in re.finditer(r"\]\(images/([a-z0-9][a-z0-9-]{0,79}\.jpg)\)", text)]
WORDS_PER_MINUTE = 200


def _clean(html: str) -> str:
    cleaned = nh3.clean(
        html, tags=TAGS, attributes={k: v - {"class"} for k, v in ATTRIBUTES.items()},
        allowed_classes=CLASSES, url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style"}, link_rel="noopener noreferrer", attribute_filter=_image_source,
    )
    return IMAGE_WITHOUT_SOURCE.sub("", cleaned)


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
