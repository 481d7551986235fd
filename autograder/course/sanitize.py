"""A graded notebook made safe to show: nothing a submission put in it runs or loads in a browser.

The graded notebook is rendered by nbconvert's HTMLExporter twice: in the student's feedback page
(``feedback``) and in the instructor's own JupyterLab, by nbgrader's formgrader.  Everything in it
that came from the student is the student's to write: the markdown of their answers and of cells
they added, every output of every code cell (the kernel's messages: ``display(HTML(...))``,
``display(Javascript(...))``, any MIME bundle with any metadata), and markdown attachments.
``sanitize_notebook`` cleans all of it; an honest notebook keeps every byte of its markdown (text,
math, tables, inline code) and every honest output (text, tracebacks, PNG/JPEG, SVG as an image).

Why bleach, with our own allow-list, rather than nbconvert's ``SanitizeHTML`` preprocessor (which is
bleach too): ``SanitizeHTML`` cleans a markdown cell's *source* as if it were HTML, so it escapes
every ``<``, ``>`` and ``&`` of honest text (``$a < b$``, ``a &= b`` in an ``aligned`` block, a
``> quote``) and never sees markdown's own syntax (``![](http://evil/x.png)``,
``[x](javascript:...)``); its tag list has no ``img``, ``p``, ``h1``-``h6``, ``th`` or ``br``, so
tables and data-URI images are lost; it keeps cell attachments and output metadata as they are
(``metadata.filenames`` makes nbconvert write ``<img src=...>`` with any URL).  Here a markdown
text is judged by what the browser would get: it is rendered with nbconvert's own markdown renderer
(the one feedback and the formgrader use) and kept unchanged when bleach, with the allow-list below,
finds nothing to remove in the rendering; otherwise the cleaned rendering replaces it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

DATA_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
# What a page may show: structure, text, tables, images.  No element that runs, embeds, loads or
# submits anything (script, style, iframe, object, embed, form, input, svg, math, meta, base, link).
ALLOWED_TAGS = frozenset((
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var"))
# The text inside these is not text a reader should see once the element is gone (bleach would
# keep it): a script's code, a style sheet, an iframe's fallback.  An unclosed raw-text element
# takes the rest of the page, as in the browser; the others need their end tag (or ``/>``).
RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
            "noscript")
DROPPED_WITH_CONTENT = ("template", "object", "applet", "frameset", "select", "svg", "math",
                        "head", "audio", "video", "canvas")
# Inline styles that only colour, align and size: none of them takes a url() or can move an element
# over the formgrader's own buttons (no position, background, content, cursor).
ALLOWED_CSS = frozenset((
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family",
    "text-align", "text-decoration", "vertical-align", "white-space", "border", "border-collapse",
    "border-color", "border-style", "border-width", "padding", "padding-left", "padding-right",
    "padding-top", "padding-bottom", "margin", "margin-left", "margin-right", "margin-top",
    "margin-bottom", "width", "height", "max-width", "min-width"))
# An output keeps these MIME types (cleaned); any other (application/javascript, widget views,
# application/pdf, ...) is removed.  image/svg+xml becomes an <img> of itself (see _outputs).
SHOWN_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex",
               "image/png", "image/jpeg", "image/gif")
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/=\s]*)",
                         re.I)
_NUMBER = re.compile(r"\d{1,5}%?")
_DROPPED = re.compile(r"<\s*(%s)\b.*?(?:<\s*/\s*\1\s*>|\Z)|<\s*(%s)\b(?:[^>]*/\s*>|.*?<\s*/\s*\2\s*>)"
                      % ("|".join(RAW_TEXT), "|".join(DROPPED_WITH_CONTENT)), re.I | re.S)
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_cleaner = None


def sanitize_notebook(nb):
    """Clean ``nb`` (a v4 NotebookNode) in place so that nothing in it runs or loads when rendered.

    Markdown cells (and raw cells, which nbconvert writes into the page as HTML) keep their text
    when its rendering is already safe, else become that rendering cleaned; attachments keep only
    images; outputs keep text, tracebacks, cleaned HTML and markdown, LaTeX, PNG/JPEG/GIF with valid
    base64 and SVG shown as an image, and of their metadata only image sizes.  Returns what was
    removed, one line each (empty for an honest notebook).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("**42** <img src=x onerror=alert(1)>"),
    ...     nbformat.v4.new_markdown_cell("$a < b$ and `x & y`")])
    >>> sanitize_notebook(nb)
    ['cell 0: markdown replaced by its cleaned rendering']
    >>> nb.cells[0].source
    '<div class="autograder-sanitized"><p><strong>42</strong> </p></div>'
    >>> nb.cells[1].source
    '$a < b$ and `x & y`'
    """
    removed = []
    if "widgets" in nb.metadata:        # widget state makes nbconvert load the widget manager's JS
        del nb.metadata["widgets"]
        removed.append("notebook: widget state")
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        if cell.cell_type == "markdown":
            attachments, dropped = _attachments(cell.get("attachments"))
            removed += [f"{where}: attachment {name}" for name in dropped]
            source, how = (_markdown(cell.source, attachments) if attachments
                           else _plain_markdown(cell.source))
            if how:
                removed.append(f"{where}: markdown {how}")
                attachments = {}       # the cleaned rendering carries its images as data: URIs
            cell.source = source
            if attachments:
                cell.attachments = attachments
            else:
                cell.pop("attachments", None)
        elif cell.cell_type == "raw":
            source = _html(cell.source)
            if source != cell.source:
                removed.append(f"{where}: raw cell's HTML cleaned")
                cell.source = source
            cell.pop("attachments", None)
        elif cell.cell_type == "code":
            cell.outputs = _outputs(cell.get("outputs", []), where, removed)
    return removed


# ---------------------------------------------------------------------- HTML


def _allowed_attribute(tag, name, value):
    """Whether bleach may keep attribute ``name="value"`` on ``tag`` (value as the browser reads
    it: entities decoded)."""
    if name in ("class", "title", "style"):
        return True
    if tag == "a" and name == "href":
        scheme = _URL_SCHEME.match(re.sub(r"[\x00-\x20\x7f-\xa0`]+", "", value).lower())
        return scheme is None or scheme.group(1) in ("http", "https", "mailto")
    if tag == "img":
        if name == "src":
            return _DATA_IMAGE.fullmatch(value) is not None
        return name == "alt" or (name in ("width", "height") and _NUMBER.fullmatch(value))
    if tag in ("td", "th"):
        return name in ("colspan", "rowspan", "align") and len(value) < 8
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return name == "id"             # nbconvert's anchor for each heading
    return (tag, name) in {("ol", "start"), ("li", "value"), ("details", "open"), ("col", "span")}


def _clean(html):
    """``html`` with every element, attribute, URL and style outside the allow-lists removed."""
    global _cleaner
    if _cleaner is None:
        import bleach
        from bleach.css_sanitizer import CSSSanitizer

        _cleaner = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=_allowed_attribute,
                                  protocols={"http", "https", "mailto", "data"}, strip=True,
                                  strip_comments=True,
                                  css_sanitizer=CSSSanitizer(allowed_css_properties=ALLOWED_CSS))
    # an image whose source was not a data: URI is gone, not a broken-image box
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", _cleaner.clean(_DROPPED.sub("", html)))


def _is_clean(html):
    """Whether cleaning ``html`` removes nothing.  bleach's serialization differs from the input in
    two ways the browser reads alike: a void element is ``<br>``, not ``<br />`` (and ``<div/>`` is
    ``<div>`` to the browser too), and a table's rows get the ``<tbody>`` the parser infers."""
    def canonical(text):
        return re.sub(r"</?tbody>", "", re.sub(r"\s*/>", ">", text))

    return canonical(_clean(html)) == canonical(html)


