# Red team: scripts in pages. Markdown (its written answer and a cell of its own) and
# outputs (HTML, JavaScript, Markdown) that run script in whoever opens the page: each
# marks the page (data-pwned-WHERE) and tries, with the reader's session, to write a file
# through Jupyter's contents API, as the attack on formgrader did. It also shows a
# legitimate picture and table, which must still show.
# %% assign_solution
import io as _io

import matplotlib.pyplot as _plt
import pandas as _pd
from IPython.display import HTML, Image, Javascript, Markdown, display


def _payload(where):
    return ("document.documentElement.setAttribute('data-pwned-" + where + "','1');"
            "fetch('/api/contents/pwned-" + where + ".txt',{method:'PUT',"
            "credentials:'same-origin',headers:{'Content-Type':'application/json',"
            "'X-XSRFToken':(document.cookie.match(/_xsrf=([^;]*)/)||[])[1]||''},"
            "body:JSON.stringify({type:'file',format:'text',content:'owned'})});")


display(HTML("<script>" + _payload("output-html-script") + "</script>"
             "<img src='x' onerror=\"" + _payload("output-html-onerror") + "\">"))
display(Javascript(_payload("output-javascript")))
display(Markdown("<img src='y' onerror=\"" + _payload("output-markdown") + "\">"))
_figure, _axes = _plt.subplots(figsize=(2, 2))
_axes.plot([0, 1], [1, 0])
_buffer = _io.BytesIO()
_figure.savefig(_buffer, format="png")
display(Image(data=_buffer.getvalue(), format="png"))
display(_pd.DataFrame({"legit": [1, 2]}))


def assign(X, means):
    points = np.asarray(X, dtype=float)
    centres = np.asarray(means, dtype=float)
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


# %% [markdown] pitfall_answer
# The dict holds the true means.
#
# <script>document.documentElement.setAttribute('data-pwned-markdown-script','1');fetch('/api/contents/pwned-markdown-script.txt',{method:'PUT',credentials:'same-origin',headers:{'Content-Type':'application/json','X-XSRFToken':(document.cookie.match(/_xsrf=([^;]*)/)||[])[1]||''},body:JSON.stringify({type:'file',format:'text',content:'owned'})});</script>
# <img src="z" onerror="document.documentElement.setAttribute('data-pwned-markdown-onerror','1')">
# <svg onload="document.documentElement.setAttribute('data-pwned-markdown-svg','1')"></svg>
