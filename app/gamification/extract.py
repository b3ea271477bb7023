"""A Babel extractor for game.toml: level names, badge titles and hints, season titles.

They are shown through gettext (`_(level.name)`), so the catalogs translate them like any other
interface string. Referenced from babel.cfg.
"""
import tomllib


def extract_game(fileobj, keywords, comment_tags, options):
    text = fileobj.read().decode("utf-8")
    data = tomllib.loads(text)
    strings = [level["name"] for level in data.get("levels", [])]
    for badge in data.get("badges", []):
        strings += [badge["title"], badge["how"]]
    strings += [season["title"] for season in data.get("seasons", [])]
    lines = text.splitlines()
    for message in strings:
        number = next((i + 1 for i, line in enumerate(lines) if f'"{message}"' in line), 0)
        yield number, "gettext", message, []