def _html(html):
    """``html`` itself when it is clean, else its cleaned version."""
    return html if _is_clean(html) else _clean(html)


# ---------------------------------------------------------------------- markdown


def _render(source, attachments):
    """The HTML nbconvert's HTMLExporter makes of a markdown text (its markdown2html), or None if
    the renderer fails (a reference to a missing attachment raises)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    try:
        renderer = IPythonRenderer(escape=False, attachments=attachments)
        return MarkdownWithMath(renderer=renderer).render(source)
    except Exception:       # noqa: BLE001 - any failure means: do not keep this text
        return None


def _markdown(source, attachments):
    """(safe markdown, how it was changed or "") for markdown text ``source``.

    Kept as it is when its rendering is clean.  Otherwise the cleaned rendering, on one line inside
    a ``<div>``: markdown passes an HTML block through untouched up to the first blank line, so the
    page gets exactly that HTML (newlines inside ``<pre>`` become ``<br>``, others spaces).  Every
    candidate is rendered again and kept only if that rendering is clean; the last resort shows
    the text as a code block."""
    rendered = _render(source, attachments)
    if rendered is not None and _is_clean(rendered):
        return source, ""
    candidates = []
    if rendered is not None:
        one_line = re.sub(r"<pre\b.*?</pre>", lambda m: m.group(0).replace("\n", "<br>"),
                          _clean(rendered), flags=re.S)
        one_line = re.sub(r"[\r\n]", " ", one_line)
        candidates.append((f'<div class="autograder-sanitized">{one_line.strip()}</div>',
                           "replaced by its cleaned rendering"))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
    candidates.append((f"{fence}\n{source}\n{fence}", "shown as text"))
    for candidate, how in candidates:
        again = _render(candidate, {})
        if again is not None and _is_clean(again):
            return candidate, how
    return "", "removed"


@functools.lru_cache(maxsize=4096)
def _plain_markdown(source):
    """``_markdown`` of a text without attachments, remembered: every submission of a class repeats
    the instructor's cells, and Course.record (the one gradebook writer) runs this for each."""
    return _markdown(source, {})


def _attachments(attachments):
    """(images kept, names of the attachments that lost something): of each attachment only its
    image types with valid base64 (the renderer writes the text into
    ``src="data:<type>;base64,<text>"``)."""
    kept, dropped = {}, []
    for name, bundle in (attachments or {}).items():
        bundle = dict(bundle) if isinstance(bundle, dict) else {}
        images = {mime: value for mime, value in bundle.items()
                  if mime in DATA_IMAGE_TYPES and _base64(value)}
        if images:
            kept[name] = images
        if not images or images != bundle:
            dropped.append(name)
    return kept, dropped


def _base64(value):
    """Whether ``value`` is a base64 text (what an image in a notebook is)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9+/=\s]*", value):
        return False
    try:
        base64.b64decode(re.sub(r"\s", "", value), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# ---------------------------------------------------------------------- outputs


def _outputs(outputs, where, removed):
    """Each output rebuilt from its fields that are safe to show (see ``sanitize_notebook``)."""
    from nbformat.v4 import new_output

    cleaned = []
    for number, output in enumerate(outputs):
        kind, here = output.get("output_type"), f"{where} output {number}"
        if kind == "stream":
            name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
            cleaned.append(new_output("stream", name=name, text=str(output.get("text", ""))))
        elif kind == "error":
            cleaned.append(new_output("error", ename=str(output.get("ename", "")),
                                      evalue=str(output.get("evalue", "")),
                                      traceback=[str(line) for line in output.get("traceback", [])]))
        elif kind in ("display_data", "execute_result"):
            data, metadata = _bundle(output.get("data", {}), output.get("metadata", {}), here,
                                     removed)
            new = new_output(kind, data=data, metadata=metadata)
            if kind == "execute_result":
                count = output.get("execution_count")
                new.execution_count = count if isinstance(count, int) else None
            cleaned.append(new)
        else:
            removed.append(f"{here}: output of type {kind!r}")
    return cleaned


def _bundle(data, metadata, here, removed):
    """(data, metadata) of a display: the shown MIME types cleaned, image sizes kept."""
    kept = {}
    for mime, value in data.items():
        value = "".join(value) if isinstance(value, list) else value
        if mime == "image/svg+xml" and isinstance(value, str):
            # an SVG shown as an image never runs its scripts or loads what it links to
            if "text/html" not in data:
                encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
                kept["text/html"] = f'<img src="data:image/svg+xml;base64,{encoded}">'
        elif mime not in SHOWN_TYPES or not isinstance(value, str):
            removed.append(f"{here}: {mime}")
        elif mime.startswith("image/"):
            if _base64(value):
                kept[mime] = value
            else:
                removed.append(f"{here}: {mime} (not base64)")
        elif mime == "text/html":
            cleaned = _html(value)
            if cleaned != value:
                removed.append(f"{here}: text/html cleaned")
            if cleaned.strip():
                kept[mime] = cleaned
        elif mime == "text/markdown":
            cleaned, how = _plain_markdown(value)
            if how:
                removed.append(f"{here}: text/markdown {how}")
            if cleaned.strip():
                kept[mime] = cleaned
        else:
            kept[mime] = value
    if not kept:
        kept["text/plain"] = "[output removed by the grader: it could run code in the browser]"
    sizes = {}
    for mime in kept:
        given = metadata.get(mime) if isinstance(metadata, dict) else None
        if mime.startswith("image/") and isinstance(given, dict):
            size = {key: given[key] for key in ("width", "height")
                    if isinstance(given.get(key), int) and not isinstance(given[key], bool)}
            if size:
                sizes[mime] = size
    if isinstance(metadata, dict) and metadata != sizes:
        removed.append(f"{here}: metadata " + ", ".join(sorted(map(str, metadata))))
    return kept, sizes
